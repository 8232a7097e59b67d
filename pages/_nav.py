"""The dashboard's navigation: sections, pages and their pt-BR URL paths.

A light module (it imports only Streamlit): ``app.py`` calls ``st.navigation`` with
:func:`pages` before it imports pandas and the engine, and draws the navigation in the
sidebar with :func:`sidebar_links` (Streamlit's own is off: see :mod:`pages._first_visit`).

Page files are named in English and served under pt-BR URL paths. Each URL path also has a
*door*: a tiny file ``pages/<url_path>.py`` (``pages/motivos.py``…) that only Streamlit's
legacy ``pages/`` mode runs, on the first visit after a server start (:mod:`pages._first_visit`).
A new page needs both: its ``st.Page`` here and its door (``tests/test_first_visit.py`` checks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import streamlit as st

PAGE_COBERTURA: Final = "pages/coverage.py"
PAGE_MOTIVOS: Final = "pages/reasons.py"
PAGE_SIMULACAO: Final = "pages/simulation.py"
PAGE_NAO_RECEBEM: Final = "pages/non_recipients.py"
PAGE_DIAGNOSTICO: Final = "pages/diagnosis.py"
PAGE_CONFIGURACAO: Final = "pages/settings.py"
PAGE_DADOS: Final = "pages/data.py"
PAGE_ENTREGAS: Final = "pages/deliveries.py"

# URL path of each page file ("" for the default page, served at the root only).
URL_PATHS: Final[dict[str, str]] = {
    PAGE_COBERTURA: "",
    PAGE_MOTIVOS: "motivos",
    PAGE_ENTREGAS: "entregas",
    PAGE_SIMULACAO: "simulacao",
    PAGE_NAO_RECEBEM: "nao-recebem",
    PAGE_DIAGNOSTICO: "diagnostico",
    PAGE_CONFIGURACAO: "configuracao",
    PAGE_DADOS: "dados",
}


def pages() -> dict[str, list[Any]]:
    """The navigation: sections and pages (``st.Page`` over the files in ``pages/``)."""
    return {
        "Visão geral": [
            st.Page(PAGE_COBERTURA, title="Cobertura", icon=":material/donut_small:",
                    url_path="cobertura", default=True),
            st.Page(PAGE_MOTIVOS, title="Motivos", icon=":material/filter_alt:",
                    url_path=URL_PATHS[PAGE_MOTIVOS]),
            st.Page(PAGE_ENTREGAS, title="Entregas", icon=":material/outgoing_mail:",
                    url_path=URL_PATHS[PAGE_ENTREGAS]),
            st.Page(PAGE_SIMULACAO, title="Simulação", icon=":material/science:",
                    url_path=URL_PATHS[PAGE_SIMULACAO]),
        ],
        "Suporte": [
            st.Page(PAGE_NAO_RECEBEM, title="Não recebem", icon=":material/unsubscribe:",
                    url_path=URL_PATHS[PAGE_NAO_RECEBEM]),
            st.Page(PAGE_DIAGNOSTICO, title="Diagnóstico", icon=":material/person_search:",
                    url_path=URL_PATHS[PAGE_DIAGNOSTICO]),
        ],
        "Administração": [
            st.Page(PAGE_CONFIGURACAO, title="Configuração", icon=":material/settings:",
                    url_path=URL_PATHS[PAGE_CONFIGURACAO]),
            st.Page(PAGE_DADOS, title="Dados", icon=":material/database:",
                    url_path=URL_PATHS[PAGE_DADOS]),
        ],
    }


def sidebar_links(sections: Mapping[str, Sequence[Any]]) -> None:
    """The navigation, drawn in the sidebar with ``st.page_link`` (Streamlit's own sidebar
    navigation is off, ``client.showSidebarNavigation = false``: see
    :mod:`pages._first_visit`)."""
    sidebar = st.sidebar.container(key="carteiro_nav")
    for section, section_pages in sections.items():
        sidebar.caption(section)
        for page in section_pages:
            sidebar.page_link(page, width="stretch")
    st.sidebar.divider()

"""Dados: the data problems found while reading the ERP (unknown ids, unreadable dates,
unknown status words, duplicated ids…), so they can be fixed in the ERP."""

from __future__ import annotations

import streamlit as st

from carteiro import export
from carteiro import formatting as fmt
from carteiro.views import data as data_view
from carteiro.views import tables as tables_view
from pages import _common as common
from pages import _downloads as downloads

ctx = common.context()
audit = ctx.audit

st.title("Problemas nos dados do ERP")
st.caption("Nada é descartado em silêncio: cada valor que o Carteiro não conseguiu ler como o "
           "ERP espera aparece aqui, com o id do registro, para ser corrigido no ERP.")

summary = data_view.problem_summary(audit)
if summary.empty:
    st.success("Nenhum problema encontrado nos dados lidos.", icon="✅")
    st.stop()

st.markdown(f"**{fmt.integer(len(audit.problems))}** problemas encontrados.")
common.table(summary, data_view.PROBLEM_HEADERS, integers=[data_view.ProblemRow.COUNT],
             key="data_summary")

kinds = st.multiselect("Tipo de problema", sorted(summary[data_view.ProblemRow.KIND].unique()),
                       placeholder="Todos", key="data_kinds")
problems = data_view.problems_view(audit, kinds)
common.table(problems.head(tables_view.TABLE_ROW_LIMIT), data_view.PROBLEM_HEADERS,
             key="data_problems", height=420)
if len(problems) > tables_view.TABLE_ROW_LIMIT:
    st.caption(f"A tabela mostra os primeiros {fmt.integer(tables_view.TABLE_ROW_LIMIT)} de "
               f"{fmt.integer(len(problems))}; a exportação inclui todos.")
downloads.button(
    st, "Baixar CSV", lambda: export.to_excel_csv(problems, data_view.PROBLEM_HEADERS),
    file_name="carteiro-dados.csv", mime="text/csv", key="data_download",
)

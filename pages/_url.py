"""The URL holds the page's state (``carteiro/views/links.py`` says which parameters).

* :func:`read_once` — when a session starts (and again after «Sair»), the link's parameters
  become the session's period, filters, search and diagnosed customer; each bad value is one
  pt-BR warning (:func:`show_warnings`) and falls back (the current month, no filter).
* :func:`publish` — every run, and again when a page changes its state, ``st.query_params``
  is set to the period and the current page's state, only when it differs (each change is a
  browser history entry). Copying the address bar opens the same view.
* :func:`keep_options` — filter values a page cannot offer (from a link, or chosen for another
  period) are dropped with a warning saying which and why.

The session is the truth during a visit: the URL is written from it, read only when a session
starts (editing the address bar reloads the page, which starts a new session).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Final

import streamlit as st

from carteiro import access, localtime
from carteiro.errors import CarteiroError
from carteiro.views import links
from pages import _period as period_widgets

K_READ: Final = "_carteiro_link_read"
K_WARNINGS: Final = "_carteiro_link_warnings"
K_PAGE: Final = "_carteiro_page"

# Session-state keys of the pages' state (the filters' widget keys).
K_DIAG_CUSTOMER: Final = "diag_customer"
K_DIAG_QUERY: Final = "diag_query"
K_NR_QUERY: Final = "nr_query"
K_NR_REASONS: Final = "nr_reasons"
K_NR_METHODS: Final = "nr_methods"
K_NR_STATUSES: Final = "nr_statuses"
K_NR_CITIES: Final = "nr_cities"
K_NR_COVERAGE: Final = "nr_coverage"
K_NR_COMBINATION: Final = "nr_combination"
K_DATA_KINDS: Final = "data_kinds"
K_AS_OF: Final = "deliv_as_of"

NAO_RECEBEM: Final = "nao-recebem"
DIAGNOSTICO: Final = "diagnostico"
DADOS: Final = "dados"
ENTREGAS: Final = "entregas"


def _values(name: str) -> list[str]:
    return [v for v in st.query_params.get_all(name) if v != ""]


def _first(name: str) -> str | None:
    values = _values(name)
    return values[-1] if values else None


def _warn(lines: Sequence[str]) -> None:
    if lines:
        st.session_state.setdefault(K_WARNINGS, []).extend(lines)


def read_once(url_path: str, today: dt.date | None = None) -> None:
    """Put the link's state in the session, once per session."""
    if st.session_state.get(K_READ):
        return
    st.session_state[K_READ] = True
    if period_widgets.K_PERIOD not in st.session_state:  # a test may have set it already
        parsed = links.period_from_link(_first(links.START), _first(links.END),
                                        today or localtime.provider_today())
        period = parsed.values["period"]
        st.session_state[period_widgets.K_PERIOD] = (period.start, period.end)  # type: ignore[attr-defined]
        _warn(parsed.warnings)
    if url_path == NAO_RECEBEM:
        _read_non_recipients()
    elif url_path == DIAGNOSTICO:
        customer = links.customer_from_link(_first(links.CUSTOMER))
        _warn(customer.warnings)
        if customer.values[links.CUSTOMER] is not None:
            st.session_state[K_DIAG_CUSTOMER] = customer.values[links.CUSTOMER]
        if _first(links.SEARCH):
            st.session_state[K_DIAG_QUERY] = links.search_from_link(_first(links.SEARCH))
    elif url_path == DADOS and _values(links.KIND):
        st.session_state[K_DATA_KINDS] = _values(links.KIND)
    if url_path in (ENTREGAS, DIAGNOSTICO):
        _read_as_of()


def provider_today() -> dt.date:
    """Today in the provider's time zone (this machine's date if that zone is unknown: the
    sender test says so)."""
    try:
        return localtime.provider_today()
    except CarteiroError:
        return dt.date.today()


def as_of() -> dt.date:
    """The session's as-of date of the send log (today unless the person chose another)."""
    value = st.session_state.get(K_AS_OF)
    return value if isinstance(value, dt.date) else provider_today()


def _read_as_of() -> None:
    parsed = links.as_of_from_link(_first(links.AS_OF), provider_today())
    _warn(parsed.warnings)
    if parsed.values[links.AS_OF] is not None:
        st.session_state[K_AS_OF] = parsed.values[links.AS_OF]


def _as_of_params(always: bool) -> list[str]:
    """The as-of date for the URL: always on «Entregas», elsewhere only when it is not today."""
    day = as_of()
    return [day.isoformat()] if always or day != provider_today() else []


def _read_non_recipients() -> None:
    reasons = links.reasons_from_link(_values(links.REASON))
    coverage = links.coverage_from_link(_values(links.COVERAGE))
    combination = links.combination_from_link(_first(links.COMBINATION))
    _warn(reasons.warnings + coverage.warnings + combination.warnings)
    state = {
        K_NR_QUERY: links.search_from_link(_first(links.SEARCH)),
        K_NR_REASONS: reasons.values[links.REASON],
        K_NR_METHODS: _values(links.METHOD),
        K_NR_STATUSES: _values(links.STATUS),
        K_NR_CITIES: _values(links.CITY),
        K_NR_COVERAGE: coverage.values[links.COVERAGE],
        K_NR_COMBINATION: combination.values[links.COMBINATION],
    }
    for key, value in state.items():
        if value:
            st.session_state[key] = value


def show_warnings() -> None:
    """The link's problems, once, above the page."""
    for line in st.session_state.pop(K_WARNINGS, []):
        st.warning(access.text(line), icon="🔗")


def set_page(url_path: str) -> None:
    st.session_state[K_PAGE] = url_path


def _list(key: str) -> list[str]:
    value = st.session_state.get(key)
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def _text(key: str) -> list[str]:
    value = st.session_state.get(key)
    return [value.strip()] if isinstance(value, str) and value.strip() else []


def _non_recipients_params() -> dict[str, list[str]]:
    combination = st.session_state.get(K_NR_COMBINATION)
    return {
        links.SEARCH: _text(K_NR_QUERY),
        links.REASON: links.reason_params(_list(K_NR_REASONS)),
        links.METHOD: _list(K_NR_METHODS),
        links.STATUS: _list(K_NR_STATUSES),
        links.CITY: _list(K_NR_CITIES),
        links.COVERAGE: links.coverage_params(_list(K_NR_COVERAGE)),
        links.COMBINATION: ([links.combination_param(int(combination))]
                            if isinstance(combination, int) else []),
    }


def _diagnosis_params() -> dict[str, list[str]]:
    customer = st.session_state.get(K_DIAG_CUSTOMER)
    return {links.SEARCH: _text(K_DIAG_QUERY),
            links.CUSTOMER: [str(int(customer))] if isinstance(customer, int) else [],
            links.AS_OF: _as_of_params(always=False)}


PAGE_PARAMS: Final[dict[str, Callable[[], dict[str, list[str]]]]] = {
    NAO_RECEBEM: _non_recipients_params,
    DIAGNOSTICO: _diagnosis_params,
    DADOS: lambda: {links.KIND: _list(K_DATA_KINDS)},
    ENTREGAS: lambda: {links.AS_OF: _as_of_params(always=True)},
}


def wanted_params() -> dict[str, list[str]]:
    """The query parameters of the session's period and the current page's state."""
    period = period_widgets.current()
    wanted: dict[str, list[str]] = {k: [v] for k, v in links.period_params(period).items()}
    state = PAGE_PARAMS.get(st.session_state.get(K_PAGE, ""))
    if state is not None:
        wanted.update({k: v for k, v in state().items() if v})
    return wanted


def publish() -> None:
    """Make the URL say the session's period and the page's state (if it does not yet)."""
    wanted = wanted_params()
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    if not links.same_params(current, wanted):
        st.query_params.from_dict(wanted)


def keep_options(key: str, allowed: Sequence[Any], what: str, where: str,
                 label: Callable[[Any], str] = str) -> None:
    """Drop from a filter's values those the page does not offer, saying so."""
    chosen = st.session_state.get(key)
    if not isinstance(chosen, list | tuple):
        return
    offered = set(allowed)
    dropped = [v for v in chosen if v not in offered]
    if dropped:
        st.session_state[key] = [v for v in chosen if v in offered]
        st.warning(access.text(links.options_warning(what, [label(v) for v in dropped],
                                                     where)), icon="🔎")

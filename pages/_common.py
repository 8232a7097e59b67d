"""Streamlit plumbing shared by ``app.py`` and the pages: access gate, sidebar, cached loading,
the shared :class:`AppContext`, and the pt-BR table helper.

How the pages share the audit: ``app.py`` calls :func:`load_context` on every run, before
``st.navigation(...).run()``. It loads the Audit through :func:`_load` — ``st.cache_resource``
keyed on ``(url, origin, start, end)``, so the frames are never hashed nor copied and a
rerun costs nothing — and puts an :class:`AppContext` (source, period, the cached Audit) in
``st.session_state``. Each page reads it with :func:`context`. Derived frames that cost more
than a few milliseconds (the customer search index, the non-recipients table) are cached the
same way, keyed on the context's small :attr:`AppContext.key`, with the Audit passed as an
unhashed ``_audit`` argument.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from carteiro import access
from carteiro import formatting as fmt
from carteiro.erp.load import load_email_log
from carteiro.erp.source import DataSource, demo_db_path, resolve_source
from carteiro.errors import CarteiroError, DataSourceError
from carteiro.period import Period
from carteiro.rules.audit import run_audit
from carteiro.rules.engine import Audit
from carteiro.views import non_recipients as non_recipients_view
from carteiro.views import tables as tables_view
from pages import _gate as gate

log = logging.getLogger("carteiro.app")

AUDIT_TTL_SECONDS = 600  # the ERP changes during the day: reload at most every 10 minutes
LOG_TTL_SECONDS = 120

# Page files are named in English and served under pt-BR URL paths. They must differ: a URL
# path equal to a file's stem under pages/ gives the page the hash of that file, and AppTest
# (and Streamlit's legacy pages/ handling) would then run the file without app.py.
PAGE_COBERTURA = "pages/coverage.py"
PAGE_MOTIVOS = "pages/reasons.py"
PAGE_NAO_RECEBEM = "pages/non_recipients.py"
PAGE_DIAGNOSTICO = "pages/diagnosis.py"
PAGE_CONFIGURACAO = "pages/settings.py"
PAGE_DADOS = "pages/data.py"

# Session-state keys.
K_CONTEXT = "_carteiro_context"
K_DEMO_CREATED = "_carteiro_demo_created"
K_LAST_PERIOD = "_carteiro_last_period"
K_PERIOD = "period"
K_DIAG_CUSTOMER = "diag_customer"
K_DIAG_QUERY = "diag_query"
K_NR_QUERY = "nr_query"
K_NR_REASONS = "nr_reasons"
K_NR_METHODS = "nr_methods"
K_NR_STATUSES = "nr_statuses"
K_NR_CITIES = "nr_cities"
K_NR_COVERAGE = "nr_coverage"
K_NR_COMBINATION = "nr_combination"
# Widget values kept when the user moves to another page and back (Streamlit forgets the
# value of a widget that is not drawn in a run; re-assigning it keeps it).
PERSISTENT_KEYS = (K_NR_QUERY, K_NR_REASONS, K_NR_METHODS, K_NR_STATUSES, K_NR_CITIES,
                   K_NR_COVERAGE, K_DIAG_QUERY)
NR_FILTER_KEYS = (K_NR_QUERY, K_NR_REASONS, K_NR_METHODS, K_NR_STATUSES, K_NR_CITIES,
                  K_NR_COVERAGE)

AUTO_HEIGHT_ROWS = 15  # smaller tables take their natural height
PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False, "displayModeBar": False}


def pages() -> dict[str, list[Any]]:
    """The navigation: sections and pages (``st.Page`` over the files in ``pages/``)."""
    return {
        "Visão geral": [
            st.Page(PAGE_COBERTURA, title="Cobertura", icon=":material/donut_small:",
                    url_path="cobertura", default=True),
            st.Page(PAGE_MOTIVOS, title="Motivos", icon=":material/filter_alt:",
                    url_path="motivos"),
        ],
        "Suporte": [
            st.Page(PAGE_NAO_RECEBEM, title="Não recebem", icon=":material/unsubscribe:",
                    url_path="nao-recebem"),
            st.Page(PAGE_DIAGNOSTICO, title="Diagnóstico", icon=":material/person_search:",
                    url_path="diagnostico"),
        ],
        "Administração": [
            st.Page(PAGE_CONFIGURACAO, title="Configuração", icon=":material/settings:",
                    url_path="configuracao"),
            st.Page(PAGE_DADOS, title="Dados", icon=":material/database:", url_path="dados"),
        ],
    }


# ---------------------------------------------------------------------------------------------
# Secrets and access


def secrets() -> dict[str, Any]:
    """``st.secrets`` as a plain dict ({} when there is none; an unreadable one never gets
    here: the gate of ``app.py`` stops the app first)."""
    try:
        return st.secrets.to_dict()
    except StreamlitSecretNotFoundError:  # no secrets.toml: nothing configured
        return {}
    except Exception as err:  # an unreadable one: run as if none, and say so in the log
        log.warning("secrets.toml ilegível: %s", err)
        return {}


def has_access() -> bool:
    """Whether this session is in, without drawing anything (pages re-check it, so a page
    script run without app.py never shows data)."""
    return gate.has_access()


def keep_widget_values() -> None:
    """Keep the filters' values while the user visits other pages."""
    for key in PERSISTENT_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


# ---------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True)
class Loaded:
    audit: Audit
    loaded_at: dt.datetime
    seconds: float


@dataclass(frozen=True)
class AppContext:
    source: DataSource
    period: Period
    loaded: Loaded

    @property
    def audit(self) -> Audit:
        return self.loaded.audit

    @property
    def key(self) -> tuple[str, str, dt.date, dt.date, str]:
        """Small, hashable identity of the loaded audit (derived caches are keyed on it)."""
        return (self.source.url, self.source.origin, self.period.start, self.period.end,
                self.loaded.loaded_at.isoformat())


Progress = Callable[[str], None]


@st.cache_resource(ttl=AUDIT_TTL_SECONDS, max_entries=12, show_spinner=False)
def _load(url: str, origin: str, start: dt.date, end: dt.date,
          _progress: Progress | None = None) -> Loaded:
    began = time.perf_counter()
    audit = run_audit(DataSource(url, origin), Period(start, end), progress=_progress)
    return Loaded(audit, dt.datetime.now(), time.perf_counter() - began)


@st.cache_resource(show_spinner=False)
def _ensure_demo(path: str, _progress: Progress | None = None) -> bool:
    """Generate the demo database once per process (concurrent sessions wait for it)."""
    from carteiro.demo.first_use import ensure_demo_database

    return ensure_demo_database(_progress)


def clear_caches() -> None:
    """Forget every loaded audit and what was derived from it (the refresh button, and after a
    sender test)."""
    _load.clear()
    _customer_index.clear()
    _support_data.clear()
    _email_log.clear()


def _load_with_status(source: DataSource, period: Period, what: str) -> Loaded:
    """Load (or take from the cache) the audit of ``period``, showing each step."""
    slot = st.empty()
    with slot.status(f"Carregando {what}…", expanded=False) as status:
        loaded = _load(source.url, source.origin, period.start, period.end,
                       _progress=lambda message: status.update(label=message))
    slot.empty()
    return loaded


def _stop_with_error(source: DataSource, title: str, message: str, hints: Sequence[str],
                     connection: Any) -> None:
    connection.markdown("🔴 **Sem conexão**" if title.startswith("Não foi possível ler")
                        else "🟠 **Erro ao analisar**")
    st.error(access.text(message), title=title, icon="🚨")
    st.markdown("**O que verificar:**\n" + "\n".join(f"- {hint}" for hint in hints))
    st.caption(f"Fonte de dados: {access.text(source.display)} (definida por "
               f"{access.text(source.origin)}).")
    st.stop()


def _source_hints(source: DataSource) -> list[str]:
    where = {
        "CARTEIRO_DB_URL": "a variável de ambiente CARTEIRO_DB_URL",
        "secrets.toml": "[connections.erp] em .streamlit/secrets.toml",
        "demo": "o arquivo demo.sqlite na pasta do projeto",
    }.get(source.origin, source.origin)
    return [
        f"se o endereço do banco está certo ({where});",
        "se o servidor do banco está no ar e aceita conexões desta máquina (firewall, VPN);",
        "se o usuário e a senha estão certos e se o usuário pode ler as tabelas do ERP;",
        "depois de corrigir, clique em «Atualizar dados» na barra lateral.",
    ]


def _period_from_query() -> Period | None:
    """A period given in the link (``?inicio=2024-03-01&fim=2024-03-31``), read when a session
    starts, so a page can be shared with its period."""
    start, end = st.query_params.get("inicio"), st.query_params.get("fim")
    if not start:
        return None
    try:
        first = dt.date.fromisoformat(str(start))
        last = dt.date.fromisoformat(str(end)) if end else Period.month_of(first).end
        return Period(first, last)
    except (ValueError, CarteiroError):
        return None


def _period_sidebar() -> Period:
    today = dt.date.today()
    current = Period.current_month(today)
    if K_PERIOD not in st.session_state:
        linked = _period_from_query()
        start, end = (linked.start, linked.end) if linked else (current.start, current.end)
        st.session_state[K_PERIOD] = (start, end)

    def set_month(period: Period) -> None:
        st.session_state[K_PERIOD] = (period.start, period.end)

    chosen = st.sidebar.date_input(
        "Período de análise", key=K_PERIOD, format="DD/MM/YYYY",
        min_value=dt.date(2000, 1, 1), max_value=dt.date(today.year + 5, 12, 31),
        help="Faturas com vencimento entre as duas datas (inclusive). Padrão: o mês atual.",
    )
    left, right = st.sidebar.columns(2)
    left.button("Mês atual", on_click=set_month, args=(current,), width="stretch")
    right.button("Mês anterior", on_click=set_month, args=(current.previous(),),
                 width="stretch")
    dates = tuple(chosen) if isinstance(chosen, list | tuple) else (chosen,)
    if len(dates) == 2 and dates[0] and dates[1]:
        period = Period(min(dates), max(dates))
        st.session_state[K_LAST_PERIOD] = period
        return period
    st.sidebar.caption("Escolha também a data final; até lá, vale o período anterior.")
    last = st.session_state.get(K_LAST_PERIOD)
    return last if isinstance(last, Period) else current


def load_context() -> AppContext:
    """Sidebar (data source, period, refresh), then the audit — or a pt-BR error and stop."""
    sidebar = st.sidebar
    try:
        source = resolve_source()
    except CarteiroError as err:
        st.error(access.text(err), title="Configuração da fonte de dados inválida", icon="🚨")
        st.stop()
    sidebar.markdown("**Fonte de dados**")
    if source.is_demo:
        sidebar.markdown(":orange-badge[Demonstração] dados fictícios")
    else:
        sidebar.markdown(access.text(source.display))
        sidebar.caption(f"Definida por {access.text(source.origin)}")
    connection = sidebar.empty()
    period = _period_sidebar()
    sidebar.button("Atualizar dados", icon=":material/refresh:", on_click=clear_caches,
                   width="stretch",
                   help="Relê o banco do ERP agora (os dados são guardados por 10 minutos).")

    demo_path = demo_db_path()
    if source.is_demo and not demo_path.exists():
        with st.status("Criando o banco de demonstração…", expanded=False) as status:
            created = _ensure_demo(str(demo_path),
                                   _progress=lambda message: status.update(label=message))
            status.update(label="Banco de demonstração criado", state="complete")
        if created:
            st.session_state[K_DEMO_CREATED] = True
    if st.session_state.pop(K_DEMO_CREATED, False):
        st.toast("Banco de demonstração criado", icon="🧪")
        st.info(f"O banco de demonstração **{demo_path.name}** foi gerado agora, com "
                "10.000 clientes fictícios e 12 meses de faturas. Para analisar o seu ERP, "
                "configure [connections.erp] em .streamlit/secrets.toml.", icon="🧪")

    try:
        loaded = _load_with_status(source, period, "os dados do ERP")
    except DataSourceError as err:
        _stop_with_error(source, "Não foi possível ler o banco de dados do ERP", str(err),
                         _source_hints(source), connection)
        raise  # unreachable: st.stop() ends the run
    except CarteiroError as err:
        _stop_with_error(source, "Não foi possível analisar os dados", str(err), [
            "se as consultas em queries/*.sql devolvem as colunas esperadas;",
            "se o período escolhido é válido.",
        ], connection)
        raise
    except Exception:
        log.exception("falha inesperada ao carregar o audit")
        _stop_with_error(source, "Não foi possível ler o banco de dados do ERP",
                         "Erro inesperado ao ler ou analisar os dados. Os detalhes foram "
                         "registrados no log do servidor.", _source_hints(source), connection)
        raise
    connection.markdown(
        f"🟢 **Conectado** · dados de {loaded.loaded_at:%H:%M} "
        f"({fmt.decimal(loaded.seconds, 1)} s)")
    context = AppContext(source, period, loaded)
    st.session_state[K_CONTEXT] = context
    return context


def context() -> AppContext:
    """The context ``app.py`` loaded for this run."""
    value = st.session_state.get(K_CONTEXT)
    if isinstance(value, AppContext) and has_access():
        return value
    # The page ran without app.py: in the first session after the server starts, Streamlit
    # 1.67 still serves the files of pages/ directly (its legacy pages/ mode) until
    # st.navigation is first called, so /data runs pages/data.py alone. Never show data then:
    # the gate, the period and the loading live in app.py.
    st.error("Abra o Carteiro pelo endereço principal (sem o nome da página no fim).",
             icon="🔒")
    st.stop()
    raise AssertionError("unreachable")


def previous_audit(ctx: AppContext) -> Audit | None:
    """The audit of the previous period of the same length (None when it cannot be read)."""
    previous = ctx.period.previous()
    try:
        return _load_with_status(ctx.source, previous,
                                 f"o período anterior ({previous.label()})").audit
    except CarteiroError as err:
        st.warning(f"Sem comparação com o período anterior: {access.text(err)}")
        return None


@st.cache_resource(ttl=AUDIT_TTL_SECONDS, max_entries=12, show_spinner=False)
def _customer_index(key: tuple[Any, ...], _audit: Audit) -> pd.DataFrame:
    return non_recipients_view.customer_index(_audit)


@st.cache_resource(ttl=AUDIT_TTL_SECONDS, max_entries=12, show_spinner=False)
def _support_data(key: tuple[Any, ...], _audit: Audit) -> non_recipients_view.SupportData:
    return non_recipients_view.support_data(_audit, _customer_index(key, _audit))


@st.cache_resource(ttl=AUDIT_TTL_SECONDS, max_entries=24, show_spinner=False)
def _capacity(key: tuple[Any, ...], daily_cap: int | None, _audit: Audit) -> pd.DataFrame:
    from carteiro.views import capacity as capacity_view

    return capacity_view.capacity_table(_audit, daily_cap=daily_cap)


def capacity_table(ctx: AppContext, daily_cap: int | None) -> pd.DataFrame:
    return _capacity(ctx.key, daily_cap, ctx.audit)


def customer_index(ctx: AppContext) -> pd.DataFrame:
    return _customer_index(ctx.key, ctx.audit)


def support_data(ctx: AppContext) -> non_recipients_view.SupportData:
    return _support_data(ctx.key, ctx.audit)


@st.cache_data(ttl=LOG_TTL_SECONDS, max_entries=200, show_spinner=False)
def _email_log(url: str, customer_id: int) -> pd.DataFrame:
    return load_email_log(url, customer_id)


def email_log(ctx: AppContext, customer_id: int) -> pd.DataFrame:
    return _email_log(ctx.source.url, int(customer_id))


# ---------------------------------------------------------------------------------------------
# Display helpers


def show_alerts(audit: Audit) -> None:
    """Conditions 1 and 2 (configuration faults) above every page, in red."""
    for alert in audit.alerts:
        st.error(
            f"{access.text(alert.detail)} Faturas bloqueadas no período: "
            f"**{fmt.integer(alert.invoices)}**.  \n"
            f"Onde corrigir: **{alert.menu_path}**",
            title=access.text(alert.title), icon="🚨",
        )


def table(frame: pd.DataFrame, headers: Mapping[str, str], *, money: Sequence[str] = (),
          integers: Sequence[str] = (), percent: Sequence[str] = (),
          dates: Sequence[str] = (), ids: Sequence[str] = (), key: str | None = None,
          selectable: bool = False, height: int | str = "auto",
          column_config: Mapping[str, Any] | None = None) -> Any:
    """``st.dataframe`` with pt-BR headers (``headers``: column → header, the view's
    ``*_HEADERS``) and formats: dates ``dd/mm/aaaa`` through ``column_config``; money, counts and
    shares through a Styler (the values underneath stay numbers, so the columns sort right). A
    ``column_config`` entry without a label takes the column's header."""
    config: dict[str, Any] = {}
    for column in frame.columns:
        label = headers.get(column, column)
        if column in dates:
            config[column] = st.column_config.DateColumn(label, format="DD/MM/YYYY")
        elif column in ids:
            config[column] = st.column_config.NumberColumn(label, format="%d")
        else:
            config[column] = label
    for column, settings in (column_config or {}).items():
        if isinstance(settings, Mapping) and settings.get("label") is None:
            settings = {**settings, "label": headers.get(column, column)}
        config[column] = settings
    data: Any = frame
    if money or integers or percent:
        data = tables_view.pt_br_styler(frame, money=money, integers=integers, percent=percent)
    options: dict[str, Any] = {}
    if selectable:
        options = {"on_select": "rerun", "selection_mode": "single-row"}
    if len(frame) <= AUTO_HEIGHT_ROWS:
        height = "auto"
    return st.dataframe(data, column_config=config, hide_index=True, width="stretch",
                        height=height, key=key, placeholder="—", **options)


def selected_row(event: Any) -> int | None:
    """The row position selected in a ``st.dataframe`` event, if any."""
    selection = event.get("selection") if isinstance(event, Mapping) else None
    rows = selection.get("rows") if isinstance(selection, Mapping) else None
    return int(rows[0]) if rows else None


def open_non_recipients(*, reasons: Sequence[str] = (), combination: int | None = None) -> None:
    """Go to «Não recebem» showing only the customers of a reason or of a combination."""
    for key in NR_FILTER_KEYS:
        st.session_state.pop(key, None)
    st.session_state[K_NR_REASONS] = list(reasons)
    st.session_state[K_NR_COMBINATION] = combination
    st.switch_page(PAGE_NAO_RECEBEM)


def open_diagnosis(customer_id: int) -> None:
    st.session_state[K_DIAG_CUSTOMER] = int(customer_id)
    st.session_state[K_DIAG_QUERY] = ""
    st.switch_page(PAGE_DIAGNOSTICO)


def no_invoices_notice(ctx: AppContext) -> None:
    st.info(f"Nenhuma fatura não cancelada com vencimento entre {ctx.period.label()}. "
            "Escolha outro período na barra lateral.", icon="📭")

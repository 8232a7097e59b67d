"""Streamlit plumbing shared by ``app.py`` and the pages: access gate, sidebar, cached loading,
the shared :class:`AppContext`, and (re-exported) the pt-BR table helper of
``pages/_tables.py``. The sidebar's period is ``pages/_period.py``, the state a URL holds
``pages/_url.py``, the navigation ``pages/_nav.py``.

How the pages share the audit: ``app.py`` calls :func:`load_context` on every run, before
``st.navigation(...).run()``. It loads the Audit through :func:`_load` — :data:`AUDITS`, a
:class:`~carteiro.memory_cache.MemoryCache` bounded by ``CARTEIRO_CACHE_MB`` and keyed on
``(url, origin, start, end)``, so the frames are never hashed nor copied and a rerun costs
nothing — and puts an :class:`AppContext` (source, period, the cached Audit) in
``st.session_state``. Each page reads it with :func:`context`. Derived frames that cost more
than a few milliseconds (the customer search index, the non-recipients table) are kept in the same
cache, keyed on the context's small :attr:`AppContext.key`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from carteiro import access, localtime, memory_cache
from carteiro import formatting as fmt
from carteiro.delivery.engine import reconcile
from carteiro.delivery.result import Delivery
from carteiro.delivery.run import PendingSendLog, read_send_log
from carteiro.erp.load import load_email_log
from carteiro.erp.source import DataSource, demo_db_path, resolve_source
from carteiro.errors import CarteiroError, DataSourceError
from carteiro.period import Period
from carteiro.rules.audit import run_audit
from carteiro.rules.engine import Audit
from carteiro.views import deliveries as deliveries_view
from carteiro.views import non_recipients as non_recipients_view
from pages import _gate as gate
from pages import _nav as nav
from pages import _period as period_widgets
from pages import _url as url_state
from pages._tables import selected_row, table  # noqa: F401  (the pages' table helpers)

log = logging.getLogger("carteiro.app")

AUDIT_TTL_SECONDS = 600  # the ERP changes during the day: reload at most every 10 minutes
LOG_TTL_SECONDS = 120

# The pages (``pages/_nav.py``) and the session-state keys of their state (``pages/_url.py``).
PAGE_COBERTURA = nav.PAGE_COBERTURA
PAGE_MOTIVOS = nav.PAGE_MOTIVOS
PAGE_NAO_RECEBEM = nav.PAGE_NAO_RECEBEM
PAGE_DIAGNOSTICO = nav.PAGE_DIAGNOSTICO
PAGE_CONFIGURACAO = nav.PAGE_CONFIGURACAO
PAGE_DADOS = nav.PAGE_DADOS
PAGE_ENTREGAS = nav.PAGE_ENTREGAS

K_CONTEXT = "_carteiro_context"
K_DEMO_CREATED = "_carteiro_demo_created"
K_PERIOD = period_widgets.K_PERIOD
K_DIAG_CUSTOMER = url_state.K_DIAG_CUSTOMER
K_DIAG_QUERY = url_state.K_DIAG_QUERY
K_NR_QUERY = url_state.K_NR_QUERY
K_NR_REASONS = url_state.K_NR_REASONS
K_NR_METHODS = url_state.K_NR_METHODS
K_NR_STATUSES = url_state.K_NR_STATUSES
K_NR_CITIES = url_state.K_NR_CITIES
K_NR_COVERAGE = url_state.K_NR_COVERAGE
K_NR_COMBINATION = url_state.K_NR_COMBINATION
K_DATA_KINDS = url_state.K_DATA_KINDS
K_AS_OF = url_state.K_AS_OF
# Widget values kept when the user moves to another page and back (Streamlit forgets the
# value of a widget that is not drawn in a run; re-assigning it keeps it).
PERSISTENT_KEYS = (K_NR_QUERY, K_NR_REASONS, K_NR_METHODS, K_NR_STATUSES, K_NR_CITIES,
                   K_NR_COVERAGE, K_DIAG_QUERY, K_DATA_KINDS, K_AS_OF)
NR_FILTER_KEYS = (K_NR_QUERY, K_NR_REASONS, K_NR_METHODS, K_NR_STATUSES, K_NR_CITIES,
                  K_NR_COVERAGE)

PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False, "displayModeBar": False}


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


CACHE_BUDGET, CACHE_WARNING = memory_cache.budget_from_env()
if CACHE_WARNING:
    log.warning(CACHE_WARNING)
# The audits (and what Cobertura derives from earlier months), bounded by memory: at a million
# customers one audit is about a gigabyte, so a count of entries bounds nothing.
AUDITS = memory_cache.MemoryCache(CACHE_BUDGET, ttl=AUDIT_TTL_SECONDS)


# The send log of a period whose audit is loading, read meanwhile (every page's day alert
# needs it next); taken by :func:`delivery`. At most two wait: one not taken (its delivery was
# still cached) is dropped rather than kept.
_SEND_LOGS: dict[tuple[str, dt.date, dt.date], PendingSendLog] = {}
_SEND_LOGS_LOCK = threading.Lock()
_SEND_LOGS_KEPT = 2


def _prefetch_send_log(url: str, period: Period) -> None:
    try:
        pending = PendingSendLog(url, period)
    except Exception:  # delivery() reads it again and explains the failure
        return
    with _SEND_LOGS_LOCK:
        _SEND_LOGS[(url, period.start, period.end)] = pending
        while len(_SEND_LOGS) > _SEND_LOGS_KEPT:
            _SEND_LOGS.pop(next(iter(_SEND_LOGS)))


def _send_log(url: str, period: Period) -> pd.DataFrame:
    """The period's send log: the one read beside its audit, else read now."""
    with _SEND_LOGS_LOCK:
        pending = _SEND_LOGS.pop((url, period.start, period.end), None)
    return pending.result() if pending is not None else read_send_log(url, period)


def _load(url: str, origin: str, start: dt.date, end: dt.date,
          _progress: Progress | None = None) -> Loaded:
    def load() -> Loaded:
        began = time.perf_counter()
        _prefetch_send_log(url, Period(start, end))
        audit = run_audit(DataSource(url, origin), Period(start, end), progress=_progress)
        return Loaded(audit, dt.datetime.now(), time.perf_counter() - began)

    return AUDITS.get_or_load(("audit", url, origin, start, end), load)


@st.cache_resource(show_spinner=False)
def _ensure_demo(path: str, _progress: Progress | None = None) -> bool:
    """Generate the demo database once per process (concurrent sessions wait for it)."""
    from carteiro.demo.first_use import ensure_demo_database

    return ensure_demo_database(_progress)


def clear_caches() -> None:
    """Forget every loaded audit and what was derived from it (the refresh button, and after a
    sender test)."""
    AUDITS.clear()
    _email_log.clear()
    with _SEND_LOGS_LOCK:
        _SEND_LOGS.clear()


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


def load_context(url_path: str = "") -> AppContext:
    """The link's state (once per session), the sidebar (period, data source, refresh), then
    the audit — or a pt-BR error and stop. ``url_path``: the page about to run."""
    url_state.set_page(url_path)
    url_state.read_once(url_path)
    sidebar = st.sidebar
    period = period_widgets.sidebar()
    url_state.show_warnings()
    url_state.publish()
    try:
        source = resolve_source()
    except CarteiroError as err:
        st.error(access.text(err), title="Configuração da fonte de dados inválida", icon="🚨")
        st.stop()
    sidebar.divider()
    sidebar.markdown("**Fonte de dados**")
    if source.is_demo:
        sidebar.markdown(":orange-badge[Demonstração] dados fictícios")
    else:
        sidebar.markdown(access.text(source.display))
        sidebar.caption(f"Definida por {access.text(source.origin)}")
    connection = sidebar.empty()
    if CACHE_WARNING:
        sidebar.warning(CACHE_WARNING, icon="⚠️")
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
        f"🟢 **Conectado** · dados de {_clock(loaded.loaded_at)} "
        f"({fmt.decimal(loaded.seconds, 1)} s)")
    context = AppContext(source, period, loaded)
    st.session_state[K_CONTEXT] = context
    return context


def _clock(moment: dt.datetime) -> str:
    """``HH:MM`` of a moment of this machine's clock, in the provider's time zone (the one of
    every other time the dashboard shows)."""
    try:
        return f"{localtime.from_system_clock(moment):%H:%M}"
    except CarteiroError:  # an unknown CARTEIRO_TIMEZONE: the sender test says so
        return f"{moment:%H:%M}"


def run_page(page: Any) -> None:
    """Run the page; an unexpected failure is one pt-BR message (details in the server's
    log), never Streamlit's English one, and the sidebar stays."""
    try:
        page.run()
    except Exception:
        log.exception("falha inesperada ao mostrar a página %s", getattr(page, "title", ""))
        st.error("Erro inesperado ao mostrar esta página. Os detalhes foram registrados no "
                 "log do servidor. Escolha outro período ou clique em «Atualizar dados» na "
                 "barra lateral.", title="Não foi possível mostrar a página", icon="🚨")


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


def _customer_index(key: tuple[Any, ...], _audit: Audit) -> pd.DataFrame:
    return AUDITS.get_or_load(("customer_index", *key),
                              lambda: non_recipients_view.customer_index(_audit))


def _support_data(key: tuple[Any, ...], _audit: Audit) -> non_recipients_view.SupportData:
    return AUDITS.get_or_load(("support_data", *key), lambda: non_recipients_view.support_data(
        _audit, _customer_index(key, _audit)))


def _capacity(key: tuple[Any, ...], daily_cap: int | None, _audit: Audit) -> pd.DataFrame:
    from carteiro.views import capacity as capacity_view

    return AUDITS.get_or_load(("capacity", *key, daily_cap),
                              lambda: capacity_view.capacity_table(_audit, daily_cap=daily_cap))


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


def delivery(ctx: AppContext, as_of: dt.date) -> Delivery:
    """The send log of the context's period reconciled with the (cached) audit, as of
    ``as_of``: only ``queries/send_log.sql`` is read again. Cached per audit and as-of date in
    :data:`AUDITS` (bounded by memory); raises what reading the send log raises."""
    audit, url = ctx.audit, ctx.source.url
    return AUDITS.get_or_load(("delivery", *ctx.key, as_of),
                              lambda: reconcile(audit, _send_log(url, audit.period), as_of))


def failing_addresses(ctx: AppContext, found: Delivery) -> pd.DataFrame:
    """«Entregas»' failing addresses (cached: grouping the log by address takes 0,6 s at
    100.000 customers)."""
    return AUDITS.get_or_load(("failing_addresses", *ctx.key, found.as_of),
                              lambda: deliveries_view.failing_addresses_table(found))


def delivery_or_error(ctx: AppContext, as_of: dt.date) -> Delivery | None:
    """:func:`delivery`, or a pt-BR error (never a traceback) and None."""
    try:
        return delivery(ctx, as_of)
    except CarteiroError as err:
        detail = access.text(err)
    except Exception:
        log.exception("falha inesperada ao ler o log de envios")
        detail = "Erro inesperado ao ler ou conferir o log. Os detalhes foram registrados no " \
                 "log do servidor."
    st.error(f"{detail}  \nConfira se a consulta queries/send_log.sql lê a tabela "
             "email_enviado do ERP e clique em «Atualizar dados» na barra lateral.",
             title="Não foi possível ler o log de envios de e-mail", icon="🚨")
    return None


def show_day_alerts(ctx: AppContext) -> None:
    """Each day without sends before the as-of date, in red like conditions 1 and 2 (one box
    per day, or one for them all beyond three days; nothing when the send log cannot be read:
    «Entregas» says why)."""
    try:
        alerts = deliveries_view.day_alerts(delivery(ctx, url_state.as_of()))
    except Exception as err:  # the page that needs the log shows the error itself
        log.warning("alerta de dia sem envios indisponível: %s", err)
        return
    for alert in alerts:
        st.error(f"{access.text(alert.detail)}  \nVerificar: **{alert.menu_path}**",
                 title=access.text(alert.title), icon="🚨")


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
    st.info(f"Nenhuma fatura não cancelada com vencimento de {ctx.period.label()}. "
            "Escolha outro período na barra lateral.", icon="📭")

"""The sender test widget of the Configuração page: Carteiro's version of the ERP's
«Remetente de Email > Ações > Testar», built on :mod:`carteiro.sender.smtp` (the SMTP dialogue)
and :mod:`carteiro.sender.history` (the test history that condition 2 reads).

The server is an ERP sender (its settings shown, read-only) or typed by hand. The SMTP password
comes from ``[senders.<id>] password`` in ``.streamlit/secrets.toml`` or is typed; a typed
password lives only in the widget until the test runs, then the widget is cleared. It is never
written to the history, the screen or the log.

After a test of an ERP sender the widget says what it means for condition 2: a refusal counts
at once (the sentence says which invoices it blocks); a failure to reach the server may be this
machine's network, so it is recorded unconfirmed and the widget asks «Este erro reflete o
remetente do ERP?», saying which invoices would change, before it counts. The question also
comes back for a sender whose latest test is such an unconfirmed failure (e.g. one recorded
before this rule). The history says, per test, whether it counts and why.

The SMTP package is imported when the widget is drawn, not with the page: an installation
without its dependencies shows a notice instead of the widget.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import streamlit as st

from carteiro import access
from carteiro import formatting as fmt
from carteiro.columns import Sender
from carteiro.errors import CarteiroError
from carteiro.rules.engine import Audit
from carteiro.sender.settings import (
    SECURITIES,
    SECURITY_LABELS,
    sender_password,
    sender_settings,
)
from carteiro.views import labels as labels_view
from carteiro.views import sender_test as sender_test_view
from pages import _common as common

K_MODE = "smtp_mode"
K_SENDER = "smtp_sender"
K_PASSWORD = "smtp_password"
K_RESULT = "smtp_last_result"
K_RECORD = "smtp_last_record"  # the RecordedTest of the last result
K_DISMISSED = "smtp_dismissed_reach"  # reach failures the person said are not the ERP's
K_NOTICE = "smtp_notice"  # what the last confirmation did
# Streamlit's English «Press Enter to apply» under a field being typed in: text fields commit
# as the person pauses (live), number fields are narrow enough (≤ 180 px) not to show it.
LIVE: dict[str, Any] = {"live": "400ms"}
NUMBER_WIDTH = 180
MODE_ERP = "erp"
MODE_MANUAL = "manual"
HISTORY_LIMIT = 30


@dataclass(frozen=True)
class _Server:
    """The server to test and the sender's identity on it, as the fields give them."""

    host: str
    port: int
    security: str
    user: str | None
    from_addr: str | None
    sender_id: int | None = None  # the ERP sender, when one was chosen


@dataclass(frozen=True)
class _Request:
    """What the test needs besides the server: the recipient, the password, the options."""

    to_addr: str
    password: str | None
    timeout: float
    verify_tls: bool


def render(ctx: common.AppContext) -> None:
    """The whole widget: the server, the password, the button, the result, the history."""
    if not _available():
        st.info("O teste de remetente não está disponível nesta instalação.")
        return
    server = _server_fields(ctx.audit)
    stored, to_addr = _password_and_recipient(server.sender_id)
    timeout, verify = _advanced_options()
    if st.button("Enviar e-mail de teste", type="primary", icon=":material/send:",
                 key="smtp_send"):
        request = _Request(
            to_addr=to_addr or "",
            password=stored or st.session_state.get(K_PASSWORD) or None,
            timeout=timeout,
            verify_tls=verify,
        )
        _run_and_record(ctx, server, request)
    result = st.session_state.get(K_RESULT)
    if result is not None:
        _show_result(result)
    _condition_2(ctx, server.sender_id)
    _show_history(ctx)


def _available() -> bool:
    """Whether the SMTP test and its history can be imported in this installation."""
    try:
        for module in ("carteiro.sender.history", "carteiro.sender.smtp"):
            importlib.import_module(module)
    except ImportError:
        return False
    return True


def _server_fields(audit: Audit) -> _Server:
    """Choose an ERP sender or type the server: the mode radio, then that mode's fields."""
    sender_ids = [int(i) for i in audit.senders[Sender.ID].dropna()]
    modes = [MODE_ERP, MODE_MANUAL] if sender_ids else [MODE_MANUAL]
    mode = st.radio("Servidor a testar", modes, horizontal=True, key=K_MODE,
                    format_func={MODE_ERP: "Remetente cadastrado no ERP",
                                 MODE_MANUAL: "Digitar os dados"}.get)
    if mode == MODE_ERP:
        return _erp_sender_fields(audit, sender_ids)
    return _manual_fields()


def _erp_sender_fields(audit: Audit, sender_ids: list[int]) -> _Server:
    """An ERP sender chosen from the list; its settings are shown but cannot be edited."""
    labels = labels_view.sender_labels(audit)
    sender_id = st.selectbox("Remetente", sender_ids, key=K_SENDER,
                             format_func=lambda i: str(labels.get(i, i)))
    settings = sender_settings(audit.senders, sender_id)
    cols = st.columns([3, 1, 2])
    cols[0].text_input("Servidor", settings.host, disabled=True, key="smtp_erp_host")
    cols[1].text_input("Porta", str(settings.port), disabled=True, key="smtp_erp_port")
    cols[2].text_input("Segurança", SECURITY_LABELS.get(settings.security, settings.security),
                       disabled=True, key="smtp_erp_security")
    cols = st.columns(2)
    cols[0].text_input("Usuário", settings.username or "", disabled=True, key="smtp_erp_user")
    cols[1].text_input("E-mail de origem", settings.from_address or "", disabled=True,
                       key="smtp_erp_from")
    return _Server(settings.host, settings.port, settings.security, settings.username,
                   settings.from_address, sender_id)


def _manual_fields() -> _Server:
    """A server typed by hand (default: STARTTLS on port 587)."""
    cols = st.columns([3, 1, 2])
    host = cols[0].text_input("Servidor", key="smtp_host", placeholder="smtp.provedor.com.br",
                              **LIVE)
    port = int(cols[1].number_input("Porta", 1, 65535, 587, step=1, key="smtp_port",
                                    width=NUMBER_WIDTH))
    security = cols[2].selectbox("Segurança", list(SECURITIES), index=1,
                                 format_func=lambda s: SECURITY_LABELS.get(s, s),
                                 key="smtp_security")
    cols = st.columns(2)
    user = cols[0].text_input("Usuário", key="smtp_user", **LIVE) or None
    from_addr = cols[1].text_input("E-mail de origem", key="smtp_from", **LIVE) or None
    return _Server(host, port, security, user, from_addr)


def _password_and_recipient(sender_id: int | None) -> tuple[str | None, str]:
    """The password field (read-only when secrets.toml has it) and the recipient field.

    Returns the stored password, if any (a typed one stays in the widget, ``K_PASSWORD``), and
    the recipient.
    """
    stored = sender_password(common.secrets(), sender_id)
    cols = st.columns(2)
    if stored:
        cols[0].text_input("Senha", "••••••••", disabled=True, key="smtp_stored_password",
                           help=f"Lida de [senders.{sender_id}] em .streamlit/secrets.toml.")
    else:
        cols[0].text_input("Senha", type="password", key=K_PASSWORD, **LIVE,
                           help="Usada só neste teste: não é guardada nem exibida. Para não "
                                "digitar, configure [senders.<id>] password no secrets.toml.")
    to_addr = cols[1].text_input("Enviar o teste para", key="smtp_to",
                                 placeholder="voce@provedor.com.br", **LIVE)
    return stored, to_addr


def _advanced_options() -> tuple[float, bool]:
    """The timeout of each stage and whether the TLS certificate is verified."""
    from carteiro.sender.smtp import DEFAULT_TIMEOUT

    with st.expander("Opções avançadas"):
        # Whole seconds: a float field would show «10.00», with an English decimal point.
        timeout = st.number_input("Tempo limite de cada etapa (segundos)", 1, 120,
                                  round(DEFAULT_TIMEOUT), step=1, key="smtp_timeout",
                                  width=NUMBER_WIDTH)
        verify = st.checkbox("Verificar o certificado TLS", value=True, key="smtp_verify")
    return float(timeout), bool(verify)


def _run_and_record(ctx: common.AppContext, server: _Server, request: _Request) -> None:
    """Run the test, record it in the history, forget the typed password and rerun."""
    from carteiro.sender.history import StateStore
    from carteiro.sender.smtp import run_smtp_test

    try:
        with st.spinner(f"Testando {access.text(f'{server.host}:{server.port}')}…",
                        show_time=True):
            result = run_smtp_test(server.host, server.port, server.security,
                                   to_addr=request.to_addr, from_addr=server.from_addr,
                                   user=server.user, password=request.password,
                                   timeout=request.timeout, verify_tls=request.verify_tls)
    except ValueError as err:
        st.error(access.text(err))
        return
    try:
        record = StateStore().record_sender_test(result, source=ctx.source.url,
                                                 sender_id=server.sender_id)
    except CarteiroError as err:
        st.error(str(err), title="O resultado não foi gravado no histórico")
        return
    st.session_state[K_RESULT] = result
    st.session_state[K_RECORD] = record
    st.session_state.pop(K_NOTICE, None)
    st.session_state.pop(K_PASSWORD, None)
    common.clear_caches()  # condition 2 reads the test history
    st.rerun()


def _show_result(result: Any) -> None:
    """The last result: the verdict, the warnings, the stages, TLS, the transcript."""
    target = access.text(f"{result.host}:{result.port}")
    if result.ok:
        st.success(access.text(result.message), title=f"Teste enviado por {target}", icon="✅")
    else:
        st.error(access.text(result.message), title=f"O teste por {target} falhou", icon="❌")
    for warning in result.warnings:
        st.warning(access.text(warning))
    st.markdown("**Etapas do diálogo SMTP**")
    Stage = sender_test_view.StageRow
    common.table(sender_test_view.smtp_stage_rows(result.stages),
                 sender_test_view.STAGE_HEADERS, key="smtp_stages", wrap=True,
                 widths={Stage.STAGE: 200, Stage.RESULT: 90, Stage.ELAPSED: 90,
                         Stage.CODE: 70, Stage.REPLY: 480})
    if result.tls is not None:
        st.markdown("**TLS**")
        common.table(sender_test_view.tls_rows(result.tls), sender_test_view.TLS_HEADERS,
                     key="smtp_tls")
    with st.expander("Transcrição da conversa com o servidor (sem a senha)"):
        st.code("\n".join(result.transcript) or "(vazia)", language=None)


def _condition_2(ctx: common.AppContext, sender_id: int | None) -> None:
    """What the last result means for condition 2, and the confirmation of a reach failure
    (of the last result, else of the chosen sender's latest test)."""
    from carteiro.sender.history import StateStore

    store = StateStore()
    notice = st.session_state.get(K_NOTICE)
    if notice:
        st.warning(access.text(notice), icon="⚠️")
    saved = st.session_state.get(K_RECORD)
    record = store.test(saved.test_id) if saved is not None else None
    if record is not None:
        _show_counting(ctx, record)
    pending = record if record is not None and record.awaits_confirmation else None
    if pending is None and sender_id is not None:
        latest = store.latest_test(ctx.source.url, sender_id)
        pending = latest if latest is not None and latest.awaits_confirmation else None
    if pending is not None and pending.test_id not in st.session_state.get(K_DISMISSED, ()):
        _ask_confirmation(ctx, pending)


def _show_counting(ctx: common.AppContext, record: Any) -> None:
    """Whether the last result counts for condition 2; for a counting failure, which invoices
    it blocks."""
    if record.sender_id is None:
        st.caption("Servidor digitado à mão: o teste fica no histórico, mas não conta para a "
                   "condição 2.")
    elif record.ok:
        st.caption("Condição 2: o teste deu certo e conta; o remetente conta como disponível.")
    elif record.counts:
        effect = sender_test_view.failure_effect(ctx.audit, record.sender_id, record.day,
                                                 counted=True)
        st.warning(access.text(sender_test_view.refusal_sentence(effect)), icon="⚠️")


def _ask_confirmation(ctx: common.AppContext, record: Any) -> None:
    """«Este erro reflete o remetente do ERP?», with what confirming will change."""
    from carteiro.sender.history import StateStore

    effect = sender_test_view.failure_effect(ctx.audit, record.sender_id, record.day,
                                             counted=False)
    with st.container(border=True, key="smtp_confirm_box"):
        st.markdown("**Este erro reflete o remetente do ERP?**")
        st.markdown(
            f"O teste de {fmt.date(record.day)} não alcançou o servidor (nome não encontrado, "
            "conexão recusada ou tempo esgotado). Isso pode ser a rede desta máquina, e não a "
            "do ERP: a falha fica no histórico, mas só conta para a condição 2 se você "
            "confirmar que ela reflete o remetente do ERP.")
        st.warning(access.text(sender_test_view.confirmation_sentence(effect)), icon="⚠️")
        cols = st.columns(2)
        if cols[0].button("Sim, reflete o remetente do ERP", key="smtp_confirm_reach",
                          type="primary"):
            confirmed = StateStore().confirm_reach_failure(record.test_id)
            if confirmed is not None:
                st.session_state[K_NOTICE] = (
                    "Falha de conexão confirmada: ela conta para a condição 2 a partir de "
                    f"{fmt.date(confirmed.day)}.")
            common.clear_caches()  # condition 2 reads the test history
            st.rerun()
        if cols[1].button("Não, foi a rede desta máquina", key="smtp_dismiss_reach"):
            dismissed = set(st.session_state.get(K_DISMISSED, ()))
            st.session_state[K_DISMISSED] = dismissed | {record.test_id}
            st.rerun()


def _show_history(ctx: common.AppContext) -> None:
    """The recent tests against this ERP database."""
    from carteiro.sender.history import StateStore

    st.markdown("**Testes recentes**")
    history = StateStore().recent_sender_tests(ctx.source.url, limit=HISTORY_LIMIT)
    if history.empty:
        st.caption("Nenhum teste registrado para este banco do ERP.")
    else:
        Row = sender_test_view.SenderTestRow
        common.table(sender_test_view.sender_tests_view(history, ctx.audit),
                     sender_test_view.SENDER_TEST_HEADERS, key="smtp_history", wrap=True,
                     primary=(Row.WHEN, Row.SENDER, Row.RESULT, Row.CONDITION_2, Row.MESSAGE),
                     widths={Row.WHEN: 150, Row.SENDER: 180, Row.RESULT: 100,
                             Row.CONDITION_2: 230, Row.MESSAGE: 280, Row.SERVER: 220,
                             Row.RECIPIENT: 200, Row.FAILED_STAGE: 120})

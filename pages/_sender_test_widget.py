"""The sender test widget of the Configuração page: Carteiro's version of the ERP's
«Remetente de Email > Ações > Testar», built on ``carteiro/smtp_test.py`` (the SMTP dialogue)
and ``carteiro/state.py`` (the test history that condition 2 reads).

The SMTP password comes from ``[senders.<id>] password`` in ``.streamlit/secrets.toml`` or is
typed; a typed password lives only in the widget until the test runs, then the widget is
cleared. It is never written to the history, the screen or the log.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from carteiro.columns import Sender
from carteiro.sender.settings import (
    SECURITIES,
    SECURITY_LABELS,
    sender_password,
    sender_settings,
)
from carteiro.views import sender_test as views  # widget being split: only imports change
from pages import _common as common

K_MODE = "smtp_mode"
K_SENDER = "smtp_sender"
K_PASSWORD = "smtp_password"
K_RESULT = "smtp_last_result"
MODE_ERP = "erp"
MODE_MANUAL = "manual"


def _show_result(result: Any) -> None:
    target = f"{result.host}:{result.port}"
    if result.ok:
        st.success(result.message, title=f"Teste enviado por {target}", icon="✅")
    else:
        st.error(result.message, title=f"O teste por {target} falhou", icon="❌")
    for warning in result.warnings:
        st.warning(warning)
    st.markdown("**Etapas do diálogo SMTP**")
    common.table(views.smtp_stage_rows(result.stages), views.STAGE_HEADERS, key="smtp_stages")
    if result.tls is not None:
        st.markdown("**TLS**")
        common.table(views.tls_rows(result.tls), views.TLS_HEADERS, key="smtp_tls")
    with st.expander("Transcrição da conversa com o servidor (sem a senha)"):
        st.code("\n".join(result.transcript) or "(vazia)", language=None)


def render(ctx: common.AppContext) -> None:
    try:
        from carteiro.sender.history import StateStore
        from carteiro.sender.smtp import DEFAULT_TIMEOUT, run_smtp_test
    except ImportError:
        st.info("O teste de remetente não está disponível nesta instalação.")
        return

    audit = ctx.audit
    senders = audit.senders
    sender_ids = [int(i) for i in senders[Sender.ID].dropna()]
    labels = views.sender_labels(audit)
    modes = [MODE_ERP, MODE_MANUAL] if sender_ids else [MODE_MANUAL]
    mode = st.radio("Servidor a testar", modes, horizontal=True, key=K_MODE,
                    format_func={MODE_ERP: "Remetente cadastrado no ERP",
                                 MODE_MANUAL: "Digitar os dados"}.get)
    sender_id: int | None = None
    if mode == MODE_ERP:
        sender_id = st.selectbox("Remetente", sender_ids, key=K_SENDER,
                                 format_func=lambda i: str(labels.get(i, i)))
        settings = sender_settings(audit.senders, sender_id)
        host, port, security = settings.host, settings.port, settings.security
        user, from_addr = settings.username, settings.from_address
        cols = st.columns([3, 1, 2])
        cols[0].text_input("Servidor", host, disabled=True, key="smtp_erp_host")
        cols[1].text_input("Porta", str(port), disabled=True, key="smtp_erp_port")
        cols[2].text_input("Segurança", SECURITY_LABELS.get(security, security), disabled=True,
                           key="smtp_erp_security")
        cols = st.columns(2)
        cols[0].text_input("Usuário", user or "", disabled=True, key="smtp_erp_user")
        cols[1].text_input("E-mail de origem", from_addr or "", disabled=True,
                           key="smtp_erp_from")
    else:
        cols = st.columns([3, 1, 2])
        host = cols[0].text_input("Servidor", key="smtp_host", placeholder="smtp.provedor.com.br")
        port = int(cols[1].number_input("Porta", 1, 65535, 587, step=1, key="smtp_port"))
        security = cols[2].selectbox("Segurança", list(SECURITIES), index=1,
                                     format_func=lambda s: SECURITY_LABELS.get(s, s),
                                     key="smtp_security")
        cols = st.columns(2)
        user = cols[0].text_input("Usuário", key="smtp_user") or None
        from_addr = cols[1].text_input("E-mail de origem", key="smtp_from") or None

    stored = sender_password(common.secrets(), sender_id)
    cols = st.columns(2)
    if stored:
        cols[0].text_input("Senha", "••••••••", disabled=True, key="smtp_stored_password",
                           help=f"Lida de [senders.{sender_id}] em .streamlit/secrets.toml.")
    else:
        cols[0].text_input("Senha", type="password", key=K_PASSWORD,
                           help="Usada só neste teste: não é guardada nem exibida. Para não "
                                "digitar, configure [senders.<id>] password no secrets.toml.")
    to_addr = cols[1].text_input("Enviar o teste para", key="smtp_to",
                                 placeholder="voce@provedor.com.br")
    with st.expander("Opções avançadas"):
        timeout = st.number_input("Tempo limite de cada etapa (segundos)", 1.0, 120.0,
                                  float(DEFAULT_TIMEOUT), step=1.0, key="smtp_timeout")
        verify = st.checkbox("Verificar o certificado TLS", value=True, key="smtp_verify")

    if st.button("Enviar e-mail de teste", type="primary", icon=":material/send:",
                 key="smtp_send"):
        password = stored or st.session_state.get(K_PASSWORD) or None
        try:
            with st.spinner(f"Testando {host}:{port}…", show_time=True):
                result = run_smtp_test(host, port, security, to_addr=to_addr or "",
                                       from_addr=from_addr, user=user, password=password,
                                       timeout=float(timeout), verify_tls=bool(verify))
        except ValueError as err:
            st.error(str(err))
        else:
            StateStore().record_sender_test(result, source=ctx.source.url,
                                            sender_id=sender_id)
            st.session_state[K_RESULT] = result
            st.session_state.pop(K_PASSWORD, None)
            common.clear_caches()  # condition 2 reads the test history
            st.rerun()

    result = st.session_state.get(K_RESULT)
    if result is not None:
        _show_result(result)

    st.markdown("**Testes recentes**")
    history = StateStore().recent_sender_tests(ctx.source.url, limit=30)
    if history.empty:
        st.caption("Nenhum teste registrado para este banco do ERP.")
    else:
        common.table(views.sender_tests_view(history, audit), views.SENDER_TEST_HEADERS,
                     key="smtp_history")

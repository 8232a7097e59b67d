"""The dashboard's door, drawn: the access policy of ``secrets.toml`` (``carteiro.access``), the
login (shared password or OIDC), the way out, and the log of failed attempts.

``app.py`` calls :func:`gate` before anything else is drawn; the pages call :func:`has_access`
again (a page file run without ``app.py`` must show nothing).

* **Fail closed**: a ``secrets.toml`` that cannot be parsed, or an ``[access]``/``[auth]``
  section that is present but unusable, stops the app with one pt-BR line per problem (see
  ``carteiro/access/policy.py``) and nothing else — no sidebar, no data.
* **The password** is checked in the form's ``on_click`` callback, not after the rerun: the
  callback finds the typed value by its key even in the very first run after the server
  starts, when Streamlit 1.67 still runs ``app.py`` inside its legacy ``pages/`` navigation and
  gives the form's widgets other ids than the next run does (the first correct password used
  to be ignored). The typed value is wiped from the session as soon as it is checked.
* **The throttle** is one :class:`carteiro.access.LoginThrottle` per server process
  (``st.cache_resource``), keyed by ``st.context.ip_address``. Each wrong password is logged
  (time, client address, count of failures — never what was typed) on the ``carteiro.access``
  logger, which writes to the server's standard error.
* **Sair** forgets the whole session (the audit, the filters) and deletes the generated
  downloads no session shows (:func:`pages._downloads.purge`).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import sys
import time
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from carteiro import access, localtime
from carteiro.errors import CarteiroError
from pages import _downloads as downloads

log = logging.getLogger("carteiro.access")

K_AUTHENTICATED = "_carteiro_authenticated"
K_TYPED = "_carteiro_login_password"
K_NOTICE = "_carteiro_login_notice"
NO_SECRETS = "no-secrets-found"  # StreamlitSecretNotFoundError.error_id when there is no file
_LOGGED: set[str] = set()


def _setup_log() -> None:
    """Failed logins go to the server's stderr with their time (once per process)."""
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    if not log.handlers and not logging.getLogger().handlers:  # else the root's handlers do
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: "
                                               "%(message)s"))
        log.addHandler(handler)


def policy() -> access.AccessPolicy:
    """The access policy of ``secrets.toml``; ``invalid`` when the file cannot be read."""
    try:
        values = st.secrets.to_dict()
    except StreamlitSecretNotFoundError as err:
        if getattr(err, "error_id", None) == NO_SECRETS:
            return access.policy_from_secrets({})
        return access.unreadable(_parse_error(err))
    except Exception as err:  # any other failure to read it: closed, too
        return access.unreadable(type(err).__name__)
    return access.policy_from_secrets(values)


def _parse_error(err: StreamlitSecretNotFoundError) -> str:
    """The TOML parser's own words (line and column; never the file's content)."""
    detail = str(getattr(err, "exec_kwargs", {}).get("error") or "")
    return detail.split("\n", 1)[0]


@st.cache_resource(show_spinner=False)
def throttle() -> access.LoginThrottle:
    """The one throttle of this server process, shared by every session."""
    return access.LoginThrottle()


def client_address() -> str | None:
    """The address the web server sees (``None`` for this machine)."""
    try:
        address = st.context.ip_address
    except Exception:  # no session context (a bare script run)
        return None
    return address if isinstance(address, str) else None


def _login_header(text: str) -> None:
    st.title("✉️ Carteiro")
    st.caption("Por que o cliente não recebeu o e-mail de cobrança?")
    if text:
        st.write(text)


def gate(current: access.AccessPolicy | None = None) -> bool:
    """Draw the login (or the configuration problems) until the user is in; True when in."""
    _setup_log()
    current = current or policy()
    if current.mode == access.OPEN:
        return True
    if current.mode == access.INVALID:
        _show_problems(current)
        return False
    if current.mode == access.OIDC:
        return _oidc_gate(current)
    return _password_gate()


def _show_problems(current: access.AccessPolicy) -> None:
    _login_header("")
    lines = "\n".join(f"- {access.text(problem)}" for problem in current.problems)
    st.error("O Carteiro mostra dados pessoais de clientes e não abre enquanto o acesso não "
             f"estiver configurado corretamente em .streamlit/secrets.toml:\n\n{lines}\n\n"
             "Corrija o arquivo e recarregue a página.",
             title="Configuração de acesso inválida", icon="🔒")
    said = " | ".join(current.problems)
    if said not in _LOGGED:  # once per process and configuration, not on every rerun
        _LOGGED.add(said)
        log.error("configuração de acesso inválida: %s", said)


def _password_gate() -> bool:
    if st.session_state.get(K_AUTHENTICATED):
        return True
    _login_header("Os dados são pessoais: informe a senha de acesso da equipe.")
    with st.form("login", clear_on_submit=True, width=420):
        st.text_input("Senha", type="password", autocomplete="current-password", key=K_TYPED)
        st.form_submit_button("Entrar", type="primary", on_click=_check_password)
    notice = st.session_state.pop(K_NOTICE, None)
    if notice:
        st.error(notice)
    return False


def _check_password() -> None:
    """The form's callback: ask the throttle, compare, remember the outcome, wipe the typed
    value."""
    typed = st.session_state.get(K_TYPED)
    st.session_state[K_TYPED] = ""
    current = policy()
    attempt = throttle().attempt(client_address())
    if not attempt.allowed:
        st.session_state[K_NOTICE] = _locked_notice(attempt)
        log.warning("senha de acesso recusada sem conferir: endereço %s bloqueado (%s) até %s",
                    attempt.address, attempt.scope, _clock(attempt.retry_at))
        return
    if access.password_matches(current, typed if isinstance(typed, str) else None):
        throttle().succeeded(attempt)
        st.session_state[K_AUTHENTICATED] = True
        log.info("login com a senha da equipe: endereço %s", attempt.address)
        return
    log.warning("senha de acesso errada: endereço %s, %d falha(s) nos últimos %d min",
                attempt.address, attempt.failures, int(throttle().window // 60))
    time.sleep(access.failure_delay(attempt.failures))
    st.session_state[K_NOTICE] = "Senha incorreta."


def _clock(moment: float | None) -> str:
    """``HH:MM`` of a Unix time, in the provider's time zone (as every time the dashboard
    shows; this machine's zone when CARTEIRO_TIMEZONE is unknown)."""
    when = dt.datetime.fromtimestamp(moment or time.time(), tz=dt.UTC)
    try:
        return f"{localtime.from_system_clock(when):%H:%M}"
    except CarteiroError:
        return f"{when.astimezone():%H:%M}"


def _locked_notice(attempt: access.Attempt) -> str:
    minutes = max(1, math.ceil(((attempt.retry_at or 0) - time.time()) / 60))
    who = ("deste endereço" if attempt.scope == "address"
           else "neste servidor (de vários endereços)")
    return (f"Muitas tentativas de senha erradas {who}: o acesso por senha está bloqueado. "
            f"Tente de novo às {_clock(attempt.retry_at)} (daqui a {minutes} min).")


def _oidc_gate(current: access.AccessPolicy) -> bool:
    user = st.user
    if not user.is_logged_in:
        _login_header("Os dados são pessoais: entre com a sua conta para continuar.")
        for provider in current.providers:
            label = f"Entrar com {access.text(provider)}" if provider else "Entrar"
            st.button(label, type="primary", key=f"login_{provider or 'default'}",
                      on_click=st.login, args=(provider,) if provider else ())
        return False
    email = user.get("email")
    if access.email_allowed(current, str(email) if email else None):
        return True
    _login_header("")
    st.error(f"A conta {access.text(email or '(sem e-mail)')} não tem acesso ao Carteiro. "
             "Peça ao administrador para incluí-la em [access] allowed_emails.")
    st.button("Sair", on_click=_logout_oidc)
    return False


def account_box(current: access.AccessPolicy | None = None) -> None:
    """Who is logged in, and the way out (sidebar)."""
    current = current or policy()
    if current.mode == access.OIDC and st.user.is_logged_in:
        st.sidebar.caption(f"Conectado como {access.text(st.user.get('email'))}")
        st.sidebar.button("Sair", on_click=_logout_oidc, key="logout", width="stretch")
    elif current.mode == access.PASSWORD:
        st.sidebar.button("Sair", key="logout", width="stretch", on_click=_forget_login)


def _forget_session() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    downloads.purge()


def _logout_oidc() -> None:
    _forget_session()
    st.logout()


def _forget_login() -> None:
    _forget_session()


def has_access(current: access.AccessPolicy | None = None) -> bool:
    """Whether this session is in, without drawing anything."""
    current = current or policy()
    if current.mode == access.OPEN:
        return True
    if current.mode == access.PASSWORD:
        return bool(st.session_state.get(K_AUTHENTICATED))
    if current.mode != access.OIDC or not st.user.is_logged_in:
        return False
    email: Any = st.user.get("email")
    return access.email_allowed(current, str(email) if email else None)

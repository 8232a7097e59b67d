"""The arguments of a sender test, checked once: :class:`Params` or a pt-BR ``ValueError``.

Bad arguments are the only thing the sender test raises for: each check says in one pt-BR line
what is wrong and what is accepted. Everything that can go wrong on the network is a failed
result instead (see :mod:`carteiro.sender.smtp.dialogue`).
"""

from __future__ import annotations

import math
import ssl
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

from carteiro.sender.settings import AUTH_MECHANISMS, SECURITIES, SECURITY_NONE
from carteiro.sender.smtp.tls import unverified_context


@dataclass(frozen=True)
class Params:
    """The checked arguments of one test; ``context`` is ``None`` for security ``nenhuma``."""

    host: str
    port: int
    security: str
    user: str | None
    password: str | None = field(repr=False)
    from_addr: str
    to_addr: str
    timeout: float
    deadline: float
    context: ssl.SSLContext | None
    auth_mechanism: str | None
    local_hostname: str | None

    @property
    def target(self) -> str:
        """``host:port``, as the messages name the server."""
        return f"{self.host}:{self.port}"


def _check_address(value: str | None, role: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValueError(f"Informe o endereço do {role}.")
    try:
        info = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise ValueError(f"Endereço de {role} inválido: {text!r}.") from None
    return info.ascii_email or info.normalized


def _check_port(port: object) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"Porta inválida: {port!r} (use um número de 1 a 65535).")
    return port


def _check_security(security: object) -> str:
    word = str(security or "").strip().lower()
    if word not in SECURITIES:
        raise ValueError(f"Segurança desconhecida: {security!r} (use ssl, tls ou nenhuma).")
    return word


def _check_seconds(value: object, what: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{what} inválido: {value!r} (use segundos, maior que zero).")
    return float(value)


def _check_mechanism(mechanism: str | None) -> str | None:
    if mechanism is None:
        return None
    word = mechanism.strip().upper()
    if word not in AUTH_MECHANISMS:
        raise ValueError(
            f"Método de autenticação desconhecido: {mechanism!r} (use PLAIN, LOGIN ou CRAM-MD5)."
        )
    return word


def _tls_context(
    verify_tls: bool, ssl_context: ssl.SSLContext | None, cafile: str | None
) -> ssl.SSLContext:
    if ssl_context is not None:
        if cafile is not None or not verify_tls:
            raise ValueError(
                "Use ssl_context sozinho: ele já define a CA e a verificação do certificado."
            )
        return ssl_context
    if not verify_tls:
        if cafile is not None:
            raise ValueError("Com a verificação de TLS desativada, a CA (cafile) não é usada.")
        return unverified_context()
    context = ssl.create_default_context()
    if cafile is not None:
        try:
            context.load_verify_locations(cafile=cafile)
        except (OSError, ssl.SSLError):
            raise ValueError(f"Não foi possível ler a CA em {cafile!r}.") from None
    return context


def check_arguments(
    host: str,
    port: int,
    security: str,
    *,
    user: str | None,
    password: str | None,
    from_addr: str | None,
    to_addr: str,
    timeout: float,
    deadline: float,
    verify_tls: bool,
    ssl_context: ssl.SSLContext | None,
    cafile: str | None,
    auth_mechanism: str | None,
    local_hostname: str | None,
) -> Params:
    """Check and normalise the arguments of :func:`run_smtp_test`; ``ValueError`` if bad."""
    clean_host = (host or "").strip()
    if not clean_host:
        raise ValueError("Informe o servidor SMTP (host).")
    word = _check_security(security)
    clean_user = (user or "").strip() or None
    if clean_user is not None and password is None:
        raise ValueError(f"Informe a senha do usuário {clean_user}.")
    if from_addr is None and clean_user is not None and "@" in clean_user:
        from_addr = clean_user
    return Params(
        host=clean_host,
        port=_check_port(port),
        security=word,
        user=clean_user,
        password=password,
        from_addr=_check_address(from_addr, "remetente"),
        to_addr=_check_address(to_addr, "destinatário"),
        timeout=_check_seconds(timeout, "Tempo limite"),
        deadline=_check_seconds(deadline, "Prazo total do teste"),
        context=None if word == SECURITY_NONE else _tls_context(verify_tls, ssl_context, cafile),
        auth_mechanism=_check_mechanism(auth_mechanism),
        local_hostname=local_hostname,
    )

"""The sender test's SMTP dialogue, step by step, and :func:`run_smtp_test`, which runs it.

Every step (connect, TLS, banner, EHLO, STARTTLS, AUTH, MAIL FROM, RCPT TO, DATA, QUIT) is a
timed stage kept with the server's reply (see :mod:`carteiro.sender.smtp.client`). A network or
SMTP problem never raises: it is a failed result, with the stage where it happened and a pt-BR
explanation (:mod:`carteiro.sender.smtp.explain`); so is a limit of the test reached (the
deadline of the whole test, a reply or the transcript too large:
:mod:`carteiro.sender.smtp.limits`). Only bad arguments raise :class:`ValueError`, with a
one-line pt-BR message (:mod:`carteiro.sender.smtp.arguments`).
After a refusal the dialogue still says QUIT; after an accepted message, a bad QUIT is only a
warning. Warnings (no encryption, certificate not verified or about to expire) do not fail the
test.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from datetime import UTC, datetime

from carteiro.sender.settings import (
    AUTH_MECHANISMS,
    DEFAULT_DEADLINE,
    DEFAULT_TIMEOUT,
    SECURITY_NONE,
    SECURITY_SSL,
    SECURITY_STARTTLS,
)
from carteiro.sender.smtp.arguments import Params, check_arguments
from carteiro.sender.smtp.client import TracingSMTP
from carteiro.sender.smtp.explain import (
    auth_missing_message,
    cert_message,
    error_message,
    error_summary,
    mechanism_missing_message,
    refusal_message,
    starttls_missing_message,
)
from carteiro.sender.smtp.failures import NotOffered, Refused, exception_text, find_cause
from carteiro.sender.smtp.limits import Deadline
from carteiro.sender.smtp.message import build_test_message
from carteiro.sender.smtp.probes import presented_certificate
from carteiro.sender.smtp.result import (
    STAGE_AUTH,
    STAGE_CONNECT,
    STAGE_DATA,
    STAGE_EHLO,
    STAGE_MAIL_FROM,
    STAGE_QUIT,
    STAGE_RCPT_TO,
    STAGE_STARTTLS,
    SmtpTestResult,
    TlsInfo,
)
from carteiro.sender.smtp.tls import tls_info, tls_summary, verifies
from carteiro.sender.smtp.transcript import Recorder, Redactor, decode

#: A verified certificate that expires within this many days gets a warning.
CERT_EXPIRY_WARNING_DAYS = 14


class _Dialogue:
    """One run of the test: the steps in order, each recorded as a stage."""

    def __init__(self, p: Params, rec: Recorder, started: datetime, deadline: Deadline) -> None:
        self.p = p
        self.rec = rec
        self.started = started
        self.deadline = deadline
        self.warnings: list[str] = []
        self.tls: TlsInfo | None = None
        self.client = TracingSMTP(
            rec,
            deadline=deadline,
            local_hostname=p.local_hostname,
            implicit_tls=p.context if p.security == SECURITY_SSL else None,
        )

    def step(
        self, name: str, call: Callable[[], tuple[int, bytes]], expected: tuple[int, ...]
    ) -> tuple[int, str]:
        """Run one SMTP command as stage ``name``; a reply outside ``expected`` is a refusal."""
        self.rec.begin(name)
        code, raw = call()
        text = decode(raw)
        ok = code in expected
        self.rec.end(ok, code, text)
        if not ok:
            raise Refused(code, text)
        return code, text

    def run(self) -> None:
        """The whole dialogue, connect to QUIT; the first failure raises out of it."""
        p, rec = self.p, self.rec
        rec.begin(STAGE_CONNECT)
        rec.note(f"Conectando a {p.target} (segurança: {p.security})")
        code, raw = self.client.connect(p.host, p.port)
        text = decode(raw)
        rec.end(code == 220, code, text)
        if code != 220:
            raise Refused(code, text)
        if isinstance(self.client.sock, ssl.SSLSocket):
            self._note_tls(self.client.sock)
        self.step(STAGE_EHLO, self.client.ehlo, (250,))
        if p.security == SECURITY_STARTTLS:
            self._starttls()
        elif p.security == SECURITY_NONE:
            self._warn_plain()
        if p.user is not None:
            self._auth()
        self.step(STAGE_MAIL_FROM, lambda: self.client.mail(p.from_addr), (250,))
        self.step(STAGE_RCPT_TO, lambda: self.client.rcpt(p.to_addr), (250, 251))
        message = build_test_message(
            p.from_addr, p.to_addr, p.host, p.port, p.security, self.started
        )
        self.step(STAGE_DATA, lambda: self.client.data(message.as_bytes()), (250,))
        self.quit(after_success=True)

    def _starttls(self) -> None:
        rec = self.rec
        rec.begin(STAGE_STARTTLS)
        if not self.client.has_extn("starttls"):
            rec.end(False, None, "STARTTLS não anunciado no EHLO")
            raise NotOffered(starttls_missing_message(self.p))
        assert self.p.context is not None
        code, raw = self.client.starttls(context=self.p.context)
        assert isinstance(self.client.sock, ssl.SSLSocket)
        rec.end(True, code, decode(raw))
        rec.note(f"TLS estabelecido: {tls_summary(self.client.sock)}")
        self._note_tls(self.client.sock)
        self.step(STAGE_EHLO, self.client.ehlo, (250,))

    def _note_tls(self, sock: ssl.SSLSocket) -> None:
        assert self.p.context is not None
        self.tls = tls_info(sock, verified=verifies(self.p.context))
        if not self.tls.verified:
            self.warnings.append(
                "A verificação do certificado TLS está desativada: a conexão é criptografada, "
                "mas nada garante que o servidor é quem diz ser."
            )
        self._warn_expiry()

    def _warn_expiry(self) -> None:
        if self.tls is None or self.tls.not_after is None:
            return
        days = (datetime.fromisoformat(self.tls.not_after) - datetime.now(UTC)).days
        if 0 <= days <= CERT_EXPIRY_WARNING_DAYS:
            self.warnings.append(
                f"O certificado TLS do servidor vence em {days} dia(s) "
                f"({self.tls.not_after[:10]}): peça a renovação ao administrador."
            )

    def _warn_plain(self) -> None:
        self.warnings.append(
            "Conexão sem criptografia (segurança 'nenhuma'): usuário, senha e mensagens "
            "trafegam em texto aberto na rede."
        )
        if self.client.has_extn("starttls"):
            self.warnings.append(
                "O servidor oferece STARTTLS: escolha a segurança 'tls' para criptografar a "
                "conexão."
            )

    def _auth(self) -> None:
        p, rec, client = self.p, self.rec, self.client
        rec.begin(STAGE_AUTH)
        if not client.has_extn("auth"):
            rec.end(False, None, "AUTH não anunciado no EHLO")
            raise NotOffered(auth_missing_message(p, client.has_extn("starttls")))
        offered = client.esmtp_features["auth"].upper().split()
        wanted = [p.auth_mechanism] if p.auth_mechanism else list(AUTH_MECHANISMS)
        if not any(m in offered for m in wanted):
            rec.end(False, None, f"métodos oferecidos: {' '.join(offered)}")
            raise NotOffered(mechanism_missing_message(wanted, offered))
        client.hide_client_lines = True
        try:
            code, raw = self._login()
        finally:
            client.hide_client_lines = False
        rec.end(True, code, decode(raw))

    def _login(self) -> tuple[int, bytes]:
        p, client = self.p, self.client
        assert p.user is not None and p.password is not None
        if p.auth_mechanism is None:
            return client.login(p.user, p.password)
        client.user, client.password = p.user, p.password
        authobject = getattr(client, "auth_" + p.auth_mechanism.lower().replace("-", "_"))
        return client.auth(p.auth_mechanism, authobject)

    def quit(self, *, after_success: bool) -> None:
        """Send QUIT; after an accepted message a bad QUIT is only a warning."""
        self.rec.begin(STAGE_QUIT)
        try:
            code, raw = self.client.quit()
            ok = self.rec.end(200 <= code < 300, code, decode(raw)).ok
        except (OSError, smtplib.SMTPException) as exc:
            self.rec.fail(exc, error_summary(exc, self.p.timeout))
            self.client.close()
            ok = False
        if after_success and not ok:
            self.warnings.append(
                "O servidor não respondeu bem ao QUIT, mas a mensagem já tinha sido aceita."
            )


def run_smtp_test(
    host: str,
    port: int,
    security: str,
    *,
    to_addr: str,
    from_addr: str | None = None,
    user: str | None = None,
    password: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    deadline: float = DEFAULT_DEADLINE,
    verify_tls: bool = True,
    ssl_context: ssl.SSLContext | None = None,
    cafile: str | None = None,
    auth_mechanism: str | None = None,
    local_hostname: str | None = None,
) -> SmtpTestResult:
    """Send one test e-mail and report every stage; never raises for network/SMTP problems.

    ``security`` is ``ssl`` (implicit TLS), ``tls`` (STARTTLS required) or ``nenhuma``
    (plain, reported as a warning). ``from_addr`` defaults to ``user`` when that is an
    address. AUTH is done only when ``user`` is given; ``auth_mechanism`` forces PLAIN, LOGIN
    or CRAM-MD5 (default: the best one smtplib and the server share). TLS is verified with
    ``ssl.create_default_context()`` (plus ``cafile`` when given) unless ``verify_tls`` is
    false or ``ssl_context`` is given. ``local_hostname`` is the EHLO name (default: this
    machine's FQDN, as smtplib does).

    ``timeout`` bounds each network operation; ``deadline`` the whole test, probes included
    (seconds from the call). Reaching the deadline, or a cap on what the server may send (see
    :mod:`carteiro.sender.smtp.limits`), is a failed result at the stage where it happened.

    Raises ``ValueError`` (pt-BR message) for bad arguments only.
    """
    p = check_arguments(
        host, port, security, user=user, password=password, from_addr=from_addr,
        to_addr=to_addr, timeout=timeout, deadline=deadline, verify_tls=verify_tls,
        ssl_context=ssl_context, cafile=cafile, auth_mechanism=auth_mechanism,
        local_hostname=local_hostname,
    )  # fmt: skip
    clock = Deadline(p.deadline, p.timeout)
    started = datetime.now(UTC)
    rec = Recorder(Redactor(p.user, p.password))
    warnings: list[str] = []
    if password and p.user is None:
        warnings.append("Senha informada sem usuário: a autenticação (AUTH) não foi feita.")
    dialogue = _Dialogue(p, rec, started, clock)
    failed_stage, message = _converse(dialogue)
    if failed_stage is None:
        message = (
            f"O servidor {p.target} aceitou o e-mail de teste para {p.to_addr}. Confira se ele "
            "chegou à caixa de entrada (e não ao spam): o servidor aceitar não garante a "
            "entrega final."
        )
    return SmtpTestResult(
        ok=failed_stage is None,
        failed_stage=failed_stage,
        message=rec.redact(message),
        host=p.host,
        port=p.port,
        security=p.security,
        from_addr=p.from_addr,
        to_addr=p.to_addr,
        started_at=started.isoformat(),
        stages=tuple(rec.stages),
        tls=dialogue.tls,
        warnings=tuple(rec.redact(w) for w in warnings + dialogue.warnings),
        transcript=tuple(rec.transcript),
    )


def _converse(dialogue: _Dialogue) -> tuple[str | None, str]:
    """Run the dialogue; return ``(failed stage, pt-BR message)``, ``(None, "")`` on success."""
    p, rec = dialogue.p, dialogue.rec
    try:
        dialogue.run()
        return None, ""
    except Refused as refusal:
        stage = rec.stages[-1].name
        dialogue.quit(after_success=False)
        return stage, refusal_message(p, stage, refusal.code, refusal.text)
    except NotOffered as missing:
        stage = rec.stages[-1].name
        dialogue.quit(after_success=False)
        return stage, str(missing)
    except Exception as exc:  # the test reports every failure, it never raises
        stage = rec.current or (rec.stages[-1].name if rec.stages else STAGE_CONNECT)
        rec.fail(exc, error_summary(exc, p.timeout))
        rec.note(f"Erro: {type(exc).__name__}: {exception_text(exc)}")
        if isinstance(exc, smtplib.SMTPResponseException) and dialogue.client.sock is not None:
            dialogue.quit(after_success=False)  # a refusal: the connection is still good
        else:
            dialogue.client.close()
        cert_error = find_cause(exc, ssl.SSLCertVerificationError)
        if cert_error is not None:
            dialogue.tls = presented_certificate(p, dialogue.deadline)
            return stage, cert_message(p, cert_error, dialogue.tls)
        return stage, error_message(p, stage, exc, dialogue.deadline)

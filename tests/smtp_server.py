"""Real SMTP servers for the sender-test tests: aiosmtpd on 127.0.0.1 and a few raw sockets.

Every server listens on a free port chosen by the kernel and is stopped when its context
manager exits, so no test leaves a server running. Certificates come from ``trustme``.
"""

from __future__ import annotations

import base64
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SMTP_USER = "cobranca@provedor.com.br"
SMTP_PASSWORD = "S3nha-Secreta!Carteiro#42"
SERVER_NAME = "mx.carteiro-teste.com.br"
LOCALHOST = "127.0.0.1"


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def email(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def body(self) -> str:
        part = self.email.get_body(("plain",))
        assert part is not None
        return part.get_content()


@dataclass
class RecordingHandler:
    """aiosmtpd handler that keeps accepted messages; each reply can be forced to an error."""

    mail_reply: str | None = None
    rcpt_reply: str | None = None
    data_reply: str | None = None
    received: list[Received] = field(default_factory=list)

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.data_reply:
            return self.data_reply
        content = envelope.original_content or envelope.content or b""
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 2.0.0 OK: queued"


@dataclass
class Authenticator:
    """Accepts one user/password; ``echo`` makes failures repeat the credentials back."""

    user: str = SMTP_USER
    password: str = SMTP_PASSWORD
    echo: bool = False
    mechanisms: list[str] = field(default_factory=list)

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        self.mechanisms.append(mechanism)
        assert isinstance(auth_data, LoginPassword)
        login = auth_data.login.decode()
        password = auth_data.password.decode()
        if login == self.user and password == self.password:
            return AuthResult(success=True)
        if self.echo:
            blob = base64.b64encode(f"\0{login}\0{password}".encode()).decode()
            pw64 = base64.b64encode(password.encode()).decode()
            return AuthResult(
                success=False,
                handled=False,
                message=f"535 5.7.8 recusado: {login} {password} {pw64} {blob}",
            )
        return AuthResult(success=False, handled=False)  # aiosmtpd replies 535


class _EphemeralController(Controller):
    """Controller on port 0: learns the real port before its start-up self-test connects."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@contextmanager
def smtp_server(
    handler: RecordingHandler | None = None,
    *,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    authenticator: Authenticator | None = None,
    auth_require_tls: bool = True,
    **smtp_options: Any,
) -> Iterator[tuple[_EphemeralController, RecordingHandler]]:
    """Run aiosmtpd on 127.0.0.1 and a free port; yields ``(controller, handler)``.

    ``starttls`` offers STARTTLS with that server context, ``implicit_tls`` wraps the whole port
    (like 465). With ``auth_require_tls`` (aiosmtpd's default) AUTH is offered only after
    STARTTLS; an implicit-TLS server needs it false to offer AUTH. ``smtp_options`` go to
    ``aiosmtpd.smtp.SMTP`` (e.g. ``auth_required=True``).
    """
    handler = handler or RecordingHandler()
    kwargs: dict[str, Any] = {"auth_require_tls": auth_require_tls, **smtp_options}
    if starttls is not None:
        kwargs["tls_context"] = starttls
    if authenticator is not None:
        kwargs["authenticator"] = authenticator
    controller = _EphemeralController(
        handler,
        hostname=LOCALHOST,
        port=0,
        ssl_context=implicit_tls,
        server_hostname=SERVER_NAME,
        **kwargs,
    )
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@contextmanager
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never says anything; yields its port."""
    listener = socket.create_server((LOCALHOST, 0))
    listener.settimeout(0.05)
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for conn in accepted:
            conn.close()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.create_server((LOCALHOST, 0)) as sock:
        return sock.getsockname()[1]


@dataclass
class Pki:
    """A test CA and the server contexts the tests need."""

    ca: trustme.CA = field(default_factory=trustme.CA)

    def server_context(self, *names: str, expired: bool = False) -> ssl.SSLContext:
        """Server context with a certificate for ``names`` (default 127.0.0.1 and localhost)."""
        if expired:
            cert = self.ca.issue_cert(
                *(names or (LOCALHOST, "localhost")),
                not_before=datetime(2020, 1, 1, tzinfo=UTC),
                not_after=datetime(2021, 1, 1, tzinfo=UTC),
            )
        else:
            cert = self.ca.issue_cert(*(names or (LOCALHOST, "localhost")))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """Verifying client context that trusts only the test CA."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    def write_ca(self, path: str) -> str:
        """Write the CA certificate as PEM (for ``--cafile``); returns the path."""
        self.ca.cert_pem.write_to_path(path)
        return path

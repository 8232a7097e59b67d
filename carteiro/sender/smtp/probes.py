"""Probes made after a failure, to tell the user what the port really speaks.

When the diagnosis needs it, one short extra connection is made after the dialogue failed:

* after a banner timeout or hang-up on a plain connection, a TLS handshake: does the port
  expect implicit TLS (``ssl``)?
* after an implicit TLS handshake error, a plain read: does the port speak plain SMTP?
* after a certificate error, an unverified handshake, to show the certificate that was
  presented.

A probe never raises: it answers ``False`` or ``None`` when it cannot tell. A probe is part of
the test: each of its network operations waits at most the test's timeout and never past the
test's deadline (:mod:`carteiro.sender.smtp.wire`); once the deadline has come, a probe answers
at once that it cannot tell. The certificate probe over STARTTLS reads the server's replies with
:class:`~carteiro.sender.smtp.wire.BoundedSMTP`, under the same caps as the dialogue.
"""

from __future__ import annotations

import contextlib
import ssl

from carteiro.sender.settings import SECURITY_SSL
from carteiro.sender.smtp.arguments import Params
from carteiro.sender.smtp.limits import Deadline
from carteiro.sender.smtp.result import TlsInfo
from carteiro.sender.smtp.tls import tls_info, unverified_context
from carteiro.sender.smtp.wire import BoundedSMTP, open_connection, tls_handshake

# How much of the server's banner the plain-SMTP probe reads.
_PROBE_READ_BYTES = 64


def answers_tls(host: str, port: int, deadline: Deadline) -> bool:
    """Whether the port completes a TLS handshake (i.e. expects implicit TLS)."""
    try:
        with (
            open_connection(host, port, deadline) as raw,
            tls_handshake(unverified_context(), raw, host, deadline),
        ):
            return True
    except (OSError, ValueError):  # LimitExceeded is an OSError (smtplib.SMTPException)
        return False


def greets_in_plain(host: str, port: int, deadline: Deadline) -> bool:
    """Whether the port sends a plain SMTP greeting (``220``) without TLS."""
    try:
        with open_connection(host, port, deadline) as sock, deadline.watch():
            sock.settimeout(deadline.bound())
            return sock.recv(_PROBE_READ_BYTES).startswith(b"220")
    except OSError:
        return False


def presented_certificate(p: Params, deadline: Deadline) -> TlsInfo | None:
    """The certificate the server presents, fetched without verification (after a failure)."""
    context = unverified_context()
    try:
        if p.security == SECURITY_SSL:
            with (
                open_connection(p.host, p.port, deadline) as raw,
                tls_handshake(context, raw, p.host, deadline) as sock,
            ):
                return tls_info(sock, verified=False)
        client = BoundedSMTP(deadline, local_hostname=p.local_hostname)
        try:
            client.connect(p.host, p.port)
            client.starttls(context=context)
            assert isinstance(client.sock, ssl.SSLSocket)
            return tls_info(client.sock, verified=False)
        finally:
            with contextlib.suppress(OSError):
                client.quit()
            client.close()
    except (OSError, ValueError, AssertionError):
        return None

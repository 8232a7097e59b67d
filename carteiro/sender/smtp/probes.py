"""Probes made after a failure, to tell the user what the port really speaks.

When the diagnosis needs it, one short extra connection is made after the dialogue failed:

* after a banner timeout or hang-up on a plain connection, a TLS handshake: does the port
  expect implicit TLS (``ssl``)?
* after an implicit TLS handshake error, a plain read: does the port speak plain SMTP?
* after a certificate error, an unverified handshake, to show the certificate that was
  presented.

A probe never raises: it answers ``False`` or ``None`` when it cannot tell. Each network
operation of a probe has the test's timeout. The certificate probe over STARTTLS reads the
server's replies with plain :class:`smtplib.SMTP`, not through
:class:`~carteiro.sender.smtp.client.TracingSMTP`: a future cap on reply size must cover it too.
"""

from __future__ import annotations

import smtplib
import socket
import ssl

from carteiro.sender.settings import SECURITY_SSL
from carteiro.sender.smtp.arguments import Params
from carteiro.sender.smtp.result import TlsInfo
from carteiro.sender.smtp.tls import tls_info, unverified_context

# How much of the server's banner the plain-SMTP probe reads.
_PROBE_READ_BYTES = 64


def answers_tls(host: str, port: int, timeout: float) -> bool:
    """Whether the port completes a TLS handshake (i.e. expects implicit TLS)."""
    try:
        with (
            socket.create_connection((host, port), timeout) as raw,
            unverified_context().wrap_socket(raw, server_hostname=host),
        ):
            return True
    except (OSError, ValueError):
        return False


def greets_in_plain(host: str, port: int, timeout: float) -> bool:
    """Whether the port sends a plain SMTP greeting (``220``) without TLS."""
    try:
        with socket.create_connection((host, port), timeout) as sock:
            return sock.recv(_PROBE_READ_BYTES).startswith(b"220")
    except OSError:
        return False


def presented_certificate(p: Params) -> TlsInfo | None:
    """The certificate the server presents, fetched without verification (after a failure)."""
    context = unverified_context()
    try:
        if p.security == SECURITY_SSL:
            with (
                socket.create_connection((p.host, p.port), p.timeout) as raw,
                context.wrap_socket(raw, server_hostname=p.host) as sock,
            ):
                return tls_info(sock, verified=False)
        with smtplib.SMTP(
            p.host, p.port, local_hostname=p.local_hostname, timeout=p.timeout
        ) as client:
            client.starttls(context=context)
            assert isinstance(client.sock, ssl.SSLSocket)
            return tls_info(client.sock, verified=False)
    except (OSError, ValueError, AssertionError):
        return None

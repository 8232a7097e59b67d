"""The SMTP client of the sender test: :mod:`smtplib`, traced.

The dialogue is driven by :mod:`smtplib`; :class:`TracingSMTP` only hooks ``_get_socket``,
``send`` and ``getreply`` to time the stages and keep the transcript. SMTP is not
re-implemented.

* For implicit TLS (``ssl``) the TLS handshake is its own stage, ``tls``, between ``connect``
  (TCP) and ``banner``, so "the port is open but TLS fails" is told apart from "the port is
  closed". For STARTTLS the handshake belongs to the ``starttls`` stage (see the dialogue).
* The timeout applies to each network operation (connect, each read), not to the whole test.
* The server's replies are read in one place, :meth:`TracingSMTP.getreply`, which today defers
  to smtplib: lines of at most 8 KiB, but any number of them, each read with its own timeout.
  An overall deadline for the test and a cap on a reply's size and line count (a server that
  sends ``220-...`` forever) belong there.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from typing import Any

from carteiro.sender.smtp.result import STAGE_BANNER, STAGE_TLS
from carteiro.sender.smtp.tls import tls_summary
from carteiro.sender.smtp.transcript import REDACTED, Recorder, decode


def _client_lines(data: bytes | str) -> list[str]:
    """What the client sends, as the lines of the transcript (without the CRLF)."""
    text = decode(data)
    lines = text.split("\r\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


class TracingSMTP(smtplib.SMTP):
    """``smtplib.SMTP`` that times the connection stages and records the transcript.

    With ``implicit_tls`` set, the socket is wrapped right after the TCP connection (``ssl``
    security), as ``smtplib.SMTP_SSL`` does, but as a separately timed stage. While
    ``hide_client_lines`` is set (AUTH), the client's lines reach the transcript as ``***``.
    """

    def __init__(
        self,
        recorder: Recorder,
        *,
        timeout: float,
        local_hostname: str | None,
        implicit_tls: ssl.SSLContext | None,
    ) -> None:
        self._recorder = recorder
        self._implicit_tls = implicit_tls
        self.hide_client_lines = False
        super().__init__(local_hostname=local_hostname, timeout=timeout)

    def connect(
        self, host: str = "localhost", port: int = 0, source_address: Any = None
    ) -> tuple[int, bytes]:
        # smtplib only sets _host (used as the TLS server name) when the host is given to
        # __init__; the test connects explicitly so it can time the stages.
        self._host = host
        return super().connect(host, port, source_address)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        """Close ``connect``, run the ``tls`` stage for implicit TLS, start ``banner``."""
        rec = self._recorder
        sock = super()._get_socket(host, port, timeout)
        peer = sock.getpeername()
        rec.end(True, None, f"{peer[0]} porta {peer[1]}")
        rec.note(f"Conectado a {peer[0]} porta {peer[1]}")
        if self._implicit_tls is not None:
            rec.begin(STAGE_TLS)
            try:
                sock = self._implicit_tls.wrap_socket(sock, server_hostname=host)
            except BaseException:
                sock.close()
                raise
            rec.end(True, None, tls_summary(sock))
            rec.note(f"TLS estabelecido: {tls_summary(sock)}")
        rec.begin(STAGE_BANNER)
        return sock

    def send(self, s: bytes | str) -> None:
        """Record what is sent (hidden while ``hide_client_lines``, i.e. during AUTH), send it."""
        for line in _client_lines(s):
            self._recorder.client(self._hidden(line) if self.hide_client_lines else line)
        super().send(s)

    def getreply(self) -> tuple[int, bytes]:
        """Read one reply of the server (all its lines) and record it.

        The one place where replies are read from the wire (smtplib's own reading, for now).
        """
        code, message = super().getreply()
        lines = decode(message).split("\n")
        for index, line in enumerate(lines):
            separator = "-" if index < len(lines) - 1 else " "
            self._recorder.server(f"{code}{separator}{line}".rstrip())
        return code, message

    @staticmethod
    def _hidden(line: str) -> str:
        """An AUTH exchange line with its credentials replaced (mechanism name kept)."""
        words = line.split(" ", 2)
        if words[0].upper() == "AUTH" and len(words) >= 2:
            return " ".join(words[:2] + ([REDACTED] if len(words) > 2 else []))
        return REDACTED

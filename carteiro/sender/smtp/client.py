"""The SMTP client of the sender test: :mod:`smtplib` on a bounded wire, traced.

The dialogue is driven by :mod:`smtplib`; the wire under it is
:class:`~carteiro.sender.smtp.wire.BoundedSMTP` (one deadline for the whole test, caps on a
reply), and :class:`TracingSMTP` only hooks ``_get_socket``, ``send`` and ``getreply`` to time
the stages and keep the transcript. SMTP is not re-implemented.

* For implicit TLS (``ssl``) the TLS handshake is its own stage, ``tls``, between ``connect``
  (TCP) and ``banner``, so "the port is open but TLS fails" is told apart from "the port is
  closed". For STARTTLS the handshake belongs to the ``starttls`` stage (see the dialogue).
* Each network operation waits at most the timeout, and never past the test's deadline.
* Credentials are sent as UTF-8, not ASCII only (smtplib's default): RFC 4616 defines PLAIN
  over UTF-8, and ERPs and mail clients send LOGIN and CRAM-MD5 the same way, so a password
  with an accent tests what the ERP really sends instead of failing here.
* Everything the client sends during AUTH is a secret: its lines reach the transcript as
  ``***`` and each of them (and what it decodes to) is added to the redactor, so a server that
  echoes it back — in a reply, in an error — is redacted too, whatever the mechanism (the
  CRAM-MD5 answer is not the password, but it is derived from it).
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import smtplib
import socket
import ssl
from collections.abc import Callable
from email.base64mime import body_encode

from carteiro.sender.smtp.limits import Deadline, TranscriptTooLarge
from carteiro.sender.smtp.result import STAGE_BANNER, STAGE_TLS
from carteiro.sender.smtp.tls import tls_summary
from carteiro.sender.smtp.transcript import REDACTED, Recorder, decode
from carteiro.sender.smtp.wire import BoundedSMTP, tls_handshake

# What the transcript shows of a reply that could not be read to its end: its first lines, cut.
_UNFINISHED_LINES = 3
_UNFINISHED_CHARS = 200


def _client_lines(data: bytes | str) -> list[str]:
    """What the client sends, as the lines of the transcript (without the CRLF)."""
    text = decode(data)
    lines = text.split("\r\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


class TracingSMTP(BoundedSMTP):
    """The bounded ``smtplib.SMTP`` that times the connection stages and records the transcript.

    With ``implicit_tls`` set, the socket is wrapped right after the TCP connection (``ssl``
    security), as ``smtplib.SMTP_SSL`` does, but as a separately timed stage. While
    ``hide_client_lines`` is set (AUTH), the client's lines reach the transcript as ``***``.
    """

    def __init__(
        self,
        recorder: Recorder,
        *,
        deadline: Deadline,
        local_hostname: str | None,
        implicit_tls: ssl.SSLContext | None,
    ) -> None:
        self._recorder = recorder
        self._implicit_tls = implicit_tls
        self.hide_client_lines = False
        super().__init__(deadline, local_hostname=local_hostname)

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
                sock = tls_handshake(self._implicit_tls, sock, host, self._deadline)
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
            if self.hide_client_lines:
                self._recorder.redact.add_sent_secret(line)
                self._recorder.client(self._hidden(line))
            else:
                self._recorder.client(line)
        super().send(s)

    def getreply(self) -> tuple[int, bytes]:
        """Read one reply of the server (all its lines, within the caps) and record it."""
        try:
            code, message = super().getreply()
        except OSError:  # a cap, the deadline, a hang-up (LimitExceeded is an OSError)
            self._record_unfinished()
            raise
        lines = decode(message).split("\n")
        for index, line in enumerate(lines):
            separator = "-" if index < len(lines) - 1 else " "
            self._recorder.server(f"{code}{separator}{line}".rstrip())
        return code, message

    def _record_unfinished(self) -> None:
        """The first lines of a reply that could not be read to its end, cut short."""
        read = self.unfinished_reply
        with contextlib.suppress(TranscriptTooLarge):  # the failure itself is what counts
            for raw in read[:_UNFINISHED_LINES]:
                line = decode(raw).rstrip("\r\n")
                cut = line[:_UNFINISHED_CHARS] + ("…" if len(line) > _UNFINISHED_CHARS else "")
                self._recorder.server(cut)
        if len(read) > _UNFINISHED_LINES:
            self._recorder.note(
                f"… e mais {len(read) - _UNFINISHED_LINES} linha(s) desta resposta, não mostradas"
            )

    @staticmethod
    def _hidden(line: str) -> str:
        """An AUTH exchange line with its credentials replaced (mechanism name kept)."""
        words = line.split(" ", 2)
        if words[0].upper() == "AUTH" and len(words) >= 2:
            return " ".join(words[:2] + ([REDACTED] if len(words) > 2 else []))
        return REDACTED

    def auth(self, mechanism: str, authobject: Callable[..., str | None], *,
             initial_response_ok: bool = True) -> tuple[int, bytes]:
        """smtplib's AUTH exchange with the responses encoded as UTF-8 (see the module
        docstring); the same commands, challenges and checks otherwise."""
        mechanism = mechanism.upper()
        initial = authobject() if initial_response_ok else None
        # smtplib's auth_login reads _auth_challenge_count to tell the user from the password
        if initial is not None:
            code, reply = self.docmd("AUTH", f"{mechanism} {_b64(initial)}")
            self._auth_challenge_count = 1
        else:
            code, reply = self.docmd("AUTH", mechanism)
            self._auth_challenge_count = 0
        while code == 334:
            self._auth_challenge_count += 1
            answer = authobject(base64.decodebytes(reply))
            code, reply = self.docmd(_b64(answer or ""))
            if self._auth_challenge_count > smtplib._MAXCHALLENGE:  # type: ignore[attr-defined]
                raise smtplib.SMTPException(
                    f"Server AUTH mechanism infinite loop. Last response: {(code, reply)!r}")
        if code in (235, 503):
            return code, reply
        raise smtplib.SMTPAuthenticationError(code, reply)

    def auth_cram_md5(self, challenge: bytes | None = None) -> str | None:
        """CRAM-MD5 keyed with the password's UTF-8 bytes."""
        if challenge is None:
            return None
        digest = hmac.HMAC(str(self.password).encode("utf-8"), challenge, "md5").hexdigest()
        return f"{self.user} {digest}"


def _b64(text: str) -> str:
    return body_encode(text.encode("utf-8"), eol="")

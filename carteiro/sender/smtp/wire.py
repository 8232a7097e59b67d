"""The SMTP wire within the test's limits: name lookup, connect, TLS handshake, read, write.

smtplib reads a reply line by line, each line with the per-operation timeout, and keeps every
line: a server that sends ``220-...`` continuation lines forever fills the memory, and one that
drips a line every few seconds keeps the test running forever (the timeout never fires).
:class:`BoundedSMTP` is :class:`smtplib.SMTP` with the wire under the test's limits (see
:mod:`carteiro.sender.smtp.limits`): it reads replies itself, from a buffer filled by ``recv``
calls that each wait at most the per-operation timeout cut to what is left of the deadline, and
stops at the caps; it writes in chunks under the same bound; it connects and runs the STARTTLS
handshake under the deadline. The SMTP commands themselves are still smtplib's.

The name lookups (``getaddrinfo``, and the machine's own name for EHLO) have no timeout of
their own: they run in a helper thread that the test waits for at most the same bound (a lookup
that hangs is abandoned; its daemon thread ends when the resolver gives up).

The probes made after a failure use the same functions (and :class:`BoundedSMTP` for the
certificate probe over STARTTLS), so they obey the same deadline and caps.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from carteiro.sender.smtp.limits import (
    MAX_LINE_BYTES,
    MAX_REPLY_BYTES,
    MAX_REPLY_LINES,
    Deadline,
    DeadlineExceeded,
    ReplyTooLarge,
    line_too_long,
    seconds_text,
    too_many_bytes,
    too_many_lines,
)

_T = TypeVar("_T")
_RECV_BYTES = 4096
_SEND_BYTES = 16384
# EHLO name when this machine's own name cannot be found in time (smtplib's fallback form).
_FALLBACK_HOSTNAME = "[127.0.0.1]"


def _in_thread(call: Callable[[], _T], deadline: Deadline, name: str) -> _T:
    """Run a blocking call without a timeout of its own; wait for it at most one bound."""
    outcome: list[tuple[bool, Any]] = []
    done = threading.Event()

    def work() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as error:  # handed to the waiting thread
            outcome.append((False, error))
        finally:
            done.set()

    wait = deadline.bound()
    threading.Thread(target=work, daemon=True, name=f"carteiro-smtp-{name}").start()
    if not done.wait(wait):
        if deadline.expired():
            raise DeadlineExceeded(deadline.seconds)
        raise TimeoutError(f"{name}: sem resposta em {seconds_text(wait)}")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def open_connection(
    host: str, port: int, deadline: Deadline, source_address: Any = None
) -> socket.socket:
    """TCP connection to ``host:port`` (each address in turn, as ``create_connection``)."""
    addresses = _in_thread(
        lambda: socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM), deadline, "dns"
    )
    last_error: OSError = OSError(f"sem endereço para {host}")
    for family, kind, proto, _name, address in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            with deadline.watch():
                sock.settimeout(deadline.bound())
                if source_address:
                    sock.bind(source_address)
                sock.connect(address)
            return sock
        except DeadlineExceeded:
            sock.close()
            raise
        except OSError as error:
            sock.close()
            last_error = error
    raise last_error


def tls_handshake(
    context: ssl.SSLContext, sock: socket.socket, host: str, deadline: Deadline
) -> ssl.SSLSocket:
    """Wrap ``sock`` in TLS; the whole handshake waits at most one bound (CPython's rule)."""
    with deadline.watch():
        sock.settimeout(deadline.bound())
        return context.wrap_socket(sock, server_hostname=host)


def _smtplib_local_hostname() -> str:
    """The EHLO name smtplib would use: the FQDN, else ``[address]`` (its own logic)."""
    fqdn = socket.getfqdn()
    if "." in fqdn:
        return fqdn
    try:
        return f"[{socket.gethostbyname(socket.gethostname())}]"
    except OSError:
        return _FALLBACK_HOSTNAME


class BoundedSMTP(smtplib.SMTP):
    """:class:`smtplib.SMTP` whose every network operation obeys ``deadline`` and the caps.

    ``local_hostname`` ``None`` means this machine's FQDN, as smtplib does, looked up when the
    test connects (within the deadline) instead of when the object is made. When reading a
    reply fails (a cap, the deadline, a hang-up), ``unfinished_reply`` holds the lines of it
    that were read (the last one possibly cut at the cap), for the transcript.
    """

    def __init__(self, deadline: Deadline, *, local_hostname: str | None) -> None:
        self._deadline = deadline
        self._pending = bytearray()
        self.unfinished_reply: list[bytes] = []
        self._find_hostname = local_hostname is None
        super().__init__(local_hostname=local_hostname or "localhost", timeout=deadline.timeout)

    def connect(
        self, host: str = "localhost", port: int = 0, source_address: Any = None
    ) -> tuple[int, bytes]:
        # smtplib only sets _host (used as the TLS server name) when the host is given to
        # __init__; the test connects explicitly so it can time the stages.
        self._host = host
        if self._find_hostname:
            self._find_hostname = False
            try:
                self.local_hostname = _in_thread(_smtplib_local_hostname, self._deadline, "fqdn")
            except TimeoutError:
                self.local_hostname = _FALLBACK_HOSTNAME
        return super().connect(host, port, source_address)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        self._pending.clear()
        return open_connection(host, port, self._deadline, self.source_address)

    def close(self) -> None:
        self._pending.clear()
        super().close()

    def _lost(self, error: OSError, text: str) -> Exception:
        """Close after a failed read or write; the deadline's timeout says so."""
        self.close()
        if isinstance(error, TimeoutError) and self._deadline.expired():
            return DeadlineExceeded(self._deadline.seconds)
        return smtplib.SMTPServerDisconnected(f"{text}: {error}")

    def _bound(self) -> float:
        try:
            return self._deadline.bound()
        except DeadlineExceeded:
            self.close()
            raise

    def send(self, s: bytes | str) -> None:
        """Send ``s`` in chunks, each write bounded (smtplib's ``sendall`` is not)."""
        if not self.sock:
            raise smtplib.SMTPServerDisconnected("please run connect() first")
        data = s.encode(self.command_encoding) if isinstance(s, str) else s
        view = memoryview(data)
        while view:
            timeout = self._bound()
            try:
                self.sock.settimeout(timeout)
                sent = self.sock.send(view[:_SEND_BYTES])
            except OSError as error:
                raise self._lost(error, "Server not connected") from error
            view = view[sent:]

    def _recv(self) -> None:
        """Read what the server sent next into the buffer (one bounded ``recv``)."""
        if not self.sock:
            raise smtplib.SMTPServerDisconnected("please run connect() first")
        timeout = self._bound()
        try:
            self.sock.settimeout(timeout)
            chunk = self.sock.recv(_RECV_BYTES)
        except OSError as error:
            raise self._lost(error, "Connection unexpectedly closed") from error
        if not chunk:
            self.close()
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        self._pending += chunk

    def _readline(self, budget: int) -> bytes:
        """One line of a reply (with its CRLF), at most ``budget`` bytes and a line's cap."""
        limit = min(budget, MAX_LINE_BYTES)
        while True:
            end = self._pending.find(b"\n", 0, limit)
            if end >= 0:
                line = bytes(self._pending[: end + 1])
                del self._pending[: end + 1]
                return line
            if len(self._pending) >= limit:
                self.unfinished_reply.append(bytes(self._pending[:limit]))
                make = too_many_bytes if budget < MAX_LINE_BYTES else line_too_long
                raise self._too_large(make)
            self._recv()

    def _too_large(self, make: Callable[[], ReplyTooLarge]) -> ReplyTooLarge:
        """Give up on the connection (its stream is out of step) and say which cap."""
        self.close()
        return make()

    def getreply(self) -> tuple[int, bytes]:
        """Read one reply, as smtplib does (``(code, lines joined by LF)``), within the caps."""
        lines: list[bytes] = []
        self.unfinished_reply = raw = []
        size = 0
        while True:
            line = self._readline(MAX_REPLY_BYTES - size)
            size += len(line)
            raw.append(line)
            lines.append(line[4:].strip(b" \t\r\n"))
            try:
                code = int(line[:3])
            except ValueError:  # a broken code: do not read on (smtplib's rule)
                return -1, b"\n".join(lines)
            if line[3:4] != b"-":
                return code, b"\n".join(lines)
            if len(lines) >= MAX_REPLY_LINES:
                raise self._too_large(too_many_lines)

    def starttls(  # type: ignore[override]
        self, *, context: ssl.SSLContext
    ) -> tuple[int, bytes]:
        """smtplib's STARTTLS, with the handshake under the deadline."""
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("starttls"):
            raise smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server.")
        code, reply = self.docmd("STARTTLS")
        if code != 220:
            raise smtplib.SMTPResponseException(code, reply)
        # RFC 3207: nothing the server sent before the handshake counts after it.
        self._pending.clear()
        assert self.sock is not None
        try:
            self.sock = tls_handshake(context, self.sock, self._host, self._deadline)
        except BaseException:
            self.close()
            raise
        self.file = None
        self.helo_resp = self.ehlo_resp = None
        self.esmtp_features = {}
        self.does_esmtp = False
        return code, reply

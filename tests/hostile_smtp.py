"""Hostile SMTP servers on 127.0.0.1 for the sender test: raw sockets, one thread per client.

Each server runs a *script* per connection (a function of :class:`Peer`): a flood of ``220-``
continuation lines, a slow drip of them, an AUTH exchange that echoes the credentials back, a
STARTTLS server whose second connection (the sender test's probe) misbehaves. A connection is
closed when its script returns. A server listens on a free port and stops when its context
manager exits: the listener and every client socket are closed, so a script blocked on the
network returns and a client still reading gets end-of-file.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

LOCALHOST = "127.0.0.1"
#: The CRAM-MD5 challenge the echo server sends (any text works; this one looks real).
CRAM_CHALLENGE = b"<1896.697170952@mx.carteiro-teste.com.br>"


@dataclass
class Peer:
    """One client connection, seen from the server: line I/O and the connection's number."""

    sock: socket.socket
    number: int
    stop: threading.Event
    received: list[str] = field(default_factory=list)
    _buffer: bytes = b""

    def send(self, *lines: str | bytes) -> None:
        data = b"".join((x if isinstance(x, bytes) else x.encode()) + b"\r\n" for x in lines)
        self.sock.sendall(data)

    def readline(self) -> str:
        """One line from the client (without CRLF); ``""`` at end of file."""
        while b"\n" not in self._buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                return ""
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        text = line.rstrip(b"\r").decode("utf-8", "replace")
        self.received.append(text)
        return text

    def starttls(self, context: ssl.SSLContext) -> None:
        self.sock = context.wrap_socket(self.sock, server_side=True)
        self._buffer = b""


Script = Callable[[Peer], None]


@dataclass
class HostileServer:
    """What a running server exposes to the test: its port and what its clients sent."""

    port: int
    peers: list[Peer]


@contextmanager
def hostile_server(script: Script) -> Iterator[HostileServer]:
    """Serve ``script`` on 127.0.0.1 and a free port, one thread per connection."""
    listener = socket.create_server((LOCALHOST, 0))
    listener.settimeout(0.05)
    stop = threading.Event()
    server = HostileServer(listener.getsockname()[1], [])
    threads: list[threading.Thread] = []

    def run(peer: Peer) -> None:
        with contextlib.suppress(OSError, ssl.SSLError):
            script(peer)
        with contextlib.suppress(OSError):
            peer.sock.shutdown(socket.SHUT_RDWR)
        peer.sock.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            peer = Peer(conn, len(server.peers) + 1, stop)
            server.peers.append(peer)
            thread = threading.Thread(target=run, args=(peer,), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        stop.set()
        acceptor.join(timeout=5)
        listener.close()
        for peer in server.peers:
            with contextlib.suppress(OSError):
                peer.sock.shutdown(socket.SHUT_RDWR)
            peer.sock.close()
        for thread in threads:
            thread.join(timeout=5)


@contextmanager
def full_backlog() -> Iterator[int]:
    """A port whose listen queue is full: Linux drops the SYNs, so ``connect()`` hangs."""
    listener = socket.create_server((LOCALHOST, 0), backlog=0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect((LOCALHOST, port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


# --------------------------------------------------------------------------------------------
# Scripts


def flood(peer: Peer, line: bytes = b"220-" + b"x" * 996) -> None:
    """``220-xxx...`` continuation lines as fast as the client takes them, forever."""
    chunk = (line + b"\r\n") * 256
    while not peer.stop.is_set():
        peer.sock.sendall(chunk)


def endless_line(peer: Peer) -> None:
    """One ``220 `` line that never ends (no CRLF), as fast as the client takes it."""
    peer.sock.sendall(b"220 ")
    chunk = b"y" * 65536
    while not peer.stop.is_set():
        peer.sock.sendall(chunk)


def drip(interval: float) -> Script:
    """One ``220-slow`` line every ``interval`` seconds, forever (the reply never ends)."""

    def script(peer: Peer) -> None:
        while not peer.stop.wait(interval):
            peer.send("220-slow")

    return script


def silent(peer: Peer) -> None:
    """Accept and say nothing until the server stops."""
    peer.stop.wait()


def verbose(lines: int, width: int) -> Script:
    """A working SMTP server (no AUTH) whose every reply has ``lines`` lines of ``width``."""

    def reply(code: int, peer: Peer) -> None:
        filler = "v" * width
        peer.send(*[f"{code}-{filler}" for _ in range(lines - 1)], f"{code} ok")

    def script(peer: Peer) -> None:
        reply(220, peer)
        while (command := peer.readline().upper()) != "":
            if command == "DATA":
                reply(354, peer)
                while peer.readline() not in (".", ""):
                    pass
                reply(250, peer)
            elif command == "QUIT":
                reply(221, peer)
                return
            else:
                reply(250, peer)

    return script


def _echo_auth(peer: Peer, command: str) -> None:
    """Answer one AUTH command (any mechanism) and refuse it, repeating all the client sent."""
    words = command.split()
    mechanism = words[1].upper() if len(words) > 1 else ""
    sent = words[2:]
    if mechanism == "CRAM-MD5":
        peer.send(b"334 " + base64.b64encode(CRAM_CHALLENGE))
        sent.append(peer.readline())
    elif mechanism == "LOGIN":
        if not sent:
            peer.send("334 VXNlcm5hbWU6")
            sent.append(peer.readline())
        peer.send("334 UGFzc3dvcmQ6")
        sent.append(peer.readline())
    decoded = [base64.b64decode(blob + "===").decode("utf-8", "replace") for blob in sent]
    echo = " ".join(sent + [text.replace("\0", " ") for text in decoded])
    peer.send(f"535-5.7.8 recusado: {echo}", f"535 5.7.8 {' | '.join(sent)}")


def echo_auth(mechanisms: str = "CRAM-MD5 PLAIN LOGIN") -> Script:
    """An SMTP server that offers AUTH and refuses every attempt, echoing the credentials."""

    def script(peer: Peer) -> None:
        peer.send("220 mx.carteiro-teste.com.br ESMTP")
        while (command := peer.readline()) != "":
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                peer.send("250-mx.carteiro-teste.com.br", f"250 AUTH {mechanisms}")
            elif verb == "AUTH":
                _echo_auth(peer, command)
            elif verb == "QUIT":
                peer.send("221 tchau")
                return
            else:
                peer.send("250 ok")

    return script


def starttls_then(context: ssl.SSLContext, later: Script) -> Script:
    """First connection: banner, EHLO with STARTTLS, the handshake; later ones run ``later``.

    The sender test rejects the certificate of the first connection (the test CA is not
    trusted) and reconnects to show it: the reconnection meets ``later``.
    """

    def script(peer: Peer) -> None:
        if peer.number > 1:
            later(peer)
            return
        peer.send("220 mx.carteiro-teste.com.br ESMTP")
        while (command := peer.readline().upper()) != "":
            if command.startswith("EHLO"):
                peer.send("250-mx.carteiro-teste.com.br", "250 STARTTLS")
            elif command == "STARTTLS":
                peer.send("220 vai")
                peer.starttls(context)
            else:
                peer.send("502 nada")

    return script


def first_then(first: Script, later: Script) -> Script:
    """The first connection runs ``first``, the next ones (the probes) run ``later``."""

    def script(peer: Peer) -> None:
        (first if peer.number == 1 else later)(peer)

    return script


def hang_up(peer: Peer) -> None:
    """Close the connection at once, without a greeting."""


def plain_banner(peer: Peer) -> None:
    """A plain ``220`` greeting, then silence (a TLS client fails its handshake on it)."""
    peer.send("220 mx.carteiro-teste.com.br ESMTP")
    peer.stop.wait()

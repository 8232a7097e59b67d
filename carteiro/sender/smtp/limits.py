"""The limits of a sender test: one deadline for the whole test, caps on what a server may send.

A hostile or broken server must not keep the test running nor fill the memory: a server that
sends ``220-...`` continuation lines forever, or drips one line every few seconds (so the
per-operation timeout never fires). So a test has

* a **deadline** (:class:`Deadline`): the whole test, probes included, ends at most that many
  seconds after it started; every network operation (name lookup, connect, TLS handshake, each
  read, each write) waits at most the per-operation timeout *and* what is left of the deadline;
* **caps on a reply**: at most :data:`MAX_REPLY_LINES` lines, :data:`MAX_REPLY_BYTES` bytes,
  and :data:`MAX_LINE_BYTES` bytes in one line (smtplib's own line limit);
* a **cap on the transcript**: :data:`MAX_TRANSCRIPT_BYTES` (UTF-8) in all.

Reaching a limit raises a :class:`LimitExceeded`; the dialogue turns it into a failed result at
the stage where it happened, with a pt-BR message saying which limit (see
:func:`carteiro.sender.smtp.explain.limit_message`). It is an :class:`smtplib.SMTPException`
(hence an ``OSError``), so the code that already tolerates a network error tolerates it too.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

#: Lines in one server reply (an EHLO reply has a dozen; RFC 5321 sets no limit).
MAX_REPLY_LINES: Final = 100
#: Bytes in one server reply, all lines together.
MAX_REPLY_BYTES: Final = 64 * 1024
#: Bytes in one line of a reply, CRLF included (smtplib's ``_MAXLINE``).
MAX_LINE_BYTES: Final = 8192
#: Bytes (UTF-8) of the whole transcript.
MAX_TRANSCRIPT_BYTES: Final = 256 * 1024

# A timeout this close to the deadline is the deadline's doing.
_SLACK = 0.05


def seconds_text(value: float) -> str:
    """Seconds in pt-BR: ``60 s``, ``2,5 s``."""
    return f"{value:g}".replace(".", ",") + " s"


def kib_text(size: int) -> str:
    """A byte count in whole KiB: ``64 KiB`` (the limits are small round numbers)."""
    return f"{size // 1024} KiB"


class LimitExceeded(smtplib.SMTPException):
    """A limit of the test was reached; ``str()`` is a short pt-BR summary (stage table)."""


class DeadlineExceeded(LimitExceeded):
    """The deadline of the whole test came (``seconds`` is the deadline)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"prazo total de {seconds_text(seconds)} esgotado")
        self.seconds = seconds


class ReplyTooLarge(LimitExceeded):
    """A server reply passed a cap; ``limit`` names it (``100 linhas``)."""

    def __init__(self, limit: str) -> None:
        super().__init__(f"resposta do servidor passou do limite de {limit}")
        self.limit = limit


class TranscriptTooLarge(LimitExceeded):
    """The transcript passed :data:`MAX_TRANSCRIPT_BYTES`."""

    def __init__(self) -> None:
        super().__init__(f"transcrição passou do limite de {kib_text(MAX_TRANSCRIPT_BYTES)}")
        self.limit = kib_text(MAX_TRANSCRIPT_BYTES)


def too_many_lines() -> ReplyTooLarge:
    return ReplyTooLarge(f"{MAX_REPLY_LINES} linhas")


def too_many_bytes() -> ReplyTooLarge:
    return ReplyTooLarge(kib_text(MAX_REPLY_BYTES))


def line_too_long() -> ReplyTooLarge:
    return ReplyTooLarge(f"{kib_text(MAX_LINE_BYTES)} numa linha")


class Deadline:
    """The test's deadline (``seconds`` from now) and its per-operation ``timeout``."""

    def __init__(self, seconds: float, timeout: float) -> None:
        self.seconds = seconds
        self.timeout = timeout
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self._end - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= _SLACK

    def bound(self) -> float:
        """The timeout of the next network operation; :class:`DeadlineExceeded` if none left."""
        left = self.remaining()
        if left <= _SLACK:
            raise DeadlineExceeded(self.seconds)
        return min(self.timeout, left)

    @contextmanager
    def watch(self) -> Iterator[None]:
        """Re-raise a timeout that the deadline caused as :class:`DeadlineExceeded`."""
        try:
            yield
        except TimeoutError as error:
            if self.expired():
                raise DeadlineExceeded(self.seconds) from error
            raise

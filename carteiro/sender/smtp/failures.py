"""How a sender test fails: the dialogue's own failure signals, and reading an exception chain.

The dialogue never lets a network or SMTP problem out (it becomes a failed result); these are
the tools it uses to tell what went wrong before it explains it (see
:mod:`carteiro.sender.smtp.explain`).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from typing import TypeVar

from carteiro.sender.smtp.transcript import decode

_E = TypeVar("_E", bound=BaseException)


class Refused(Exception):
    """The server answered a stage with an error code; the stage is already recorded."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(code, text)
        self.code = code
        self.text = text


class NotOffered(Exception):
    """A needed extension (STARTTLS, AUTH, a mechanism) is missing; the message says which."""


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions behind it (``__cause__``, else ``__context__``), once each."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def find_cause(exc: BaseException, kind: type[_E]) -> _E | None:
    """The first exception of type ``kind`` in the chain of ``exc``, if any."""
    return next((e for e in _causes(exc) if isinstance(e, kind)), None)


#: The text of any ``UnicodeError``: its own text quotes the character it could not encode and
#: its position, and the string was the credentials (AUTH) — so it is never shown.
UNICODE_ERROR_TEXT = "caracteres fora do ASCII (não enviados)"


def exception_text(exc: BaseException) -> str:
    """The technical text of an exception: the server's reply, the OpenSSL reason, ``str``.

    Never the text of a ``UnicodeError`` anywhere in the chain (see :data:`UNICODE_ERROR_TEXT`).
    """
    if find_cause(exc, UnicodeError) is not None:
        return UNICODE_ERROR_TEXT
    if isinstance(exc, smtplib.SMTPResponseException):
        return decode(exc.smtp_error)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return exc.verify_message or str(exc)
    return str(exc) or type(exc).__name__

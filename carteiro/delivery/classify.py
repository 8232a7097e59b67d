"""The error kind of an SMTP error message: the contract's table, first matching line wins.

Matching is case-insensitive. Words match as substrings, accents as written (the message is
put in Unicode's composed form first, so ``não`` typed with a combining tilde still reads
``não``; ``nao`` without the accent does not match ``não existe``). Reply codes (``552``) and
enhanced status codes (``5.1.1``; each ``x`` of ``5.7.x`` / ``4.x.x`` is one to three digits)
match only as whole tokens:

* the character before and the character after are not a letter, a digit or ``_``;
* nor a ``.`` whose other side is a digit (``[10.4.7.1]`` holds no ``4.7.1``, ``1.552.3`` no
  ``552``; a sentence's full stop after a code, ``5.1.1.``, does not stop it) — *choice*: a
  ``.`` next to a code always touches the code's own digit, so "a ``.`` that touches a digit"
  is read as one whose far side is a digit;
* a reply code is not preceded by ``:`` (``smtp.exemplo.com:465`` is a port, not a ``4xx``).

So ``10421 ms``, ``[10.4.7.1]`` and ``smtp.exemplo.com:465`` hold no code. A null or empty
message is ``other``. :func:`classify_messages` classifies each distinct message once.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

import pandas as pd

from carteiro.delivery.catalogue import ERROR_KIND_CODES, OTHER
from carteiro.erp.normalise import map_distinct

_EDGE_BEFORE: Final = r"(?<!\w)(?<!\d\.)"
_EDGE_AFTER: Final = r"(?!\w)(?!\.\d)"
_PART: Final = r"\d{1,3}"


def _reply(*codes: str) -> str:
    return rf"{_EDGE_BEFORE}(?<!:)(?:{'|'.join(codes)}){_EDGE_AFTER}"


def _enhanced(*codes: str) -> str:
    return rf"{_EDGE_BEFORE}(?:{'|'.join(codes)}){_EDGE_AFTER}"


def _words(*words: str) -> str:
    return "|".join(re.escape(unicodedata.normalize("NFC", w)) for w in words)


def _pattern(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts if p), re.IGNORECASE)


# The contract's table, line by line (the pt-BR words for people are in the catalogue).
RULES: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("auth_failed", _pattern(
        _reply("535"), _enhanced(r"5\.7\.8"),
        _words("authentication", "could not authenticate", "autentica"))),
    ("recipient_unknown", _pattern(
        _enhanced(r"5\.1\.1", r"5\.1\.10"),
        _words("user unknown", "unknown user", "no such user", "does not exist", "não existe",
               "inexistente"))),
    ("mailbox_full", _pattern(
        _reply("552"), _enhanced(r"5\.2\.2"), _words("quota", "mailbox full", "caixa cheia"))),
    ("rejected_policy", _pattern(
        _reply("554"), _enhanced(rf"5\.7\.{_PART}"),
        _words("spam", "blocked", "blacklist", "bloquead", "spf", "dkim", "dmarc"))),
    ("invalid_address", _pattern(
        _reply("553", "501"), _enhanced(r"5\.1\.3"), _words("syntax", "inválido", "invalido"))),
    ("temporary", _pattern(
        _reply(r"4\d\d"), _enhanced(rf"4\.{_PART}\.{_PART}"),
        _words("try again", "greylist", "tente novamente"))),
    ("connection", _pattern(
        _words("timed out", "timeout", "connection refused", "connection reset",
               "could not connect", "name or service not known", "tempo esgotado",
               "recusad"))),
)
assert tuple(code for code, _ in RULES) + (OTHER,) == ERROR_KIND_CODES


def classify_message(message: object) -> str:
    """The error kind of one message (``other`` when nothing matches, or no message)."""
    if message is None or not isinstance(message, str):
        return OTHER if message is None or pd.isna(message) else classify_message(str(message))
    text = unicodedata.normalize("NFC", message)
    for code, pattern in RULES:
        if pattern.search(text):
            return code
    return OTHER


def classify_messages(messages: pd.Series) -> pd.Series:
    """:func:`classify_message` over a column, once per distinct message (a categorical in
    the contract's order; a null message is ``other``)."""
    kinds = map_distinct(messages, classify_message, "string").fillna(OTHER)
    return pd.Series(pd.Categorical(kinds, categories=list(ERROR_KIND_CODES)),
                     index=messages.index)

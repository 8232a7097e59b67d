"""The error kind of an SMTP error message: the contract's table, first matching line wins.

Matching is case-insensitive. Words match as substrings of the lower-cased message, accents
as written (the message is put in Unicode's composed form first, so ``não`` typed with a
combining tilde still reads ``não``; ``nao`` without the accent does not match ``não existe``).
Reply codes (``552``) and enhanced status codes (``5.1.1``; each ``x`` of ``5.7.x`` / ``4.x.x``
is one to three digits) match only as whole tokens:

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
from dataclasses import dataclass
from typing import Final

import pandas as pd

from carteiro.delivery.catalogue import ERROR_KIND_CODES, OTHER
from carteiro.erp.normalise import map_distinct

# A run of digits and dots between digits, as long as it goes (``10.4.7.1``, ``552``).
_RUN: Final = re.compile(r"\d+(?:\.\d+)*")
_PART: Final = r"\d{1,3}"


def _is_word_character(char: str) -> bool:
    return char.isalnum() or char == "_"


def tokens(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The codes of ``text`` that stand as whole tokens: (usable as reply codes, usable as
    enhanced codes).

    A code is a whole token exactly when it is a whole run of :data:`_RUN` (a digit or a
    ``.`` touching a digit next to it would have made the run longer) with no letter or ``_``
    right before or after it; a reply code must also not follow a ``:``."""
    reply: set[str] = set()
    enhanced: set[str] = set()
    for match in _RUN.finditer(text):
        start, end = match.span()
        before = text[start - 1] if start else ""
        if _is_word_character(before) or (end < len(text)
                                           and _is_word_character(text[end])):
            continue
        enhanced.add(match.group())
        if before != ":":
            reply.add(match.group())
    return frozenset(reply), frozenset(enhanced)


@dataclass(frozen=True)
class Rule:
    """One line of the table: its words (lower case, matched as substrings of the lower-cased
    message), its reply codes and its enhanced codes (patterns a whole token must match)."""

    code: str
    words: tuple[str, ...]
    reply: re.Pattern[str] | None = None
    enhanced: re.Pattern[str] | None = None

    def matches(self, lowered: str, reply: frozenset[str], enhanced: frozenset[str]) -> bool:
        if any(word in lowered for word in self.words):
            return True
        if self.reply and any(self.reply.fullmatch(t) for t in reply):
            return True
        return bool(self.enhanced and any(self.enhanced.fullmatch(t) for t in enhanced))


def _rule(code: str, words: tuple[str, ...], reply: tuple[str, ...] = (),
          enhanced: tuple[str, ...] = ()) -> Rule:
    return Rule(code, tuple(unicodedata.normalize("NFC", w) for w in words),
                re.compile("|".join(reply)) if reply else None,
                re.compile("|".join(enhanced)) if enhanced else None)


# The contract's table, line by line (the pt-BR words for people are in the catalogue).
RULES: Final[tuple[Rule, ...]] = (
    _rule("auth_failed", ("authentication", "could not authenticate", "autentica"),
          ("535",), (r"5\.7\.8",)),
    _rule("recipient_unknown", ("user unknown", "unknown user", "no such user",
                                "does not exist", "não existe", "inexistente"),
          (), (r"5\.1\.1", r"5\.1\.10")),
    _rule("mailbox_full", ("quota", "mailbox full", "caixa cheia"), ("552",), (r"5\.2\.2",)),
    _rule("rejected_policy", ("spam", "blocked", "blacklist", "bloquead", "spf", "dkim", "dmarc"),
          ("554",), (rf"5\.7\.{_PART}",)),
    _rule("invalid_address", ("syntax", "inválido", "invalido"), ("553", "501"),
          (r"5\.1\.3",)),
    _rule("temporary", ("try again", "greylist", "tente novamente"), (r"4\d\d",),
          (rf"4\.{_PART}\.{_PART}",)),
    _rule("connection", ("timed out", "timeout", "connection refused", "connection reset",
                         "could not connect", "name or service not known", "tempo esgotado",
                         "recusad")),
)
assert tuple(rule.code for rule in RULES) + (OTHER,) == ERROR_KIND_CODES


def classify_message(message: object) -> str:
    """The error kind of one message (``other`` when nothing matches, or no message)."""
    if message is None or not isinstance(message, str):
        return OTHER if message is None or pd.isna(message) else classify_message(str(message))
    text = message if message.isascii() else unicodedata.normalize("NFC", message)
    lowered = text.lower()
    reply, enhanced = tokens(text)
    for rule in RULES:
        if rule.matches(lowered, reply, enhanced):
            return rule.code
    return OTHER


def classify_messages(messages: pd.Series) -> pd.Series:
    """:func:`classify_message` over a column, once per distinct message (a categorical in
    the contract's order; a null message is ``other``)."""
    kinds = map_distinct(messages, classify_message, "string").fillna(OTHER)
    return pd.Series(pd.Categorical(kinds, categories=list(ERROR_KIND_CODES)),
                     index=messages.index)

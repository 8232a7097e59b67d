"""Recipient address validation: what ``email-validator`` accepts with
``check_deliverability=False``.

``email-validator`` costs ~25 µs an address, about a minute for the 2.5 M addresses of a
million-customer provider. Most addresses are plain ASCII ones whose verdict is certain, so
vectorised regular expressions (Arrow's RE2) decide them: a conservative *accept* pattern, a
strict subset of what the library accepts, and *reject* tests the library always agrees with:

* *accept*: plain ASCII (so characters are bytes, and no Unicode letter such as the Kelvin sign
  ``K`` can lower-case into the pattern while taking three bytes of the 254 allowed) in the
  dot-atom ``local@label.label.tld`` form, a letters-only top-level domain that is not
  special-use, no ``--`` anywhere (IDNA and R-LDH labels go to the library), at most 64
  characters before the ``@`` and 254 in all;
* *reject*: empty, no ``@``, or no label separator after the last ``@``. An address the
  library accepts has exactly one ``@`` (no quoted local part, display name or ``@`` in a
  domain is accepted), and its domain needs a period after UTS-46 mapping, where the
  ideographic, full-width and half-width full stops (:data:`DOTS`) become periods
  (``ana@exemplo。com`` is valid);
* *reject*: plain ASCII without quotes, brackets, parentheses or backslashes (so no quoted
  local part, display name, domain literal or escape can be involved) that holds a space, two
  ``@`` or two periods in a row (``maria souza@gmail.com``, ``ana@@gmail.com``,
  ``ana@gmail..com``): the part before the first ``@`` must then be a dot-atom and the part
  after it a domain name, and none of those characters can appear there.

Only the rest — Unicode, quoted local parts, odd domains — goes through the library itself,
once per distinct address.
``tests/test_emails.py`` and ``tests/test_fast_reader.py`` check the fast verdicts against the
library.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
FAST_ACCEPT = rf"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:{_LABEL}\.)+[a-z]{{2,63}}"
_SPECIAL_TLD = r"\.(?:" + "|".join(sorted(SPECIAL_USE_DOMAIN_NAMES)) + r")$"
# What UTS-46 maps to a label separator (every code point checked against idna.uts46_remap in
# tests/test_emails.py): the period and the ideographic, full-width and half-width
# ideographic full stops.
DOTS = ".\u3002\uff0e\uff61"
_SEPARATORS = r"[,;]"
_SURROGATES = re.compile("[\ud800-\udfff]")
# Characters that may take an address out of the plain dot-atom@domain form.
_NOT_PLAIN = r'["<>\[\]()\\]'
# In a plain ASCII address, any of these makes the library reject it.
_CERTAINLY_BROKEN = r" |@.*@|\.\."
# Rows per block of the first pass of :func:`field_validity`.
BLOCK_ROWS = 1 << 16


def library_accepts(address: str) -> bool:
    """The reference verdict: ``email-validator`` without DNS look-ups."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def as_text(value: object) -> str:
    """A value of a text column as text: bytes (a BLOB column) decoded as UTF-8, an invalid
    sequence replaced (so such an address is invalid, as the library would say of the bytes)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def text_column(values: pd.Series) -> pd.Series:
    """A column as pandas strings, bytes decoded by :func:`as_text` (nulls stay null)."""
    try:
        return values.astype("string")
    except UnicodeError:
        codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
        text = pd.array([as_text(u) for u in uniques], dtype="string")
        return pd.Series(text.take(codes, allow_fill=True), index=values.index)


def _encodable(text: str) -> str:
    """``text`` with each lone surrogate (no UTF-8 for it) as NUL: the library rejects every
    address holding either, and neither separates nor surrounds addresses."""
    return _SURROGATES.sub("\x00", text)


def _strings(values: pd.Series, combine: bool = True) -> pa.Array | pa.ChunkedArray:
    """A column as one Arrow string array (nulls stay null; a value that is not text as its
    ``str``; lone surrogates as :func:`_encodable` makes them); ``combine=False``: the
    column's own chunks when it has several (no copy)."""
    try:
        array = pa.array(values.astype("string[pyarrow]").array)
    except (UnicodeError, pa.ArrowException):
        codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
        fixed = pa.array([_encodable(as_text(u)) for u in uniques], type=pa.string())
        array = fixed.take(pa.array(codes, mask=codes < 0))
    return array.combine_chunks() if combine and isinstance(array, pa.ChunkedArray) else array


def _combined(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _bools(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as numpy (null is False)."""
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False)


def _verdicts(text: pa.Array) -> np.ndarray:
    """Validity of each address (null or empty is invalid).

    The regular expressions run over every row (Arrow's RE2 is faster than de-duplicating
    first); the library runs once per distinct undecided address."""
    lower = pc.ascii_lower(text)
    accept = _bools(pc.and_(
        pc.and_(
            pc.and_(pc.string_is_ascii(text),
                    pc.match_substring_regex(lower, f"^(?:{FAST_ACCEPT})$")),
            pc.invert(pc.match_substring(lower, "--")),
        ),
        pc.and_(
            pc.and_(
                pc.invert(pc.match_substring_regex(lower, _SPECIAL_TLD)),
                pc.less_equal(pc.binary_length(lower), 254),
            ),
            pc.match_substring_regex(lower, r"^[^@]{1,64}@"),
        ),
    ))
    verdict = accept.copy()
    rest = np.flatnonzero(~accept)
    if not len(rest):
        return verdict
    others = text.take(pa.array(rest))
    reject = _bools(pc.or_kleene(
        pc.is_null(others),
        pc.or_(
            pc.equal(pc.utf8_length(others), 0),
            pc.invert(pc.match_substring_regex(others, f"@[^@]*[{DOTS}][^@]*$")),
        ),
    ))
    pending = rest[~reject]
    if not len(pending):
        return verdict
    candidates = text.take(pa.array(pending))
    plain = pc.and_(
        pc.string_is_ascii(candidates),
        pc.invert(pc.match_substring_regex(candidates, _NOT_PLAIN)),
    )
    broken = _bools(pc.and_(plain, pc.match_substring_regex(candidates, _CERTAINLY_BROKEN)))
    library = pending[~broken]
    if len(library):
        encoded = pc.dictionary_encode(text.take(pa.array(library)))
        answers = np.array([library_accepts(a) for a in encoded.dictionary.to_pylist()],
                           dtype=bool)
        verdict[library] = answers[encoded.indices.to_numpy(zero_copy_only=False)]
    return verdict


def validate_addresses(addresses: pd.Series) -> pd.Series:
    """Validity of each address as given (null or empty is invalid), aligned with the input;
    each distinct address the fast paths cannot decide goes to the library once."""
    return pd.Series(_verdicts(_strings(addresses)), index=addresses.index)


def _plain_accepted(text: pa.Array) -> np.ndarray:
    """Rows that are, as they stand, one address the *accept* pattern takes: plain ASCII (the
    pattern has only ASCII classes, so no other character can match), hence no separator, no
    surrounding space, bytes = characters. Their verdict is True whatever the rest of
    :func:`field_validity` would do; a cheap first pass."""
    lower = pc.ascii_lower(text)
    at = pc.find_substring(lower, "@")  # the accept pattern is ASCII: bytes = characters
    return _bools(pc.and_(
        pc.and_(
            pc.match_substring_regex(lower, f"^(?:{FAST_ACCEPT})$"),
            pc.invert(pc.match_substring(lower, "--")),
        ),
        pc.and_(
            pc.and_(
                pc.invert(pc.match_substring_regex(lower, _SPECIAL_TLD)),
                pc.less_equal(pc.binary_length(lower), 254),
            ),
            pc.and_(pc.greater_equal(at, 1), pc.less_equal(at, 64)),
        ),
    ))


def field_validity(fields: pd.Series) -> pd.Series:
    """Validity of address fields that may hold several addresses split by ``,`` or ``;``.

    A field is valid when at least one of its addresses is; surrounding spaces are ignored;
    a null or empty field is invalid. Plain single addresses are settled in one pass
    (:func:`_plain_accepted`); only the other fields are trimmed, split and judged address by
    address.
    """
    everything = _strings(fields, combine=False)
    # The first pass block by block: its lower-cased copy and masks stay small (at 2,5M
    # addresses a whole-column pass held ~250 MB at once).
    valid = np.zeros(len(everything), dtype=bool)
    for start in range(0, len(everything), BLOCK_ROWS):
        block = _combined(everything.slice(start, BLOCK_ROWS))
        valid[start:start + len(block)] = _plain_accepted(block)
    rest_rows = np.flatnonzero(~valid)
    if len(rest_rows):
        rest = _combined(everything.take(pa.array(rest_rows)))
        valid[rest_rows] = _split_field_validity(rest)
    return pd.Series(valid, index=fields.index)


def _split_field_validity(text: pa.Array) -> np.ndarray:
    multi = pc.fill_null(pc.match_substring_regex(text, _SEPARATORS), False)
    multi_rows = np.flatnonzero(multi.to_numpy(zero_copy_only=False))
    trimmed = pc.utf8_trim_whitespace(text)
    if not len(multi_rows):
        return _verdicts(trimmed)
    trimmed = pc.if_else(multi, pa.scalar(None, trimmed.type), trimmed)  # judged by parts
    parts = pc.split_pattern_regex(text.take(pa.array(multi_rows)), _SEPARATORS)
    owners = multi_rows[pc.list_parent_indices(parts).to_numpy(zero_copy_only=False)]
    pieces = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    verdict = _verdicts(pa.concat_arrays([trimmed, pieces.cast(trimmed.type)]))
    valid = verdict[: len(text)]
    valid[owners[verdict[len(text):]]] = True  # a field is valid when one of its parts is
    return valid

"""Value normalisation exactly as the contract's "Values and bad input" section says.

Every helper works on the distinct values of a column (``pandas.factorize``, or Arrow compute
over a whole text column) and maps the answer back, so a million rows cost a few vectorised
passes and a Python call per *distinct* odd value at most. Problems found on the way are
collected in a :class:`ProblemLog`; nothing is dropped silently.

The grammar of each kind of value, as the contract gives it (and the choices it leaves open):

* **words** (service statuses, routine kinds, ``envio_cobranca``, invoice status words):
  trimmed of all white space, lower case, accents removed (NFKD, combining marks dropped, so
  a full-width ``ＣＡＮＣＥＬＡＤＯ`` reads ``cancelado`` too), each run of white space
  (spaces, tabs, line breaks) and hyphens one ``_``;
* **yes/no flags**: booleans, the numbers 1 and 0, and the spellings of :data:`TRUE_WORDS` /
  :data:`FALSE_WORDS` in any case, trimmed; nothing else (no ``v``, no ``sím``, no ``1.0`` as
  text);
* **integers** (ids, a rule's ``dias``): an integer, an integral real (``7.0``), or text that
  after trimming is a decimal number whose value is integral (``7``, ``+7``, ``7.0``,
  ``7e0``); within 64 bits. Anything else (``0.6``, ``0x1``, ``7 a``, ``""``, a boolean,
  ``1e20``) is unreadable;
* **dates**: dates, datetimes (the date as written, whatever the time zone) or ISO text,
  :data:`ISO_DATE`; anything else (numbers included) is unreadable.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Hashable
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carteiro.erp.problems import ProblemKind, ProblemLog

_SEPARATORS = re.compile(r"[\s\-]+")
_SURROGATES = re.compile("[\ud800-\udfff]")

TRUE_WORDS: Final = frozenset({"1", "s", "sim", "t", "true", "yes", "y", "verdadeiro"})
FALSE_WORDS: Final = frozenset({"0", "n", "não", "nao", "f", "false", "no", "falso"})

# ISO text: a real calendar day, optionally `T` or one space and HH:MM or HH:MM:SS (with an
# optional fraction) and an optional offset (Z, +03:00, -0300); white space around is trimmed
# before. The offset belongs to the time: `2024-03-31Z` is not a date. 24:00 and leap seconds
# are no time of day here.
_HOUR, _MINUTE = "(?:[01][0-9]|2[0-3])", "[0-5][0-9]"
_OFFSET = f"(?:Z|[+-]{_HOUR}:?{_MINUTE})"
_TIME = f"{_HOUR}:{_MINUTE}(?::{_MINUTE}(?:\\.[0-9]+)?)?{_OFFSET}?"
ISO_DATE: Final = f"^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}(?:[T ]{_TIME})?$"

_INT64_MIN, _INT64_END = -(2**63), 2**63
# Integers Arrow can cast without overflow (18 digits) and without a `+` (it rejects those).
_PLAIN_INTEGER = r"^-?[0-9]{1,18}$"
_DECIMAL_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def map_distinct(series: pd.Series, func: Callable[[Hashable], Any], dtype: str) -> pd.Series:
    """Apply ``func`` once per distinct non-null value and map the answers back (NA stays NA)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    answers = pd.array([func(u) for u in uniques], dtype=dtype)
    if len(answers) == 0:
        return pd.Series(pd.array([pd.NA] * len(series), dtype=dtype), index=series.index)
    taken = answers.take(codes, allow_fill=True)
    return pd.Series(taken, index=series.index)


def _arrow_text(values: Any) -> pa.Array | None:
    """Text values (distinct values, or a text column) as one Arrow string array, or None when
    they are not all text."""
    if isinstance(values, pd.Series | pd.Index) and pd.api.types.is_string_dtype(values.dtype) \
            and not pd.api.types.is_object_dtype(values.dtype):
        array = pa.array(values.array)
    elif pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        objects = np.asarray(values, dtype=object)
        try:
            array = pa.array(objects, type=pa.string(), from_pandas=True)
        except (pa.ArrowException, UnicodeError):
            # A lone surrogate has no UTF-8: as NUL, which no integer or date holds either.
            array = pa.array([v if v is None else _SURROGATES.sub("\x00", v) for v in objects],
                             type=pa.string(), from_pandas=True)
    else:
        return None
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


# Words -----------------------------------------------------------------------------------------
def normalise_word(value: Any) -> str:
    """Trimmed, lower case, accents removed, runs of white space and hyphens as ``_``."""
    text = unicodedata.normalize("NFKD", str(value).strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SEPARATORS.sub("_", text)


def normalise_words(series: pd.Series) -> pd.Series:
    return map_distinct(series, normalise_word, "string")


# Yes/no flags ----------------------------------------------------------------------------------
def flag_value(value: Any) -> bool | None:
    """One value as a yes/no flag (None: not a spelling the contract lists)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, Decimal) and value.is_nan():
        return None
    if isinstance(value, int | np.integer | float | np.floating | Decimal):
        return True if value == 1 else False if value == 0 else None
    if isinstance(value, str):
        word = unicodedata.normalize("NFC", value.strip()).lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return None


def flags(series: pd.Series) -> pd.Series:
    """:func:`flag_value` over a column → nullable boolean (unknown spellings and nulls are NA)."""
    return map_distinct(series, flag_value, "boolean")


def parse_flags(
    series: pd.Series,
    *,
    log: ProblemLog,
    table: str,
    column: str,
    ids: Labels,
    null_is_problem: bool = False,
) -> pd.Series:
    """Yes/no flags in any accepted spelling → nullable boolean.

    An unknown spelling becomes NA (it counts like a null) and is reported; a null is reported
    only where the contract says so (``ativo`` on rules, routines, senders and billing
    methods). ``ids`` labels the rows in the problems."""
    parsed = flags(series)
    unknown = parsed.isna() & series.notna()
    if unknown.any():
        log.add(
            ProblemKind.UNKNOWN_VALUE,
            table,
            ids[unknown],
            "coluna " + column + ": valor de sim/não desconhecido "
            + shown(series[unknown]),
        )
    if null_is_problem and series.isna().any():
        nulls = series.isna()
        log.add(
            ProblemKind.NULL_FLAG,
            table,
            ids[nulls],
            f"coluna {column} nula: considerado inativo",
        )
    return parsed


def shown(values: pd.Series) -> pd.Series:
    """Raw values as a problem's detail shows them (quoted, so white space is visible)."""
    return values.astype("string").map(repr).astype("string").fillna("(nulo)")


# Integers --------------------------------------------------------------------------------------
def integer_value(value: Any) -> int | None:
    """One value as an integer within 64 bits (None: unreadable), per the module's grammar."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | np.integer):
        number: Decimal | int = int(value)
    elif isinstance(value, float | np.floating | Decimal):
        number = Decimal(value)  # exact, also for floats
    elif isinstance(value, str):
        text = value.strip()
        if not _DECIMAL_NUMBER.fullmatch(text):
            return None
        number = Decimal(text)
    else:
        return None
    try:
        if not (_INT64_MIN <= number < _INT64_END) or number != int(number):
            return None
    except (InvalidOperation, ValueError, OverflowError):  # NaN, infinities
        return None
    return int(number)


def _integers_of_text(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Text → (int64 values, readable mask): plain integers by Arrow, the rest one by one."""
    trimmed = pc.utf8_trim_whitespace(text)
    plain = pc.fill_null(pc.match_substring_regex(trimmed, _PLAIN_INTEGER), False)
    values = pc.cast(pc.if_else(plain, trimmed, pa.scalar(None, pa.string())), pa.int64())
    out = pc.fill_null(values, 0).to_numpy(zero_copy_only=False).copy()
    readable = plain.to_numpy(zero_copy_only=False).copy()
    odd = np.flatnonzero(~readable & ~pc.is_null(text).to_numpy(zero_copy_only=False))
    if len(odd):
        encoded = pc.dictionary_encode(text.take(pa.array(odd)))
        answers = [integer_value(v) for v in encoded.dictionary.to_pylist()]
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        found = np.array([a is not None for a in answers], dtype=bool)[indices]
        numbers = np.array([a or 0 for a in answers], dtype=np.int64)[indices]
        out[odd[found]] = numbers[found]
        readable[odd[found]] = True
    return out, readable


def _integers_of_values(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of any types → (int64 values, readable mask)."""
    text = _arrow_text(values)
    if text is not None:
        return _integers_of_text(text)
    answers = [integer_value(v) for v in values]
    readable = np.array([a is not None for a in answers], dtype=bool)
    return np.array([a or 0 for a in answers], dtype=np.int64), readable


def parse_integers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Integers as nullable ``Int64`` and the mask of unreadable values (not null, yet no
    integer: they are NA in the first series). See the module's docstring for the grammar."""
    index, nulls = series.index, series.isna().to_numpy(dtype=bool)
    kind = series.dtype
    if pd.api.types.is_bool_dtype(kind):
        values, readable = np.zeros(len(series), dtype=np.int64), np.zeros(len(series), bool)
    elif pd.api.types.is_integer_dtype(kind) and not pd.api.types.is_unsigned_integer_dtype(kind):
        return series.astype("Int64"), pd.Series(False, index=index)
    elif pd.api.types.is_float_dtype(kind):
        numbers = series.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            readable = (np.isfinite(numbers) & (numbers == np.floor(numbers))
                        & (numbers >= _INT64_MIN) & (numbers < _INT64_END))
        values = np.where(readable, numbers, 0).astype(np.int64)
    elif pd.api.types.is_string_dtype(kind) and not pd.api.types.is_object_dtype(kind):
        values, readable = _integers_of_text(_arrow_text(series))
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        distinct, ok = _integers_of_values(uniques)
        safe = np.clip(codes, 0, None)
        values = distinct[safe] if len(distinct) else np.zeros(len(series), dtype=np.int64)
        readable = (ok[safe] if len(ok) else np.zeros(len(series), bool)) & (codes >= 0)
    readable = readable & ~nulls
    parsed = pd.Series(pd.arrays.IntegerArray(values, ~readable), index=index)
    return parsed, pd.Series(~readable & ~nulls, index=index)


def id_labels(raw: pd.Series, ids: pd.Series) -> pd.Series:
    """A row's id as the problems show it: the integer, else the raw value (NA when null)."""
    return ids.astype("string").fillna(raw.astype("string"))


class RowLabels:
    """Each row's id as the problems show it (:func:`id_labels`), worked out only for the rows
    a problem names: a million ids are never turned into text for nothing. Index it like the
    frame's columns (a boolean mask, aligned or positional)."""

    def __init__(self, raw: pd.Series, ids: pd.Series) -> None:
        self._raw, self._ids = raw, ids

    def __getitem__(self, rows: Any) -> pd.Series:
        return id_labels(self._raw[rows], self._ids[rows])

    def at(self, index: pd.Index) -> RowLabels:
        """The labels of the rows of ``index`` only."""
        return RowLabels(self._raw.loc[index], self._ids.loc[index])


Labels = pd.Series | RowLabels


# Dates -----------------------------------------------------------------------------------------
def _calendar_days(text: pa.Array) -> np.ndarray:
    """ISO text (already matched by :data:`ISO_DATE`, or null) → ``datetime64[D]`` (NaT when
    null or not a real calendar day)."""
    def number(start: int, stop: int) -> np.ndarray:
        part = pc.cast(pc.utf8_slice_codeunits(text, start, stop), pa.int64())
        return pc.fill_null(part, 0).to_numpy(zero_copy_only=False)

    year, month, day = number(0, 4), number(5, 7), number(8, 10)
    good = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    first = (np.where(good, year, 1970) - 1970).astype("datetime64[Y]").astype("datetime64[M]")
    first = first + (np.where(good, month, 1) - 1).astype("timedelta64[M]")
    length = ((first + np.timedelta64(1, "M")).astype("datetime64[D]")
              - first.astype("datetime64[D]")).astype(int)
    good &= day <= length
    days = first.astype("datetime64[D]") + (np.where(good, day, 1) - 1).astype("timedelta64[D]")
    return np.where(good, days, np.datetime64("NaT", "D"))


def _days_of_text(text: pa.Array) -> np.ndarray:
    """Text → ``datetime64[D]``; NaT for anything not in :data:`ISO_DATE`'s grammar."""
    trimmed = pc.utf8_trim_whitespace(text)
    iso = pc.fill_null(pc.match_substring_regex(trimmed, ISO_DATE), False)
    return _calendar_days(pc.if_else(iso, trimmed, pa.scalar(None, pa.string())))


def _day_of_object(value: Any) -> np.datetime64:
    if isinstance(value, dt.datetime):
        return np.datetime64(value.date(), "D")  # the date as written, whatever the time zone
    if isinstance(value, dt.date):
        return np.datetime64(value, "D")
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[D]")
    return np.datetime64("NaT", "D")


def _days_of_values(values: Any) -> np.ndarray:
    """Distinct values of any types → ``datetime64[D]`` (NaT: unreadable)."""
    text = _arrow_text(values)
    if text is not None:
        return _days_of_text(text)
    objects = np.asarray(values, dtype=object)
    is_text = np.array([isinstance(v, str) for v in objects], dtype=bool)
    days = np.array([_day_of_object(v) for v in objects], dtype="datetime64[D]")
    if is_text.any():
        strings = _arrow_text(pd.Index(objects[is_text], dtype=object))
        days[is_text] = (_days_of_text(strings) if strings is not None
                         else np.datetime64("NaT", "D"))
    return days


def parse_days(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates, datetimes or ISO text → ``datetime64[s]`` days, and the mask of unreadable values.

    The date is taken as written: ``2024-03-31 23:59:59`` and ``2024-03-31T23:59:59-03:00``
    are both 31 March. Anything else that is not null (``2024-03-31 lixo``,
    ``2024-03-31T25:00``, ``20240331``) is unreadable."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series
        if getattr(series.dt, "tz", None) is not None:
            values = series.dt.tz_localize(None)
        days = values.dt.floor("D").astype("datetime64[s]")
        return days, pd.Series(False, index=series.index)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    distinct = _days_of_values(uniques)
    if len(distinct):
        days = np.where(codes >= 0, distinct[np.clip(codes, 0, None)], np.datetime64("NaT"))
    else:
        days = np.full(len(series), np.datetime64("NaT", "D"))
    result = pd.Series(days.astype("datetime64[s]"), index=series.index)
    unreadable = result.isna() & series.notna()
    return result, unreadable


# Ids of a table --------------------------------------------------------------------------------
def drop_duplicate_ids(frame: pd.DataFrame, id_column: str, *, log: ProblemLog, table: str,
                       report: bool = True) -> pd.DataFrame:
    """Keep the first row of each id (as the database returned the table) and report the rest.
    Rows without an id are no duplicates of each other (a null never matches a null)."""
    duplicated = frame[id_column].duplicated(keep="first") & frame[id_column].notna()
    if not duplicated.any():
        return frame
    if report:
        counts = frame.loc[duplicated, id_column].value_counts(sort=False)
        log.add(
            ProblemKind.DUPLICATE_ID,
            table,
            counts.index.to_series(),
            "id repetido em " + (counts.to_numpy() + 1).astype(str) + " linhas; usada a primeira",
        )
    return frame.loc[~duplicated]


def report_own_ids(raw: pd.Series, ids: pd.Series, unreadable: pd.Series, *, log: ProblemLog,
                   table: str, kept: bool) -> None:
    """Report rows whose own id is null or unreadable (``kept``: they are still used)."""
    outcome = "linha usada assim mesmo" if kept else "linha ignorada"
    missing = raw.isna()
    if missing.any():
        log.add(ProblemKind.MISSING_ID, table, raw[missing], f"linha sem id: {outcome}")
    if unreadable.any():
        log.add(ProblemKind.UNREADABLE_ID, table, raw[unreadable].astype("string"),
                "id ilegível " + shown(raw[unreadable]) + f" (não é um número inteiro): {outcome}")


def own_ids(frame: pd.DataFrame, id_column: str, *, log: ProblemLog, table: str,
            kept: bool) -> tuple[pd.DataFrame, RowLabels]:
    """The table with its own ids as ``Int64``, and the kept rows' id labels.

    A row whose id is null or unreadable is reported; it stays (id NA) when ``kept`` (nothing
    needs to find it by id: a contact, a rule, a routine) and is left out otherwise. Of rows
    with the same id the first is used, the others reported."""
    raw = frame[id_column]
    ids, unreadable = parse_integers(raw)
    report_own_ids(raw, ids, unreadable, log=log, table=table, kept=kept)
    out = frame.assign(**{id_column: ids})
    if not kept:
        out = out[ids.notna()]
    out = drop_duplicate_ids(out, id_column, log=log, table=table)
    return out, RowLabels(raw, ids).at(out.index)


def reference_ids(frame: pd.DataFrame, column: str, *, log: ProblemLog, table: str,
                  labels: Labels, what: str) -> tuple[pd.Series, pd.Series]:
    """A column of references to another table's ids → (``Int64``, unreadable mask).

    A null reference means "none"; an unreadable one is an unknown id, reported (and NA in
    the result, like a null: callers that must tell "none" from "unknown" read the mask)."""
    ids, unreadable = parse_integers(frame[column])
    if unreadable.any():
        log.add(ProblemKind.UNKNOWN_ID, table, labels[unreadable],
                f"{what} " + shown(frame.loc[unreadable, column])
                + " ilegível (não é um número inteiro)")
    return ids, unreadable


def first_positions(keys: pd.Series, ids: pd.Series) -> np.ndarray:
    """Row position in ``ids`` of each key: the first row with that id; -1 when the key is null
    or names no row. A null key never finds a null id."""
    ids = ids.astype("Int64")
    null_keys = keys.isna().to_numpy(dtype=bool)
    wanted = keys.astype("Int64").to_numpy(dtype=np.int64, na_value=0)
    present = ids.notna().to_numpy(dtype=bool)
    if present.all():
        index = pd.Index(ids.to_numpy(dtype=np.int64))
        if index.is_unique:  # the usual case: one hash table, built once
            return np.where(null_keys, -1, index.get_indexer(wanted))
    first = present & ~ids.duplicated(keep="first").to_numpy(dtype=bool)
    rows = np.flatnonzero(first)
    found = pd.Index(ids[first].to_numpy(dtype=np.int64)).get_indexer(wanted)
    found = np.where(null_keys, -1, found)
    return np.where(found >= 0, rows[np.clip(found, 0, None)] if len(rows) else -1, -1)

"""Value normalisation exactly as the contract's "Values and bad input" section says.

Every helper works on the distinct values of a column (``pandas.factorize``) and maps the
answer back, so a million rows cost a few hundred distinct look-ups. Problems found on the way
are collected in a :class:`ProblemLog`; nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd

from carteiro.erp.problems import ProblemKind, ProblemLog

_SEPARATORS = re.compile(r"[\s\-]+")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T\s])")

TRUE_WORDS = frozenset({"1", "s", "sim", "t", "true", "yes", "y", "verdadeiro", "v"})
FALSE_WORDS = frozenset({"0", "n", "nao", "f", "false", "no", "falso"})


def map_distinct(series: pd.Series, func: Callable[[Hashable], Any], dtype: str) -> pd.Series:
    """Apply ``func`` once per distinct non-null value and map the answers back (NA stays NA)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    answers = pd.array([func(u) for u in uniques], dtype=dtype)
    if len(answers) == 0:
        return pd.Series(pd.array([pd.NA] * len(series), dtype=dtype), index=series.index)
    taken = answers.take(codes, allow_fill=True)
    return pd.Series(taken, index=series.index)


def normalise_word(value: Any) -> str:
    """Trimmed, lower case, accents removed, runs of spaces and hyphens as ``_``."""
    text = unicodedata.normalize("NFKD", str(value).strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SEPARATORS.sub("_", text)


def normalise_words(series: pd.Series) -> pd.Series:
    return map_distinct(series, normalise_word, "string")


def flag(value: Any) -> bool | None:
    """A yes/no value in any accepted spelling (``TRUE_WORDS``, ``FALSE_WORDS``, booleans, 0 and
    1) as a bool; ``None`` when it is none of them."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer | float | np.floating) and value in (0, 1):
        return bool(value)
    word = normalise_word(value)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def flags(series: pd.Series) -> pd.Series:
    """:func:`flag` over a column → nullable boolean (unknown spellings and nulls are NA)."""
    return map_distinct(series, flag, "boolean")


def parse_flags(
    series: pd.Series,
    *,
    log: ProblemLog,
    table: str,
    column: str,
    ids: pd.Series,
    null_is_problem: bool = False,
) -> pd.Series:
    """Yes/no flags in any accepted spelling → nullable boolean.

    An unknown spelling becomes NA and is reported; a null is reported only where the contract
    says so (``ativo`` on rules, routines, senders and billing methods).
    """
    parsed = flags(series)
    unknown = parsed.isna() & series.notna()
    if unknown.any():
        log.add(
            ProblemKind.UNKNOWN_VALUE,
            table,
            ids[unknown],
            "coluna " + column + ": valor de sim/não desconhecido "
            + series[unknown].astype("string").map(repr).astype("string"),
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


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()  # the date as written, whatever the time zone
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).date()
    if isinstance(value, str):
        match = _ISO_DAY.match(value.strip())
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                return None
    return None


def parse_days(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates, datetimes or ISO text → ``datetime64[s]`` days, and the mask of unreadable values.

    The date is taken as written: ``2024-03-31 23:59:59`` and ``2024-03-31T23:59:59-03:00``
    are both 31 March. Anything else that is not null is unreadable.
    """
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series
        if getattr(series.dt, "tz", None) is not None:
            values = series.dt.tz_localize(None)
        days = values.dt.floor("D").astype("datetime64[s]")
        return days, pd.Series(False, index=series.index)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    parsed = [_day(u) for u in uniques]
    as_days = pd.to_datetime(pd.Series(parsed, dtype="object"), errors="coerce").astype(
        "datetime64[s]"
    )
    values = as_days.to_numpy()
    if len(values):
        days = np.where(codes >= 0, values[np.clip(codes, 0, None)], np.datetime64("NaT", "s"))
    else:
        days = np.full(len(series), np.datetime64("NaT", "s"))
    result = pd.Series(days, index=series.index, dtype="datetime64[s]")
    unreadable = result.isna() & series.notna()
    return result, unreadable


def to_ids(series: pd.Series) -> pd.Series:
    """Ids as nullable integers (an id that is not a whole number becomes NA)."""
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.astype("Int64")
    numbers = pd.to_numeric(series, errors="coerce")
    whole = numbers.notna() & (numbers == np.floor(numbers))
    return numbers.where(whole).astype("Int64")


def drop_duplicate_ids(frame: pd.DataFrame, id_column: str, *, log: ProblemLog, table: str,
                       report: bool = True) -> pd.DataFrame:
    """Keep the first row of each id (as the database returned the table) and report the rest."""
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

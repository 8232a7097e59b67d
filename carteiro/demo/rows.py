"""A table's rows as numpy column arrays, the form every part of the generator produces.

The generator never builds rows one by one: each table is a dict of equally long numpy arrays,
one per column, in the schema's column order (:class:`Rows`). The loaders
(:mod:`carteiro.demo.loaders`) turn the arrays into whatever each database driver wants. This
module also holds the small array helpers the builders share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String, Table, Text

NULL_INT = np.iinfo(np.int64).min  # sentinel for NULL in integer columns


@dataclass
class Rows:
    """One chunk of a table's rows, column-wise.

    Column encodings: Integer -> int64 (``NULL_INT`` = NULL); String/Text -> object (None = NULL);
    Boolean -> int8 (1, 0, -1 = NULL); Date -> datetime64[D] (NaT = NULL); DateTime ->
    datetime64[s] (NaT = NULL); Numeric -> int64 cents. ``sqlite_text`` holds, per Boolean
    column, an object array of text to store instead of the flag on SQLite (None = keep the flag).
    """

    table: Table
    columns: dict[str, np.ndarray]
    sqlite_text: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        expected = [c.name for c in self.table.columns]
        if list(self.columns) != expected:
            raise ValueError(f"{self.table.name}: columns {list(self.columns)} != {expected}")
        sizes = {len(v) for v in self.columns.values()}
        if len(sizes) != 1:
            raise ValueError(f"{self.table.name}: columns of different lengths {sizes}")

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def slice(self, start: int, stop: int) -> Rows:
        return Rows(
            self.table,
            {k: v[start:stop] for k, v in self.columns.items()},
            {k: v[start:stop] for k, v in self.sqlite_text.items()},
        )


def column_kind(col_type: Any) -> str:
    """The encoding of a column type in :class:`Rows`: int, str, bool, date, datetime, money."""
    if isinstance(col_type, Boolean):
        return "bool"
    if isinstance(col_type, DateTime):
        return "datetime"
    if isinstance(col_type, Date):
        return "date"
    if isinstance(col_type, Numeric):
        return "money"
    if isinstance(col_type, Integer):
        return "int"
    if isinstance(col_type, String | Text):
        return "str"
    raise TypeError(f"unsupported column type {col_type!r}")


def object_array(values: Iterable[Any]) -> np.ndarray:
    """A 1-D object array (strings stay Python strings, None stays None)."""
    items = list(values)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def shares(weights: Sequence[float]) -> np.ndarray:
    """Weights as probabilities (they sum to 1), for ``rng.choice(..., p=...)``."""
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def str_op(values: np.ndarray, op: Callable[..., np.ndarray], *args: Any) -> np.ndarray:
    """``numpy.char`` operation on any string array, as an object array (also when empty)."""
    if len(values) == 0:
        return np.empty(0, dtype=object)
    return op(values.astype(str), *args).astype(object)

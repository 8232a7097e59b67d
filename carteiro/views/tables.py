"""Tables as people read them: pt-BR number and date formats over values that stay numbers,
and how many rows a page's table shows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import pandas as pd
from pandas.io.formats.style import Styler

from carteiro import formatting as fmt

# How many rows the long tables show (the export always holds all filtered rows).
TABLE_ROW_LIMIT: Final = 1_000


def _id_text(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else str(int(value))


def _yes_no(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else ("Sim" if value else "Não")


def pt_br_formats(frame: pd.DataFrame, *, money: Sequence[str] = (),
                  integers: Sequence[str] = (), percent: Sequence[str] = (),
                  dates: Sequence[str] = (), ids: Sequence[str] = (),
                  moments: Sequence[str] = ()) -> dict[str, Callable[[Any], str]]:
    """How each column reads in pt-BR: the named ones as named (``ids`` without thousands
    separators), then by type — yes/no ``Sim``/``Não``, integers ``1.234``, other numbers
    with up to two decimals (``2``, ``1,5``), dates and timestamps ``31/03/2024``; text as
    it is."""
    named: dict[str, Callable[[Any], str]] = {}
    named.update(dict.fromkeys(ids, _id_text))
    named.update(dict.fromkeys(money, fmt.money))
    named.update(dict.fromkeys(integers, fmt.integer))
    named.update(dict.fromkeys(percent, fmt.percent))
    named.update(dict.fromkeys(dates, fmt.date))
    named.update(dict.fromkeys(moments, fmt.moment))
    formats: dict[str, Callable[[Any], str]] = {}
    for column in frame.columns:
        dtype = frame[column].dtype
        if column in named:
            formats[column] = named[column]
        elif pd.api.types.is_bool_dtype(dtype):
            formats[column] = _yes_no
        elif pd.api.types.is_integer_dtype(dtype):
            formats[column] = fmt.integer
        elif pd.api.types.is_float_dtype(dtype):
            formats[column] = fmt.number
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            formats[column] = fmt.date
    return formats


def pt_br_styler(frame: pd.DataFrame, *, money: Sequence[str] = (),
                 integers: Sequence[str] = (), percent: Sequence[str] = (),
                 dates: Sequence[str] = (), ids: Sequence[str] = (),
                 moments: Sequence[str] = ()) -> Styler:
    """A Styler that shows numbers as ``1.234``, ``R$ 1.234,56``, ``12,5%`` and dates as
    ``31/03/2024`` while the values underneath stay numbers (so columns sort right); empty
    cells as ``—``."""
    formats = pt_br_formats(frame, money=money, integers=integers, percent=percent,
                            dates=dates, ids=ids, moments=moments)
    return frame.style.format(formats, na_rep="—")

"""Tables as people read them: pt-BR number and date formats over values that stay numbers,
and how many rows a page's table shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import pandas as pd
from pandas.io.formats.style import Styler

from carteiro import formatting as fmt

# How many rows the long tables show (the export always holds all filtered rows).
TABLE_ROW_LIMIT: Final = 1_000


def pt_br_styler(frame: pd.DataFrame, *, money: Sequence[str] = (),
                 integers: Sequence[str] = (), percent: Sequence[str] = (),
                 dates: Sequence[str] = ()) -> Styler:
    """A Styler that shows numbers as ``1.234``, ``R$ 1.234,56``, ``12,5%`` and dates as
    ``31/03/2024`` while the values underneath stay numbers (so columns sort right)."""
    formats: dict[str, Any] = {}
    formats.update(dict.fromkeys(money, fmt.money))
    formats.update(dict.fromkeys(integers, fmt.integer))
    formats.update(dict.fromkeys(percent, fmt.percent))
    formats.update(dict.fromkeys(dates, fmt.date))
    present = {k: v for k, v in formats.items() if k in frame.columns}
    return frame.style.format(present, na_rep="—")

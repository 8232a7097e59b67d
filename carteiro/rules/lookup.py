"""Vectorised look-ups: a column of keys → positions in a table's id column → its values.

The engine never joins row by row: ``Index.get_indexer`` finds every key's row once, and the
values are taken by position (-1, a null or absent key, takes the ``missing`` value).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from carteiro.erp.normalise import first_positions


def positions(keys: pd.Series, ids: pd.Series) -> np.ndarray:
    """Row position of each key in ``ids`` (-1 when null or absent; a null key never finds a
    null id; of repeated ids the first row)."""
    return first_positions(keys, ids)


def take(values: pd.Series | np.ndarray, where: np.ndarray, missing: object) -> np.ndarray:
    """``values`` at the positions ``where`` as numpy (``missing`` where the position is -1)."""
    array = np.asarray(values, dtype=object if missing is None else None)
    if len(array) == 0:
        return np.full(len(where), missing)
    taken = array[np.clip(where, 0, None)]
    return np.where(where >= 0, taken, missing)


def take_as(values: pd.Series, where: np.ndarray, dtype: str) -> ExtensionArray:
    """``values`` at ``where`` as a ``dtype`` extension array (NA where the position is -1).

    The same values as ``pd.array(take(values.astype(object), where, None), dtype)``
    without a Python object per row (Arrow-backed strings stay in Arrow)."""
    return pd.array(values, dtype=dtype).take(where, allow_fill=True)

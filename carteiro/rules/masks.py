"""Sets of failing reasons as bit masks: bit ``i`` is the ``i``-th condition of the catalogue.

A 9-bit mask per invoice (and the OR of them per customer) turns into codes and labels through
tables of every possible mask, built once: no string is built per row.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from carteiro.rules.catalogue import REASON_CODES

BITS: Final = np.left_shift(1, np.arange(len(REASON_CODES)), dtype=np.int16)
_REASON_STRINGS: Final = [
    ";".join(code for bit, code in enumerate(REASON_CODES) if mask >> bit & 1)
    for mask in range(1 << len(REASON_CODES))
]
_PRIMARY_INDEX: Final = np.array(
    [(mask & -mask).bit_length() - 1 for mask in range(1 << len(REASON_CODES))], dtype=np.int8
)


def reason_bit(code: str) -> int:
    """The bit of ``code`` in a reason mask."""
    return 1 << REASON_CODES.index(code)


def mask_codes(mask: int) -> tuple[str, ...]:
    """The reason codes of a mask, in the contract's order."""
    return tuple(code for bit, code in enumerate(REASON_CODES) if int(mask) >> bit & 1)


def masks_of(failing: np.ndarray) -> np.ndarray:
    """Row masks of a boolean matrix whose columns are the conditions in the contract's order."""
    return (failing.astype(np.int16) * BITS).sum(axis=1).astype(np.int16)


def primary_reasons(mask: np.ndarray) -> pd.Categorical:
    """The first failing code of each mask (NA when none fails), ordered like the contract."""
    return pd.Categorical.from_codes(_PRIMARY_INDEX[mask], categories=list(REASON_CODES),
                                     ordered=True)


def reason_lists(mask: np.ndarray) -> pd.Categorical:
    """Every failing code of each mask joined by ``;`` in the contract's order ("" when none)."""
    return pd.Categorical.from_codes(mask.astype(np.int16), categories=_REASON_STRINGS)

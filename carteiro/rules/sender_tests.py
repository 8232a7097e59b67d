"""Condition 2 and the sender test: a failed test speaks from its day on, never about the past.

A sender whose latest counting test (see :mod:`carteiro.sender.history`) failed on day ``T``
fails condition 2 only for the invoices with at least one send date on or after ``T`` of a
rule that fires (an active rule of the invoice's billing method, the invoice open on
``due date + days``). An invoice whose send dates all fall before ``T`` — or that has none:
no billing method, no active rule, paid before its first send date — is judged as if the
sender were untested. A missing or inactive sender fails condition 2 whatever the dates.

The engine's input is :data:`FailingSince`: sender id → the day its failing test speaks from.

Vectorised: the active rules become one sorted array of (billing method, days) keys; each
invoice looks up, with one ``searchsorted``, the first rule of its method whose send date is
on or after ``T``. The invoice is open on that day (unpaid, or paid on or after it) exactly
when some rule fires on or after ``T``: being open on a later day means being open on every
earlier one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final, TypeAlias

import numpy as np
import pandas as pd

from carteiro.columns import Invoice, RuleIn

FailingSince: TypeAlias = Mapping[int, dt.date]
"""Sender id → the day its latest counting test, a failure, speaks from."""

# Offsets and gaps are clipped to ±_LIMIT days (no calendar reaches that far) so that a
# (method, days) pair packs into one int64 key: method code * _WIDTH + shifted days.
_LIMIT: Final = 2**31
_WIDTH: Final = 2**33

WITHOUT_RULES: Final = "method_without_rules"  # condition 3: no rule, so no send date


def since_array(ids: pd.Series, failing_since: FailingSince) -> np.ndarray:
    """Per id of ``ids``: the day it fails from (``datetime64[D]``), NaT when it does not."""
    known = pd.Index(pd.array(list(failing_since), dtype="Int64"))
    days = np.array([np.datetime64(day, "D") for day in failing_since.values()],
                    dtype="datetime64[D]")
    where = known.get_indexer(ids.astype("Int64"))
    if len(days) == 0:
        return np.full(len(ids), np.datetime64("NaT", "D"))
    return np.where(where >= 0, days[np.clip(where, 0, None)], np.datetime64("NaT", "D"))


def _days(values: object) -> np.ndarray:
    """Dates as whole days since the epoch (int64); NaT becomes 0 (mask it apart)."""
    array = np.asarray(values, dtype="datetime64[D]")
    return np.where(np.isnat(array), 0, array.astype("int64"))


def fires_on_or_after(inv: pd.DataFrame, rules: pd.DataFrame, since: np.ndarray) -> np.ndarray:
    """Per invoice of ``inv``: does an active rule of its billing method fire on a day on or
    after ``since`` (``datetime64[D]`` per invoice; NaT: no day, ``False``)?"""
    since = np.asarray(since, dtype="datetime64[D]")
    active = rules[rules[RuleIn.ACTIVE].to_numpy(dtype=bool)]
    active = active[active[RuleIn.METHOD_ID].notna() & active[RuleIn.DAYS].notna()]
    wanted = ~np.isnat(since)
    if active.empty or not wanted.any():
        return np.zeros(len(inv), dtype=bool)
    methods = pd.Index(active[RuleIn.METHOD_ID].astype("Int64").unique())
    offsets = np.clip(active[RuleIn.DAYS].astype("int64").to_numpy(), -_LIMIT, _LIMIT)
    keys = np.sort(methods.get_indexer(active[RuleIn.METHOD_ID].astype("Int64")) * _WIDTH
                   + offsets + _LIMIT + 1)
    codes = methods.get_indexer(inv[Invoice.METHOD_ID].astype("Int64"))
    due = _days(inv[Invoice.DUE_DATE].to_numpy())
    gap = np.clip(_days(since) - due, -_LIMIT - 1, _LIMIT + 1)
    at = np.searchsorted(keys, codes * _WIDTH + gap + _LIMIT + 1, side="left")
    hit = keys[np.minimum(at, len(keys) - 1)]
    found = (at < len(keys)) & (hit // _WIDTH == codes) & (codes >= 0)
    send = due + (hit % _WIDTH - _LIMIT - 1)
    paid = np.asarray(inv[Invoice.PAID_ON].to_numpy(), dtype="datetime64[D]")
    open_then = (inv[Invoice.UNPAID].to_numpy(dtype=bool)
                 | (~np.isnat(paid) & (_days(paid) >= send)))
    return wanted & found & open_then


def blocked_if_failing(invoices: pd.DataFrame, rules: pd.DataFrame, sender_id: int,
                       day: dt.date) -> np.ndarray:
    """Per audited invoice: would a failed test of ``sender_id`` on ``day`` block it (its
    sender is ``sender_id`` and some rule of its known billing method fires on or after
    ``day``)? Whether the sender is active is not looked at: an inactive sender blocks its
    invoices anyway."""
    mine = ((invoices[Invoice.SENDER_ID].astype("Int64") == sender_id).fillna(False)
            & ~invoices[WITHOUT_RULES].astype(bool))
    since = np.where(mine.to_numpy(dtype=bool), np.datetime64(day, "D"),
                     np.datetime64("NaT", "D"))
    return fires_on_or_after(invoices, rules, since)

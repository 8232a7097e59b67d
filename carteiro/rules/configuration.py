"""The configuration the conditions read, evaluated once per audit: the billing routine
(condition 1), each sender's state (active; the day its latest counting test failed, see
:mod:`carteiro.rules.sender_tests`) and each billing method's effective sender, active rules
and «Status do Serviço para Envio» (conditions 2, 3 and 6).

The sender of a billing method is its own sender when it names one (no fallback when that one
is missing or inactive), else the default sender: the active sender marked default (the lowest
id if several are marked); if no active sender is marked default, the active sender with the
lowest id; if no sender is active, there is none.
"""

from __future__ import annotations

import pandas as pd

from carteiro.columns import Method, RoutineIn, RuleIn, Sender, SendStatus
from carteiro.erp.dataset import BILLING_ROUTINE, ErpData
from carteiro.rules.lookup import positions, take, take_as
from carteiro.rules.sender_tests import FailingSince, since_array


def routine_active(routines: pd.DataFrame) -> bool:
    """Condition 1: an active routine of the billing e-mail kind exists."""
    return bool((routines[RoutineIn.ACTIVE] & (routines[RoutineIn.KIND] == BILLING_ROUTINE))
                .any())


def default_sender_id(senders: pd.DataFrame) -> int | None:
    """The active sender marked default (lowest id), else the active one with the lowest id."""
    active = senders[senders[Sender.ACTIVE]]
    marked = active[active[Sender.IS_DEFAULT]]
    pool = marked if len(marked) else active
    return None if pool.empty else int(pool[Sender.ID].min())


def evaluate_senders(senders: pd.DataFrame, failing_since: FailingSince) -> pd.DataFrame:
    """The senders with the day their latest counting test failed (NaT: it did not), whether
    it failed, and whether they are available today (active and not failed)."""
    out = senders.copy()
    out[Sender.FAILING_SINCE] = since_array(out[Sender.ID], failing_since)
    out[Sender.LAST_TEST_FAILED] = out[Sender.FAILING_SINCE].notna().astype(bool)
    out[Sender.AVAILABLE] = out[Sender.ACTIVE] & ~out[Sender.LAST_TEST_FAILED]
    return out


def sender_active(senders: pd.DataFrame, sender_id: int | None) -> bool:
    """Whether the sender ``sender_id`` exists and is active (None: there is none)."""
    if sender_id is None:
        return False
    where = positions(pd.Series([sender_id], dtype="Int64"), senders[Sender.ID])
    return bool(take(senders[Sender.ACTIVE], where, False)[0])


def evaluate_methods(data: ErpData, senders: pd.DataFrame) -> pd.DataFrame:
    """Billing methods with their effective sender, its availability and their active rules.

    A method naming its sender by an unreadable id names an unknown sender: no effective
    sender (NA), unavailable, no fallback to the default one."""
    methods = data.billing_methods.copy()
    default_id = default_sender_id(senders)
    effective = methods[Method.SENDER_ID].astype("Int64")
    unreadable = methods[Method.SENDER_UNREADABLE].to_numpy(dtype=bool)
    if default_id is not None:
        effective = effective.mask(effective.isna() & ~unreadable, default_id)
    methods[Method.EFFECTIVE_SENDER_ID] = effective
    where = positions(effective, senders[Sender.ID])
    methods[Method.SENDER_AVAILABLE] = take(senders[Sender.AVAILABLE], where, False).astype(bool)
    methods[Method.SENDER_ACTIVE] = take(senders[Sender.ACTIVE], where, False).astype(bool)
    methods[Method.SENDER_FAILING_SINCE] = take_as(
        senders[Sender.FAILING_SINCE].astype("datetime64[s]"), where, "datetime64[s]")
    rules = data.email_rules[data.email_rules[RuleIn.ACTIVE]]
    per_method = rules.groupby(RuleIn.METHOD_ID)[RuleIn.DAYS].agg(["count", "min"])
    methods[Method.ACTIVE_RULES] = (
        methods[Method.ID].map(per_method["count"]).fillna(0).astype(int)
    )
    methods[Method.FIRST_OFFSET] = methods[Method.ID].map(per_method["min"]).astype("Int64")
    methods[Method.EXPLICIT_STATUSES] = methods[Method.ID].isin(
        data.send_statuses[SendStatus.METHOD_ID].dropna()
    ).to_numpy(dtype=bool)
    return methods

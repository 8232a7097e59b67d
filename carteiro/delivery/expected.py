"""Expected sends: for every eligible invoice in scope, the distinct send dates
``due_date + days_offset`` of the active rules of its billing method that fire for it, each
*due* (before the as-of date) or *scheduled* (on or after it). An ineligible invoice has none;
an eligible one has at least one (condition 4 passes).

A rule fires when the invoice is open on its send date: unpaid, or paid on or after that day —
the definition of :func:`carteiro.rules.send_dates.send_dates` (which the diagnosis reads, one
row per rule with its subject); here the same dates are built with numpy for every eligible
invoice at once (a test checks both agree).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from carteiro.columns import ExpectedSend, Invoice, RuleIn
from carteiro.rules.engine import Audit


def _active_rules(audit: Audit) -> tuple[np.ndarray, np.ndarray]:
    """Active rules with a method, sorted by method then offset: (method ids, day offsets)."""
    rules = audit.data.email_rules
    usable = (rules[RuleIn.ACTIVE] & rules[RuleIn.METHOD_ID].notna()).to_numpy(dtype=bool)
    methods = rules[RuleIn.METHOD_ID].to_numpy(dtype="float64", na_value=np.nan)[usable]
    days = rules[RuleIn.DAYS].to_numpy(dtype="float64", na_value=np.nan)[usable]
    order = np.lexsort((days, methods))
    return methods[order].astype(np.int64), days[order].astype(np.int64)


def expected_sends(audit: Audit, as_of: dt.date) -> pd.DataFrame:
    """One row per (eligible invoice, distinct send date of a firing rule), by invoice id then
    date, with whether the send is due at ``as_of``."""
    inv = audit.invoices
    eligible = (inv[Invoice.ELIGIBLE] & inv[Invoice.ID].notna()).to_numpy(dtype=bool)
    invoice_method = inv[Invoice.METHOD_ID].to_numpy(dtype="float64", na_value=np.nan)[eligible]
    rule_methods, rule_days = _active_rules(audit)
    methods, first, count = np.unique(rule_methods, return_index=True, return_counts=True)
    where = pd.Index(methods).get_indexer(invoice_method)
    found = np.clip(where, 0, None)
    per_invoice = np.where(where >= 0, count[found], 0) if len(count) else np.zeros_like(where)
    owner = np.repeat(np.arange(len(where)), per_invoice)
    rule = np.repeat((first[found] if len(first) else where) - (np.cumsum(per_invoice)
                                                                - per_invoice), per_invoice)
    rule = rule + np.arange(len(owner))
    due = inv[Invoice.DUE_DATE].to_numpy(dtype="datetime64[s]")[eligible][owner]
    send = due + (rule_days[rule] * 86_400).astype("timedelta64[s]")
    paid_on = inv[Invoice.PAID_ON].to_numpy(dtype="datetime64[s]")[eligible][owner]
    fires = inv[Invoice.UNPAID].to_numpy(dtype=bool)[eligible][owner] | (paid_on >= send)
    ids = inv[Invoice.ID].to_numpy(dtype=np.int64, na_value=0)[eligible][owner[fires]]
    send = send[fires]
    # each invoice's sends ascend (rules by offset); the audit's invoices ascend by id
    if len(ids) > 1 and not (ids[1:] >= ids[:-1]).all():
        order = np.lexsort((send, ids))
        ids, send = ids[order], send[order]
    distinct = np.ones(len(ids), dtype=bool)
    distinct[1:] = (ids[1:] != ids[:-1]) | (send[1:] != send[:-1])
    ids, send = ids[distinct], send[distinct]
    return pd.DataFrame({
        ExpectedSend.INVOICE_ID: ids,
        ExpectedSend.SEND_DATE: send,
        ExpectedSend.DUE: send < np.datetime64(as_of, "s"),
    })

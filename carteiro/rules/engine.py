"""The eligibility engine: the support article's checklist, computed for every invoice.

:func:`evaluate` takes the normalised ERP tables and returns an :class:`Audit` with

* ``invoices``: one row per invoice in scope, one boolean column per condition of the contract
  (named by its code, ``True`` = the condition fails), ``eligible``, ``primary_reason`` (the
  first failing condition in the contract's order) and ``reasons`` (every failing code,
  joined by ``;`` in that order, empty when none) — :mod:`carteiro.rules.conditions`;
* ``customers``: one row per customer in scope — :mod:`carteiro.rules.customers`;
* the configuration alerts (conditions 1 and 2) — :mod:`carteiro.rules.alerts`.

Everything is vectorised: look-ups by position, reasons as a bit mask turned into labels
through a table of every mask (:mod:`carteiro.rules.masks`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from carteiro.columns import CustomerAudit
from carteiro.erp.dataset import ErpData
from carteiro.erp.readers import release_memory
from carteiro.period import Period
from carteiro.rules.alerts import Alert, configuration_alerts
from carteiro.rules.catalogue import REASON_CODES
from carteiro.rules.conditions import evaluate_invoices
from carteiro.rules.configuration import evaluate_methods, evaluate_senders, routine_active
from carteiro.rules.customers import evaluate_customers
from carteiro.rules.sender_tests import FailingSince


@dataclass(frozen=True)
class Audit:
    period: Period
    data: ErpData
    invoices: pd.DataFrame
    customers: pd.DataFrame
    billing_methods: pd.DataFrame
    senders: pd.DataFrame
    routine_active: bool
    alerts: list[Alert] = field(default_factory=list)

    @property
    def problems(self) -> pd.DataFrame:
        return self.data.problems

    def reason_counts(self) -> pd.DataFrame:
        """Invoices and customers failing each condition, in the contract's order."""
        cust = self.customers[CustomerAudit.REASON_MASK].to_numpy()
        return pd.DataFrame(
            {
                "code": list(REASON_CODES),
                "invoices": [int(self.invoices[c].sum()) for c in REASON_CODES],
                "customers": [int(((cust >> i) & 1).sum()) for i in range(len(REASON_CODES))],
            }
        )


def evaluate(data: ErpData, period: Period, failing_since: FailingSince | None = None) -> Audit:
    """Evaluate the nine conditions for every invoice and customer in scope.

    ``failing_since``: sender id → the day its latest counting test, a failure, speaks from
    (:meth:`carteiro.sender.history.StateStore.failing_since`); condition 2 then fails for
    that sender's invoices with a firing send date on or after that day. None: no test."""
    senders = evaluate_senders(data.senders, failing_since or {})
    methods = evaluate_methods(data, senders)
    active = routine_active(data.routines)
    invoices = evaluate_invoices(data, methods, senders, active)
    release_memory()  # the conditions' intermediate arrays, before the customer table
    return Audit(
        period=period,
        data=data,
        invoices=invoices,
        customers=evaluate_customers(invoices, data.customers),
        billing_methods=methods,
        senders=senders,
        routine_active=active,
        alerts=configuration_alerts(invoices, methods, senders, active),
    )

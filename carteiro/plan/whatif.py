"""What a what-if page shows: coverage, the reasons chart and the money, now versus simulated,
and the customers (and invoices) that the simulated corrections would cover — all from a
:class:`~carteiro.plan.simulator.State` of a :class:`~carteiro.plan.simulator.Simulator`.

Typical use (the page keeps one simulator per loaded audit)::

    sim = Simulator(audit, sender_tests)
    options = find_corrections(audit)           # or Corrections(audit).add_rule(3, -7) …
    state = sim.simulate(picked)                # on every toggle: only what changed
    now, then = coverage(sim, sim.base), coverage(sim, state)
    chart = reasons(sim, state)
    export = customers_gained(sim, state)      # → export.to_excel_csv / to_xlsx
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carteiro.columns import CustomerAudit, Invoice, WhatIfReasons
from carteiro.plan.simulator import Simulator, State
from carteiro.rules.catalogue import REASON_CODES


@dataclass(frozen=True)
class Coverage:
    customers: int  # in scope
    covered: int
    partial: int
    not_covered: int
    invoices: int  # in scope
    eligible: int
    amount_without_notice: float  # open amount of the invoices that get no notice

    @property
    def share(self) -> float:
        """Covered customers as a fraction of the customers in scope."""
        return self.covered / self.customers if self.customers else 1.0


def coverage(sim: Simulator, state: State) -> Coverage:
    eligible, total = state.customer_eligible, sim.customer_total
    return Coverage(
        customers=sim.customers,
        covered=int((eligible == total).sum()),
        partial=int(((eligible > 0) & (eligible < total)).sum()),
        not_covered=int((eligible == 0).sum()),
        invoices=len(state.masks),
        eligible=int((state.masks == 0).sum()),
        amount_without_notice=round(float(np.dot(sim.open_amount, state.masks != 0)), 2),
    )


def customer_masks(sim: Simulator, state: State) -> np.ndarray:
    """Per customer (the audit's customer order): the OR of its invoices' reason masks."""
    out = np.zeros(sim.customers, dtype=np.int16)
    np.bitwise_or.at(out, sim.customer_codes, state.masks)
    return out


def _counts(masks: np.ndarray) -> list[int]:
    return [int(((masks >> bit) & 1).sum()) for bit in range(len(REASON_CODES))]


def reasons(sim: Simulator, state: State) -> pd.DataFrame:
    """Invoices and customers failing each condition, now and simulated (contract order)."""
    c = WhatIfReasons
    return pd.DataFrame({
        c.CODE: list(REASON_CODES),
        c.INVOICES_NOW: _counts(sim.base.masks),
        c.INVOICES_SIMULATED: _counts(state.masks),
        c.CUSTOMERS_NOW: _counts(customer_masks(sim, sim.base)),
        c.CUSTOMERS_SIMULATED: _counts(customer_masks(sim, state)),
    })


def customers_gained(sim: Simulator, state: State) -> pd.DataFrame:
    """The customers not covered today that ``state`` covers, as the audit shows them today
    (status, reasons and open amount without notice), ascending id."""
    covered_now = sim.base.customer_eligible == sim.customer_total
    covered_then = state.customer_eligible == sim.customer_total
    columns = [CustomerAudit.ID, CustomerAudit.NAME, CustomerAudit.DOCUMENT, CustomerAudit.CITY,
               CustomerAudit.STATUS, CustomerAudit.REASONS, CustomerAudit.INVOICES,
               CustomerAudit.AMOUNT_WITHOUT_NOTICE]
    customers = sim.audit.customers
    return customers.loc[covered_then & ~covered_now, columns].reset_index(drop=True)


def invoices_gained(sim: Simulator, state: State) -> pd.DataFrame:
    """The invoices not eligible today that are eligible under ``state``, with today's
    reasons, ascending id."""
    gained = (state.masks == 0) & (sim.base.masks != 0)
    columns = [Invoice.ID, Invoice.CUSTOMER_ID, Invoice.DUE_DATE, Invoice.AMOUNT,
               Invoice.UNPAID, Invoice.REASONS]
    return sim.audit.invoices.loc[gained, columns].reset_index(drop=True)

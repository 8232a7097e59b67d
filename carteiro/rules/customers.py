"""Invoices → customers: a customer is covered when all its invoices in scope are eligible,
partial when some are, not covered when none is. Its reasons are the union of its invoices'
reasons (OR of the masks), in the contract's order; its primary reason is the first of them.
The open amount without notice is the sum of the amounts of its invoices in scope that are not
eligible and still unpaid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carteiro.columns import CustomerAudit, CustomerIn, Invoice
from carteiro.rules.catalogue import COVERAGE_ORDER
from carteiro.rules.lookup import positions, take_as
from carteiro.rules.masks import primary_reasons, reason_lists


def evaluate_customers(inv: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """One row per customer in scope (ascending id, a null id last), from the audited invoices."""
    without_notice = np.where(
        ~inv[Invoice.ELIGIBLE] & inv[Invoice.UNPAID], inv[Invoice.AMOUNT].fillna(0.0), 0.0
    )
    # One group per customer id, ascending, a null id last (as groupby(sort=True,
    # dropna=False) orders them); reasons OR-ed as bit masks, counts by bincount.
    codes, uniques = pd.factorize(inv[Invoice.CUSTOMER_ID].astype("Int64"), sort=True,
                                  use_na_sentinel=True)
    ids = pd.array(uniques, dtype="Int64")
    if (codes < 0).any():
        codes = np.where(codes < 0, len(ids), codes)
        ids = pd.array([*ids, pd.NA], dtype="Int64")
    groups = len(ids)
    mask = np.zeros(groups, dtype=np.int16)
    np.bitwise_or.at(mask, codes, inv[Invoice.REASON_MASK].to_numpy(dtype=np.int16))
    total = np.bincount(codes, minlength=groups)
    eligible = np.bincount(codes, weights=inv[Invoice.ELIGIBLE].to_numpy(dtype=bool),
                           minlength=groups).astype(np.int64)
    # pandas' grouped sum (compensated), the same rounding as before
    amount = pd.Series(without_notice).groupby(codes, sort=True).sum().to_numpy()
    ids = pd.Series(ids)
    c_pos = positions(ids, customers[CustomerIn.ID])
    status_code = np.where(eligible == total, 0, np.where(eligible == 0, 2, 1))
    out = pd.DataFrame(
        {
            CustomerAudit.ID: ids,
            CustomerAudit.NAME: take_as(customers[CustomerIn.NAME], c_pos, "string"),
            CustomerAudit.DOCUMENT: take_as(customers[CustomerIn.DOCUMENT], c_pos, "string"),
            CustomerAudit.CITY: take_as(customers[CustomerIn.CITY], c_pos, "string"),
            CustomerAudit.ACTIVE: take_as(customers[CustomerIn.ACTIVE], c_pos, "boolean"),
            CustomerAudit.INVOICES: total.astype(int),
            CustomerAudit.ELIGIBLE_INVOICES: eligible.astype(int),
            CustomerAudit.STATUS: pd.Categorical.from_codes(
                status_code, categories=list(COVERAGE_ORDER), ordered=True),
            CustomerAudit.PRIMARY_REASON: primary_reasons(mask),
            CustomerAudit.REASONS: reason_lists(mask),
            CustomerAudit.REASON_MASK: mask,
            CustomerAudit.AMOUNT_WITHOUT_NOTICE: amount.round(2),
        }
    )
    return out

"""Coverage aggregates straight from audited invoice rows: one period's
:class:`~carteiro.views.coverage.CoverageSummary`, and the monthly trend — both from one read
of many months (one audit over the whole span, grouped by the month of the due date), never one
audit per month.

Choices the issue leaves open:

* a customer is counted **per month** in the trend (covered in a month when all its invoices
  due in that month get a notice), the same rule as a period's customer table;
* an invoice's verdict does not depend on the period it was read with (the conditions look at
  the invoice, its customer, service, billing method and sender), so the months of a long read
  give the same numbers as each month read alone;
* the trend covers the 12 calendar months ending with the month of the period's end; when the
  ERP is large (more than :data:`TREND_MAX_INVOICES` invoices estimated in the read) it covers
  fewer months, never less than the previous period, and says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from carteiro.columns import Invoice
from carteiro.errors import CarteiroError
from carteiro.period import FIRST_DAY, Period
from carteiro.views.coverage import CoverageSummary

TREND_MONTHS: Final = 12
TREND_MAX_INVOICES: Final = 1_500_000
"""Above this many invoices estimated in the earlier months' read, the trend covers fewer
months (at a million customers one month is a million invoices and ~1 GB while evaluated)."""

# The columns of an invoice table the aggregates need (a slim copy is all a long read keeps).
SLIM_COLUMNS: Final = (Invoice.CUSTOMER_ID, Invoice.DUE_DATE, Invoice.ELIGIBLE, Invoice.UNPAID,
                       Invoice.AMOUNT)


class Trend:
    """Columns of the monthly trend."""

    MONTH: Final = "month"
    CUSTOMERS: Final = "customers"
    COVERED: Final = "covered"
    PARTIAL: Final = "partial"
    NOT_COVERED: Final = "not_covered"
    INVOICES: Final = "invoices"
    ELIGIBLE: Final = "eligible_invoices"
    AMOUNT: Final = "amount_without_notice"
    OPEN: Final = "open_amount"
    SHARE: Final = "covered_share"
    INVOICE_SHARE: Final = "eligible_share"


def slim(invoices: pd.DataFrame) -> pd.DataFrame:
    """The columns the aggregates need, with the due date as ``datetime64``."""
    out = invoices[list(SLIM_COLUMNS)].copy()
    out[Invoice.DUE_DATE] = pd.to_datetime(out[Invoice.DUE_DATE])
    return out.reset_index(drop=True)


def group_summaries(invoices: pd.DataFrame, groups: np.ndarray, n_groups: int) -> pd.DataFrame:
    """Per group ``0..n_groups-1`` of the rows (``groups``; -1 = left out): customers (covered,
    partial, not covered), invoices, eligible invoices, open amount without notice and the
    whole open amount. Customers are grouped within each group; a null customer id is one
    customer (as in the audit's customer table)."""
    keep = groups >= 0
    inv = invoices[keep]
    group = groups[keep].astype(np.int64)
    eligible = inv[Invoice.ELIGIBLE].to_numpy(dtype=bool)
    unpaid = inv[Invoice.UNPAID].to_numpy(dtype=bool)
    amount = inv[Invoice.AMOUNT].astype("Float64").fillna(0.0).to_numpy(dtype=float)
    customer, _ = pd.factorize(inv[Invoice.CUSTOMER_ID].astype("Int64"), use_na_sentinel=False)
    pair, pairs = pd.factorize(group * (int(customer.max(initial=0)) + 1) + customer)
    pair_group = np.zeros(len(pairs), dtype=np.int64)
    pair_group[pair] = group
    total = np.bincount(pair, minlength=len(pairs))
    good = np.bincount(pair, weights=eligible, minlength=len(pairs))
    status = np.where(good == total, 0, np.where(good == 0, 2, 1))

    def per_group(weights: np.ndarray | None, index: np.ndarray = group) -> np.ndarray:
        return np.bincount(index, weights=weights, minlength=n_groups)

    return pd.DataFrame({
        Trend.CUSTOMERS: per_group(None, pair_group).astype(int),
        Trend.COVERED: per_group((status == 0).astype(float), pair_group).astype(int),
        Trend.PARTIAL: per_group((status == 1).astype(float), pair_group).astype(int),
        Trend.NOT_COVERED: per_group((status == 2).astype(float), pair_group).astype(int),
        Trend.INVOICES: per_group(None).astype(int),
        Trend.ELIGIBLE: per_group(eligible.astype(float)).astype(int),
        Trend.AMOUNT: per_group(np.where(~eligible & unpaid, amount, 0.0)).round(2),
        Trend.OPEN: per_group(np.where(unpaid, amount, 0.0)).round(2),
    })


def _summary(row: pd.Series) -> CoverageSummary:
    return CoverageSummary(
        customers=int(row[Trend.CUSTOMERS]), covered=int(row[Trend.COVERED]),
        partial=int(row[Trend.PARTIAL]), not_covered=int(row[Trend.NOT_COVERED]),
        invoices=int(row[Trend.INVOICES]), eligible_invoices=int(row[Trend.ELIGIBLE]),
        amount_without_notice=float(row[Trend.AMOUNT]), open_amount=float(row[Trend.OPEN]))


def period_summary(invoices: pd.DataFrame, period: Period) -> CoverageSummary:
    """The summary of the invoices due in ``period`` (of a slim or audited invoice table)."""
    due = pd.to_datetime(invoices[Invoice.DUE_DATE])
    inside = ((due >= pd.Timestamp(period.start)) & (due <= pd.Timestamp(period.end))).to_numpy()
    groups = np.where(inside, 0, -1)
    return _summary(group_summaries(invoices, groups, 1).iloc[0])


def monthly(invoices: pd.DataFrame, months: list[dt.date]) -> pd.DataFrame:
    """One row per month of ``months`` (first days, ascending), grouped by the month of the due
    date; months without invoices have zeros and no share."""
    due = pd.to_datetime(invoices[Invoice.DUE_DATE])
    first = pd.Timestamp(months[0])
    index = ((due.dt.year - first.year) * 12 + due.dt.month - first.month).to_numpy()
    groups = np.where((index >= 0) & (index < len(months)), index, -1)
    out = group_summaries(invoices, groups, len(months))
    out.insert(0, Trend.MONTH, pd.to_datetime(months))
    out[Trend.SHARE] = out[Trend.COVERED] / out[Trend.CUSTOMERS].where(out[Trend.CUSTOMERS] > 0)
    out[Trend.INVOICE_SHARE] = (out[Trend.ELIGIBLE]
                                / out[Trend.INVOICES].where(out[Trend.INVOICES] > 0))
    return out


def month_starts(last: dt.date, count: int) -> list[dt.date]:
    """The first days of the ``count`` months ending with the month of ``last``."""
    ordinal = last.year * 12 + last.month - 1
    return [dt.date(m // 12, m % 12 + 1, 1) for m in range(ordinal - count + 1, ordinal + 1)
            if m // 12 >= FIRST_DAY.year]


def previous_or_none(period: Period) -> Period | None:
    """The previous period of the same length, or None when there is none (a period starting
    at the first accepted day)."""
    try:
        return period.previous()
    except CarteiroError:
        return None


@dataclass(frozen=True)
class TrendPlan:
    """What the earlier read covers: ``earlier`` (the days before the period, one read; None
    when there are none), the trend's ``months`` and the ``previous`` period."""

    earlier: Period | None
    months: list[dt.date]
    previous: Period | None
    limited: bool


def plan_trend(period: Period, invoices_in_period: int) -> TrendPlan:
    """The months of the trend and the one earlier read that gives them and the previous
    period: from the first of those months (or the previous period's start, if earlier) to the
    day before the period."""
    previous = previous_or_none(period)
    per_month = invoices_in_period * 30.4 / max(period.days, 1)
    months = month_starts(period.end, TREND_MONTHS)
    limited = False
    if per_month * (len(months) - 1) > TREND_MAX_INVOICES:
        affordable = max(1, int(TREND_MAX_INVOICES // max(per_month, 1.0)))
        months = months[-(affordable + 1):]
        limited = True
    start = months[0]
    if previous is not None:
        start = min(start, previous.start)
    if start >= period.start:
        return TrendPlan(None, months, previous, limited)
    return TrendPlan(Period(start, period.start - dt.timedelta(days=1)), months, previous,
                     limited)


@dataclass(frozen=True)
class TrendData:
    """The monthly trend and the previous period's summary (None without one)."""

    months: pd.DataFrame
    previous: CoverageSummary | None
    limited: bool


def trend_data(plan: TrendPlan, current: pd.DataFrame,
               earlier: pd.DataFrame | None) -> TrendData:
    """From the period's invoices and the earlier read's (slim or audited), the monthly trend
    and the previous period's summary (from the earlier read alone: it ends the day before)."""
    parts = [slim(current)] + ([slim(earlier)] if earlier is not None else [])
    rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    previous = None
    if plan.previous is not None and earlier is not None:
        previous = period_summary(slim(earlier), plan.previous)
    return TrendData(monthly(rows, plan.months), previous, plan.limited)

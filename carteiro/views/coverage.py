"""Cobertura: how many customers and invoices get the billing e-mail, against the previous
period, and where coverage is lost.

Choice the issue leaves open: the **coverage by billing method / service status / due date**
counts *invoices* (an invoice has exactly one billing method, one service and one due date; a
customer may have several).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd

from carteiro import formatting as fmt
from carteiro.columns import CustomerAudit, Invoice
from carteiro.rules.catalogue import CONDITIONS_IN_WORDS
from carteiro.rules.engine import Audit
from carteiro.views.labels import invoice_method_labels, invoice_status_labels, signed_money


@dataclass(frozen=True)
class CoverageSummary:
    customers: int
    covered: int
    partial: int
    not_covered: int
    invoices: int
    eligible_invoices: int
    amount_without_notice: float
    open_amount: float = 0.0
    """The amount of every unpaid invoice in scope (with or without notice)."""

    @property
    def open_share_without_notice(self) -> float | None:
        """Share of the open amount that gets no notice (None when nothing is open)."""
        return self.amount_without_notice / self.open_amount if self.open_amount else None

    @property
    def invoices_without_notice(self) -> int:
        return self.invoices - self.eligible_invoices

    @property
    def covered_share(self) -> float | None:
        return self.covered / self.customers if self.customers else None

    @property
    def eligible_share(self) -> float | None:
        return self.eligible_invoices / self.invoices if self.invoices else None


def coverage_summary(audit: Audit) -> CoverageSummary:
    status = audit.customers[CustomerAudit.STATUS].value_counts()
    return CoverageSummary(
        customers=len(audit.customers),
        covered=int(status.get("covered", 0)),
        partial=int(status.get("partial", 0)),
        not_covered=int(status.get("not_covered", 0)),
        invoices=len(audit.invoices),
        eligible_invoices=int(audit.invoices[Invoice.ELIGIBLE].sum()),
        amount_without_notice=round(
            float(audit.customers[CustomerAudit.AMOUNT_WITHOUT_NOTICE].sum()), 2),
        open_amount=open_amount(audit),
    )


def open_amount(audit: Audit) -> float:
    """The amount of every unpaid invoice in scope, with or without notice."""
    unpaid = audit.invoices[Invoice.UNPAID].to_numpy(dtype=bool)
    return round(float(audit.invoices[Invoice.AMOUNT].fillna(0.0)[unpaid].sum()), 2)


DeltaColor = Literal["normal", "inverse", "off"]


@dataclass(frozen=True)
class MetricView:
    """One ``st.metric``: every text already in pt-BR."""

    key: str
    label: str
    value: str
    delta: str | None
    delta_color: DeltaColor
    help: str


def _share_text(part: int, whole: int) -> str:
    return fmt.percent(part / whole) if whole else "—"


def coverage_metrics(current: CoverageSummary,
                     previous: CoverageSummary | None) -> list[MetricView]:
    """The Cobertura metrics, each with its change against the previous period of the same
    length (no delta when that period has no invoice in scope)."""
    p = previous if previous is not None and previous.invoices > 0 else None
    c = current
    specs: list[tuple[str, str, float, float | None, DeltaColor, str]] = [
        ("customers", "Clientes no período", c.customers, p and p.customers, "off",
         "Clientes com ao menos uma fatura não cancelada com vencimento no período."),
        ("covered", "Cobertos", c.covered, p and p.covered, "normal",
         f"{_share_text(c.covered, c.customers)} dos clientes: todas as faturas do período "
         "recebem aviso por e-mail."),
        ("partial", "Parciais", c.partial, p and p.partial, "inverse",
         f"{_share_text(c.partial, c.customers)} dos clientes: algumas faturas recebem aviso, "
         "outras não."),
        ("not_covered", "Sem cobertura", c.not_covered, p and p.not_covered, "inverse",
         f"{_share_text(c.not_covered, c.customers)} dos clientes: nenhuma fatura do período "
         "recebe aviso."),
        ("invoices", "Faturas no período", c.invoices, p and p.invoices, "off",
         "Faturas não canceladas com vencimento no período."),
        ("eligible_invoices", "Faturas com aviso", c.eligible_invoices,
         p and p.eligible_invoices, "normal",
         f"{_share_text(c.eligible_invoices, c.invoices)} das faturas passam nas "
         f"{CONDITIONS_IN_WORDS}."),
        ("invoices_without_notice", "Faturas sem aviso", c.invoices_without_notice,
         p and p.invoices_without_notice, "inverse",
         f"{_share_text(c.invoices_without_notice, c.invoices)} das faturas falham em ao menos "
         "uma condição."),
        ("amount_without_notice", "Em aberto sem aviso", c.amount_without_notice,
         p and p.amount_without_notice, "inverse",
         "Soma do valor das faturas não pagas que não recebem aviso por e-mail."),
    ]
    out: list[MetricView] = []
    for key, label, value, before, good, help_text in specs:
        money = key == "amount_without_notice"
        delta: str | None = None
        color: DeltaColor = good
        if p is not None and before is not None:
            change = round(value - before, 2)
            delta = signed_money(change) if money else fmt.signed_integer(change)
            color = "off" if change == 0 else good
        text = fmt.money(value) if money else fmt.integer(value)
        out.append(MetricView(key, label, text, delta, color, help_text))
    return out


class Breakdown:
    """Columns of the coverage breakdowns (by billing method, service status, due date)."""

    LABEL: Final = "label"
    INVOICES: Final = "invoices"
    ELIGIBLE: Final = "eligible"
    NOT_ELIGIBLE: Final = "not_eligible"
    SHARE: Final = "share"
    CUSTOMERS: Final = "customers"
    AMOUNT: Final = "amount_without_notice"
    DUE_DATE: Final = "due_date"
    BUCKET: Final = "bucket"  # what a bar of the time figure covers: day | week | month


BREAKDOWN_HEADERS: Final[dict[str, str]] = {
    Breakdown.INVOICES: "Faturas",
    Breakdown.ELIGIBLE: "Com aviso",
    Breakdown.NOT_ELIGIBLE: "Sem aviso",
    Breakdown.SHARE: "Cobertura",
    Breakdown.CUSTOMERS: "Clientes",
    Breakdown.AMOUNT: "Em aberto sem aviso",
    Breakdown.DUE_DATE: "Vencimento",
}
METHOD_BREAKDOWN_HEADERS: Final = {Breakdown.LABEL: "Forma de cobrança", **BREAKDOWN_HEADERS}
STATUS_BREAKDOWN_HEADERS: Final = {Breakdown.LABEL: "Status do serviço", **BREAKDOWN_HEADERS}


def _amount_without_notice(inv: pd.DataFrame) -> np.ndarray:
    """Per invoice: its amount when it is unpaid and gets no notice, else 0."""
    return np.where(~inv[Invoice.ELIGIBLE].to_numpy(dtype=bool)
                    & inv[Invoice.UNPAID].to_numpy(dtype=bool),
                    inv[Invoice.AMOUNT].fillna(0.0).to_numpy(dtype=float), 0.0)


def breakdown(audit: Audit, labels: pd.Series,
              selected: np.ndarray | None = None) -> pd.DataFrame:
    """Invoices in scope (or the ``selected`` ones) per label (one per invoice): with and
    without notice, share, customers and open amount without notice; largest first."""
    inv = audit.invoices
    frame = pd.DataFrame({
        Breakdown.LABEL: labels.to_numpy(),
        Breakdown.ELIGIBLE: inv[Invoice.ELIGIBLE].to_numpy(dtype=int),
        Breakdown.AMOUNT: _amount_without_notice(inv),
        "_customer": inv[Invoice.CUSTOMER_ID].to_numpy(),
    })
    if selected is not None:
        frame = frame[selected]
    grouped = frame.groupby(Breakdown.LABEL, sort=False).agg(
        **{Breakdown.INVOICES: (Breakdown.ELIGIBLE, "size"),
           Breakdown.ELIGIBLE: (Breakdown.ELIGIBLE, "sum"),
           Breakdown.CUSTOMERS: ("_customer", "nunique"),
           Breakdown.AMOUNT: (Breakdown.AMOUNT, "sum")}
    ).reset_index()
    grouped[Breakdown.NOT_ELIGIBLE] = grouped[Breakdown.INVOICES] - grouped[Breakdown.ELIGIBLE]
    grouped[Breakdown.SHARE] = grouped[Breakdown.ELIGIBLE] / grouped[Breakdown.INVOICES]
    grouped[Breakdown.AMOUNT] = grouped[Breakdown.AMOUNT].round(2)
    columns = [Breakdown.LABEL, Breakdown.INVOICES, Breakdown.ELIGIBLE, Breakdown.NOT_ELIGIBLE,
               Breakdown.SHARE, Breakdown.CUSTOMERS, Breakdown.AMOUNT]
    return (grouped[columns].sort_values([Breakdown.INVOICES, Breakdown.LABEL],
                                         ascending=[False, True])
            .reset_index(drop=True))


def coverage_by_method(audit: Audit) -> pd.DataFrame:
    """Invoices in scope per billing method: with and without notice, share, open amount."""
    return breakdown(audit, invoice_method_labels(audit))


def coverage_by_service_status(audit: Audit) -> pd.DataFrame:
    """Invoices in scope per service status (by its ERP description)."""
    return breakdown(audit, invoice_status_labels(audit))


def coverage_by_due_date(audit: Audit) -> pd.DataFrame:
    """Invoices with and without notice per due date, every day of the period present."""
    inv = audit.invoices
    days = pd.date_range(audit.period.start, audit.period.end, freq="D")
    eligible = inv[Invoice.ELIGIBLE].to_numpy(dtype=bool)
    due = pd.to_datetime(inv[Invoice.DUE_DATE]).dt.normalize()
    with_notice = due[eligible].value_counts().reindex(days, fill_value=0)
    without = due[~eligible].value_counts().reindex(days, fill_value=0)
    total = with_notice + without
    share = (with_notice / total.where(total > 0)).astype(float)
    return pd.DataFrame({
        Breakdown.DUE_DATE: days,
        Breakdown.ELIGIBLE: with_notice.to_numpy(dtype=int),
        Breakdown.NOT_ELIGIBLE: without.to_numpy(dtype=int),
        Breakdown.INVOICES: total.to_numpy(dtype=int),
        Breakdown.SHARE: share.to_numpy(),
    })


DAILY_MAX_DAYS: Final = 62
WEEKLY_MAX_DAYS: Final = 184


def time_bucket(period_days: int) -> str:
    """One bar per day up to :data:`DAILY_MAX_DAYS` days, per week (from Monday) up to
    :data:`WEEKLY_MAX_DAYS`, per month beyond."""
    if period_days <= DAILY_MAX_DAYS:
        return "day"
    return "week" if period_days <= WEEKLY_MAX_DAYS else "month"


def coverage_over_time(audit: Audit) -> pd.DataFrame:
    """:func:`coverage_by_due_date` with one row per day, week or month of the period
    (:func:`time_bucket`); ``due_date`` is the first day of each (the period's start for the
    first, partial, one)."""
    daily = coverage_by_due_date(audit)
    bucket = time_bucket(audit.period.days)
    days = pd.to_datetime(daily[Breakdown.DUE_DATE])
    if bucket == "day":
        return daily.assign(**{Breakdown.BUCKET: bucket})
    if bucket == "week":
        starts = days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    else:
        starts = days.dt.to_period("M").dt.to_timestamp()
    starts = starts.clip(lower=pd.Timestamp(audit.period.start))
    grouped = (daily.assign(**{Breakdown.DUE_DATE: starts.to_numpy()})
               .groupby(Breakdown.DUE_DATE, sort=True)[
                   [Breakdown.ELIGIBLE, Breakdown.NOT_ELIGIBLE, Breakdown.INVOICES]].sum()
               .reset_index())
    total = grouped[Breakdown.INVOICES]
    grouped[Breakdown.SHARE] = (grouped[Breakdown.ELIGIBLE] / total.where(total > 0)).astype(float)
    grouped[Breakdown.BUCKET] = bucket
    return grouped

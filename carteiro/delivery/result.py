"""The result of a reconciliation (:class:`Delivery`), shaped for the CLI, the ``check``
command and a dashboard page: the delivery table, the expected sends, the counted log, the day
by day table, the alerts of the days without sends, and the usual questions asked of them
(invoices per status, failures per error kind, addresses that keep failing, invoices sent while
ineligible, one invoice's expected dates against its log rows).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from carteiro import formatting as fmt
from carteiro.columns import (
    DeliveryDay,
    DeliveryInvoice,
    ExpectedSend,
    FailingAddress,
    Invoice,
    SendLog,
)
from carteiro.delivery.catalogue import (
    DAY_WITHOUT_SENDS,
    DELIVERY_CODES,
    ERROR_KIND_CODES,
    FAILED,
    MISSING,
    SENT,
    SENT_WHILE_INELIGIBLE,
)
from carteiro.memory_cache import SHARED
from carteiro.period import Period
from carteiro.rules.alerts import Alert
from carteiro.rules.engine import Audit

DUE_STATUSES: Final = (SENT, FAILED, MISSING)
"""The statuses of the eligible invoices with a due send (the due notices)."""


@dataclass(frozen=True)
class Delivery:
    """What the routine did for the invoices in scope of ``audit``, known at ``as_of``.

    * ``invoices`` — :class:`~carteiro.columns.DeliveryInvoice`, one row per invoice in scope
      in the audit's order;
    * ``expected`` — :class:`~carteiro.columns.ExpectedSend`, the expected sends;
    * ``log`` — :class:`~carteiro.columns.SendLog`, the kept log rows (``counted``: dated
      before ``as_of``), with the error kind of each row not accepted;
    * ``days`` — :class:`~carteiro.columns.DeliveryDay`, expected against sent and failed,
      per day;
    * ``log_problems`` — the data problems of the send log (``problems`` adds the audit's).
    """

    audit: Audit = field(metadata={SHARED: True})  # cached on its own: not counted twice
    as_of: dt.date
    invoices: pd.DataFrame
    expected: pd.DataFrame
    log: pd.DataFrame
    days: pd.DataFrame
    log_problems: pd.DataFrame

    @property
    def period(self) -> Period:
        return self.audit.period

    @property
    def problems(self) -> pd.DataFrame:
        """Every data problem: the audit's, then the send log's."""
        return pd.concat([self.audit.problems, self.log_problems], ignore_index=True)

    @property
    def alerts(self) -> list[Alert]:
        """The configuration alerts: conditions 1 and 2, then each day without sends."""
        return [*self.audit.alerts, *self.day_alerts()]

    def status_counts(self) -> pd.Series:
        """Invoices per delivery status, every status in the contract's order."""
        counts = self.invoices[DeliveryInvoice.STATUS].value_counts()
        return counts.reindex(list(DELIVERY_CODES), fill_value=0).astype(int)

    def error_kind_counts(self) -> pd.Series:
        """Failed invoices per error kind, every kind in the contract's order."""
        counts = self.invoices[DeliveryInvoice.ERROR_KIND].value_counts()
        return counts.reindex(list(ERROR_KIND_CODES), fill_value=0).astype(int)

    def due_notices(self) -> int:
        """Eligible invoices with a due send: sent, failed or missing."""
        return int(self.status_counts()[list(DUE_STATUSES)].sum())

    def days_without_sends(self) -> pd.DataFrame:
        """The days without sends (day, expected notices), oldest first."""
        days = self.days[self.days[DeliveryDay.WITHOUT_SENDS]]
        return days[[DeliveryDay.DAY, DeliveryDay.EXPECTED]].reset_index(drop=True)

    def day_alerts(self) -> list[Alert]:
        """One configuration alert per day without sends, naming the day and its notices."""
        alerts = []
        for day, notices in self.days_without_sends().itertuples(index=False):
            count = int(notices)
            alerts.append(Alert(
                DAY_WITHOUT_SENDS.code,
                f"Nenhum envio de cobrança registrado em {fmt.date(pd.Timestamp(day))}",
                f"{fmt.integer(count)} aviso{'' if count == 1 else 's'} de cobrança "
                f"previsto{'' if count == 1 else 's'} e nenhuma tentativa no log: a rotina não "
                "rodou.",
                DAY_WITHOUT_SENDS.where,
                count,
            ))
        return alerts

    def sent_while_ineligible(self) -> pd.DataFrame:
        """The invoices sent although they fail a condition today, with their reasons."""
        rows = self.invoices[DeliveryInvoice.STATUS] == SENT_WHILE_INELIGIBLE
        out = self.invoices[rows.to_numpy(dtype=bool)]
        reasons = self.audit.invoices.loc[rows.to_numpy(dtype=bool), Invoice.REASONS]
        return out.assign(**{Invoice.REASONS: reasons.to_numpy()}).reset_index(drop=True)

    def failing_addresses(self, min_failures: int = 2) -> pd.DataFrame:
        """Addresses (trimmed, lower case) with at least ``min_failures`` counted failed rows
        and no accepted one, most failures first."""
        counted = self.log[self.log[SendLog.COUNTED]]
        address = counted[SendLog.ADDRESS].str.strip().str.lower()
        accepted = counted[SendLog.ACCEPTED].to_numpy(dtype=bool)
        failed = counted[~accepted].assign(**{FailingAddress.ADDRESS: address[~accepted]})
        ever_accepted = failed[FailingAddress.ADDRESS].isin(address[accepted].dropna())
        failed = failed[~ever_accepted.to_numpy(dtype=bool)]
        failed = failed.sort_values([SendLog.SENT_ON, SendLog.ID], kind="stable")
        groups = failed.groupby(FailingAddress.ADDRESS, sort=False, dropna=False)
        out = pd.DataFrame({
            FailingAddress.FAILURES: groups.size(),
            FailingAddress.INVOICES: groups[SendLog.INVOICE_ID].nunique(),
            FailingAddress.CUSTOMERS: groups[SendLog.CUSTOMER_ID].nunique(),
            FailingAddress.FIRST_FAILURE: groups[SendLog.SENT_ON].min(),
            FailingAddress.LAST_FAILURE: groups[SendLog.SENT_ON].max(),
            FailingAddress.LAST_ERROR_KIND: groups[SendLog.ERROR_KIND].last(),
            FailingAddress.LAST_ERROR: groups[SendLog.ERROR].last(),
        })
        out = out[out[FailingAddress.FAILURES] >= min_failures]
        out = out.rename_axis(FailingAddress.ADDRESS).reset_index()
        return out.sort_values([FailingAddress.FAILURES, FailingAddress.ADDRESS],
                               ascending=[False, True], kind="stable").reset_index(drop=True)

    def invoice_detail(self, invoice_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """One invoice's expected sends and its kept log rows (counted or not), by date."""
        expected = self.expected[self.expected[ExpectedSend.INVOICE_ID] == invoice_id]
        log = self.log[self.log[SendLog.INVOICE_ID] == invoice_id]
        log = log.sort_values([SendLog.SENT_ON, SendLog.ID], kind="stable")
        return expected.reset_index(drop=True), log.reset_index(drop=True)

    def sent_share(self) -> float | None:
        """Share of the due notices that were sent (None when nothing was due)."""
        due = self.due_notices()
        return None if due == 0 else float(self.status_counts()[SENT]) / due

    def eligible_share(self) -> float | None:
        """Share of the invoices in scope that are eligible (None without invoices)."""
        eligible = self.invoices[DeliveryInvoice.ELIGIBLE].to_numpy(dtype=bool)
        return None if len(eligible) == 0 else float(np.mean(eligible))

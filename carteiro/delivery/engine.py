"""The reconciliation: the nine conditions' verdicts (an :class:`~carteiro.rules.engine.Audit`)
against what the ERP's routine did (its send log), as known at the start of the as-of date.

:func:`reconcile` gives a :class:`~carteiro.delivery.result.Delivery` with, for every invoice
in scope, the first delivery status of the contract's table that applies:

1. ``sent`` — eligible, and a counted log row has ``enviado`` true;
2. ``scheduled`` — eligible, and none of its expected sends is due yet;
3. ``failed`` — eligible, with counted log rows, none accepted (its error kind: the message of
   its latest row, latest by send day then highest log id — a row without an id ranks below
   every id of the same day, *choice*);
4. ``missing`` — eligible, no counted log row although a send was due;
5. ``sent_while_ineligible`` — not eligible, yet a counted row has ``enviado`` true;
6. ``not_expected`` — not eligible, no accepted row.

and the days without sends: a day before the as-of date on which some invoice in scope had a due
expected send and no invoice in scope has a counted log row. Delivery never changes eligibility:
the audit's invoice table is read, never written.

Everything is vectorised: invoices found by position, counts by ``bincount``, the latest row
per invoice by one ``lexsort``, the expected dates joined per invoice by Arrow.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carteiro.columns import DeliveryDay, DeliveryInvoice, ExpectedSend, Invoice, SendLog
from carteiro.delivery.catalogue import (
    DELIVERY_CODES,
    ERROR_KIND_CODES,
    FAILED,
    MISSING,
    NOT_EXPECTED,
    SCHEDULED,
    SENT,
    SENT_WHILE_INELIGIBLE,
)
from carteiro.delivery.classify import classify_messages
from carteiro.delivery.expected import expected_sends
from carteiro.delivery.result import Delivery
from carteiro.delivery.send_log import normalise_send_log
from carteiro.erp.problems import ProblemLog
from carteiro.rules.engine import Audit

_NO_ID = np.iinfo(np.int64).min  # a log row without an id ranks below every id


def _rows_of(keys: np.ndarray, ids: pd.Series) -> np.ndarray:
    """The row of each invoice id of ``keys`` in the audit's ``ids`` (-1: none). Ids are
    unique there; a null id (an invoice the ERP gave none) is found by no key."""
    valid = ids.notna().to_numpy(dtype=bool)
    rows = np.flatnonzero(valid)
    where = pd.Index(ids[valid].to_numpy(dtype=np.int64)).get_indexer(keys)
    return np.where(where >= 0, rows[np.clip(where, 0, None)] if len(rows) else -1, -1)


def _joined_dates(where: np.ndarray, days: np.ndarray, n: int) -> pa.Array:
    """Per invoice (0..n-1), its dates as ISO text joined by ``;`` (in the rows' order within
    an invoice). Each day of the range is written once and taken by position."""
    if len(where) > 1 and not (where[1:] >= where[:-1]).all():
        order = np.argsort(where, kind="stable")
        where, days = where[order], days[order]
    counts = np.bincount(where, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    day = days.astype("datetime64[D]").astype(np.int64)
    low = int(day.min()) if len(day) else 0
    every_day = np.arange(low, int(day.max()) + 1 if len(day) else low).astype("datetime64[D]")
    text = pc.take(pc.cast(pa.array(every_day), pa.string()), pa.array(day - low))
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), text), ";")


def _counted(log: pd.DataFrame) -> pd.DataFrame:
    """The counted rows of the log (the log itself when every row is counted)."""
    counted = log[SendLog.COUNTED].to_numpy(dtype=bool)
    return log if counted.all() else log[counted].reset_index(drop=True)


def _latest_rows(where: np.ndarray, log: pd.DataFrame, n: int) -> np.ndarray:
    """Per invoice, the position in ``log`` of its latest row (-1 when it has none)."""
    if len(where) == 0:
        return np.full(n, -1)
    id_key = log[SendLog.ID].to_numpy(dtype=np.int64, na_value=_NO_ID)
    day_key = log[SendLog.SENT_ON].to_numpy(dtype="datetime64[s]").astype(np.int64)
    order = np.lexsort((id_key, day_key, where))
    last = np.ones(len(order), dtype=bool)
    last[:-1] = where[order][1:] != where[order][:-1]
    latest = np.full(n, -1)
    latest[where[order][last]] = order[last]
    return latest


def _no_error_kinds(n: int) -> pd.Series:
    """``n`` empty error kinds (a categorical of the contract's kinds)."""
    return pd.Series(pd.Categorical.from_codes(np.full(n, -1), categories=list(ERROR_KIND_CODES)))


def _statuses(eligible: np.ndarray, due: np.ndarray, rows: np.ndarray,
              accepted: np.ndarray) -> pd.Categorical:
    """The first delivery status of the contract's table that applies to each invoice."""
    order = (SENT, SCHEDULED, FAILED, MISSING, SENT_WHILE_INELIGIBLE)
    choice = np.select(
        [eligible & accepted, eligible & ~due, eligible & rows, eligible, accepted],
        [DELIVERY_CODES.index(code) for code in order],
        default=DELIVERY_CODES.index(NOT_EXPECTED),
    )
    return pd.Categorical.from_codes(choice, categories=list(DELIVERY_CODES))


def _per_invoice(inv: pd.DataFrame, expected: pd.DataFrame, log: pd.DataFrame) -> pd.DataFrame:
    """The delivery table: one row per invoice in scope, in the audit's order."""
    n = len(inv)
    e_where = _rows_of(expected[ExpectedSend.INVOICE_ID].to_numpy(dtype=np.int64),
                       inv[Invoice.ID])
    due_sends = np.bincount(e_where, weights=expected[ExpectedSend.DUE], minlength=n)
    counted = _counted(log)
    l_where = _rows_of(counted[SendLog.INVOICE_ID].to_numpy(dtype=np.int64), inv[Invoice.ID])
    rows = np.bincount(l_where, minlength=n)
    accepted = np.bincount(l_where, weights=counted[SendLog.ACCEPTED], minlength=n)
    eligible = inv[Invoice.ELIGIBLE].to_numpy(dtype=bool)
    status = _statuses(eligible, due_sends > 0, rows > 0, accepted > 0)
    latest = _latest_rows(l_where, counted, n)

    def last(column: str) -> pd.api.extensions.ExtensionArray:
        return counted[column].array.take(latest, allow_fill=True)

    # a failed invoice's latest row is not accepted: its error kind is already the row's
    kind = pd.Series(last(SendLog.ERROR_KIND)).where(np.asarray(status == FAILED))
    last_day = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    found = latest >= 0
    last_day[found] = counted[SendLog.SENT_ON].to_numpy(dtype="datetime64[s]")[latest[found]]
    return pd.DataFrame({
        DeliveryInvoice.ID: inv[Invoice.ID].array,
        DeliveryInvoice.CUSTOMER_ID: inv[Invoice.CUSTOMER_ID].array,
        DeliveryInvoice.ELIGIBLE: eligible,
        DeliveryInvoice.STATUS: status,
        DeliveryInvoice.ERROR_KIND: kind.array,
        DeliveryInvoice.PRIMARY_REASON: inv[Invoice.PRIMARY_REASON].array,
        DeliveryInvoice.DUE_DATE: inv[Invoice.DUE_DATE].to_numpy(),
        DeliveryInvoice.EXPECTED_SENDS: pd.array(
            _joined_dates(e_where, expected[ExpectedSend.SEND_DATE].to_numpy(), n),
            dtype="string"),
        DeliveryInvoice.DUE_SENDS: due_sends.astype(np.int64),
        DeliveryInvoice.LOG_ROWS: rows.astype(np.int64),
        DeliveryInvoice.ACCEPTED_ROWS: accepted.astype(np.int64),
        DeliveryInvoice.LAST_LOG_DATE: last_day,
        DeliveryInvoice.LAST_LOG_ADDRESS: last(SendLog.ADDRESS),
        DeliveryInvoice.LAST_LOG_MESSAGE: last(SendLog.ERROR),
    })


def _days(expected: pd.DataFrame, log: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Per day with an expected send or a counted log row: expected, sent and failed counts."""
    counted = _counted(log)
    expected_per_day = expected[ExpectedSend.SEND_DATE].value_counts()
    accepted = counted[SendLog.ACCEPTED].to_numpy(dtype=bool)
    sent = counted.loc[accepted, SendLog.SENT_ON].value_counts()
    failed = counted.loc[~accepted, SendLog.SENT_ON].value_counts()
    days = pd.DataFrame({DeliveryDay.EXPECTED: expected_per_day, DeliveryDay.SENT: sent,
                         DeliveryDay.FAILED: failed}).fillna(0).astype(np.int64).sort_index()
    day = days.index.to_numpy(dtype="datetime64[s]")
    due = day < np.datetime64(as_of, "s")
    tried = (days[DeliveryDay.SENT] + days[DeliveryDay.FAILED]).to_numpy() > 0
    return pd.DataFrame({
        DeliveryDay.DAY: day,
        DeliveryDay.EXPECTED: days[DeliveryDay.EXPECTED].to_numpy(),
        DeliveryDay.DUE: due,
        DeliveryDay.SENT: days[DeliveryDay.SENT].to_numpy(),
        DeliveryDay.FAILED: days[DeliveryDay.FAILED].to_numpy(),
        DeliveryDay.WITHOUT_SENDS: due & (days[DeliveryDay.EXPECTED].to_numpy() > 0) & ~tried,
    })


def _with_error_kinds(log: pd.DataFrame) -> pd.DataFrame:
    """The log with the error kind of each row not accepted (NA on accepted rows)."""
    kind = _no_error_kinds(len(log))
    failed = ~log[SendLog.ACCEPTED].to_numpy(dtype=bool)
    if failed.any():
        kind[failed] = classify_messages(log.loc[failed, SendLog.ERROR]).to_numpy()
    return log.assign(**{SendLog.ERROR_KIND: kind.array})


def reconciled(audit: Audit, log: pd.DataFrame, log_problems: ProblemLog,
               as_of: dt.date) -> Delivery:
    """The :class:`Delivery` of ``audit`` from its normalised send log (see
    :func:`carteiro.delivery.send_log.normalise_send_log`) and the problems found there."""
    log = _with_error_kinds(log)
    expected = expected_sends(audit, as_of)
    return Delivery(
        audit=audit,
        as_of=as_of,
        invoices=_per_invoice(audit.invoices, expected, log),
        expected=expected,
        log=log,
        days=_days(expected, log, as_of),
        log_problems=log_problems.frame(),
    )


def reconcile(audit: Audit, raw_log: pd.DataFrame, as_of: dt.date) -> Delivery:
    """The delivery of every invoice in scope of ``audit``, from ``queries/send_log.sql``'s
    rows ``raw_log``, as known at the start of ``as_of``."""
    problems = ProblemLog()
    log = normalise_send_log(raw_log, audit.invoices[Invoice.ID], as_of, problems)
    return reconciled(audit, log, problems, as_of)

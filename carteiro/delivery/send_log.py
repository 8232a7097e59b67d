"""The ERP's send log (``email_enviado``) of the invoices in scope: read through
``queries/send_log.sql`` and normalised as the contract's send-log section says.

The invoice's log rows are the rows whose ``id_fatura`` is an invoice in scope and whose
``tipo_documento``, normalised like a status word, is ``fatura``; other types are other e-mails
and are ignored without a word. Then, in this order:

* a null ``tipo_documento``, or one that is empty once trimmed (*choice*: that is what
  "unreadable" means for a word; any other text is a document type, read as written), is a
  data problem and the row is ignored;
* ``data_envio`` is read like a due date (its date part, as written; the one parser,
  :func:`carteiro.erp.normalise.parse_days`): null or unreadable is a data problem and the row
  is ignored;
* the log's own id is a row id like a contact's: a null or unreadable id is reported and the
  row kept (its id NA); of rows with the same id the first is kept, the others reported
  (*choice*: among the rows of type ``fatura`` with a readable date, as for invoices; "first"
  as the query returns them, which on SQLite is the table's order within an invoice);
* ``enviado`` is a yes/no flag: a null, or a spelling the contract does not list, counts as not
  sent and is a data problem.

Rows dated before the as-of date are *counted* (:attr:`SendLog.COUNTED`); later ones are kept
for display but not known yet. Data problems are reported only for the rows of invoices in
scope (*choice*, as invoices are checked only when in scope), under the Carteiro table
``send_log``, with the log row's id and, in the detail, its invoice.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import pandas as pd

from carteiro.columns import EmailLogIn, SendLog
from carteiro.erp.normalise import (
    drop_duplicate_ids,
    normalise_words,
    parse_days,
    parse_flags,
    to_ids,
)
from carteiro.erp.problems import ProblemKind, ProblemLog

TABLE: Final = "send_log"
INVOICE_DOCUMENT: Final = "fatura"
QUERY: Final = "send_log"


def _shown(values: pd.Series) -> pd.Series:
    return values.astype("string").map(repr).astype("string").fillna("(nulo)")


def _of_invoice(frame: pd.DataFrame) -> pd.Series:
    return "fatura " + frame[SendLog.INVOICE_ID].astype("string") + ": "


def _document_rows(frame: pd.DataFrame, log: ProblemLog, labels: pd.Series) -> pd.Series:
    """The rows of type ``fatura``; null and empty types reported."""
    kind = normalise_words(frame[EmailLogIn.DOCUMENT_TYPE])
    null = kind.isna()
    empty = (kind == "").fillna(False)
    if null.any():
        log.add(ProblemKind.UNKNOWN_VALUE, TABLE, labels[null],
                _of_invoice(frame[null]) + "tipo_documento nulo: linha ignorada")
    if empty.any():
        log.add(ProblemKind.UNKNOWN_VALUE, TABLE, labels[empty],
                _of_invoice(frame[empty]) + "tipo_documento ilegível "
                + _shown(frame.loc[empty, EmailLogIn.DOCUMENT_TYPE]) + ": linha ignorada")
    return (kind == INVOICE_DOCUMENT).fillna(False).astype(bool)


def _dated_rows(frame: pd.DataFrame, log: ProblemLog,
                labels: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The send day of each row and the mask of rows that have one; the others reported."""
    days, unreadable = parse_days(frame[EmailLogIn.SENT_AT])
    missing = frame[EmailLogIn.SENT_AT].isna()
    if missing.any():
        log.add(ProblemKind.MISSING_DATE, TABLE, labels[missing],
                _of_invoice(frame[missing]) + "envio sem data (data_envio nula): linha ignorada")
    if unreadable.any():
        log.add(ProblemKind.UNREADABLE_DATE, TABLE, labels[unreadable],
                _of_invoice(frame[unreadable]) + "data de envio ilegível "
                + _shown(frame.loc[unreadable, EmailLogIn.SENT_AT]) + ": linha ignorada")
    return days, days.notna()


def _report_ids(raw_ids: pd.Series, ids: pd.Series, frame: pd.DataFrame,
                log: ProblemLog) -> None:
    """Rows without a readable id of their own: reported, and kept."""
    missing = raw_ids.isna()
    unreadable = ids.isna() & ~missing
    if missing.any():
        log.add(ProblemKind.MISSING_ID, TABLE, raw_ids[missing],
                _of_invoice(frame[missing]) + "linha do log sem id: usada assim mesmo")
    if unreadable.any():
        log.add(ProblemKind.UNREADABLE_ID, TABLE, raw_ids[unreadable].astype("string"),
                _of_invoice(frame[unreadable]) + "id ilegível "
                + _shown(raw_ids[unreadable]) + " (não é um número inteiro): usada assim mesmo")


def _accepted(frame: pd.DataFrame, log: ProblemLog, labels: pd.Series) -> np.ndarray:
    """``enviado`` as booleans: null and unknown spellings count as not sent, reported."""
    raw = frame[EmailLogIn.ACCEPTED]
    parsed = parse_flags(raw, log=log, table=TABLE, column="enviado", ids=labels)
    null = raw.isna()
    if null.any():
        log.add(ProblemKind.UNKNOWN_VALUE, TABLE, labels[null],
                _of_invoice(frame[null]) + "enviado nulo: considerado não enviado")
    return parsed.fillna(False).to_numpy(dtype=bool)


def normalise_send_log(raw: pd.DataFrame, invoice_ids: pd.Series, as_of: dt.date,
                       log: ProblemLog) -> pd.DataFrame:
    """``queries/send_log.sql``'s rows → the :class:`SendLog` table of the invoices in scope
    (``invoice_ids``): one row per kept log row, with its send day and whether it is counted."""
    invoices = to_ids(raw[EmailLogIn.INVOICE_ID])
    frame = raw.loc[invoices.isin(invoice_ids.dropna()).to_numpy(dtype=bool)].copy(deep=False)
    frame[SendLog.INVOICE_ID] = invoices[frame.index].astype("int64")
    frame = frame.reset_index(drop=True)
    raw_ids = frame[EmailLogIn.ID]
    ids = to_ids(raw_ids)
    labels = ids.astype("string").fillna(raw_ids.astype("string"))

    keep = _document_rows(frame, log, labels)
    frame, ids, labels, raw_ids = frame[keep], ids[keep], labels[keep], raw_ids[keep]
    days, dated = _dated_rows(frame, log, labels)
    frame, ids, labels, raw_ids = frame[dated], ids[dated], labels[dated], raw_ids[dated]
    _report_ids(raw_ids, ids, frame, log)
    frame = frame.assign(**{SendLog.ID: ids, SendLog.SENT_ON: days[dated]})
    frame = drop_duplicate_ids(frame, SendLog.ID, log=log, table=TABLE)
    labels = labels[frame.index]
    accepted = _accepted(frame, log, labels)
    sent_on = frame[SendLog.SENT_ON].to_numpy(dtype="datetime64[s]")
    return pd.DataFrame({
        SendLog.ID: frame[SendLog.ID].astype("Int64").array,
        SendLog.INVOICE_ID: frame[SendLog.INVOICE_ID].to_numpy(dtype=np.int64),
        SendLog.CUSTOMER_ID: to_ids(frame[EmailLogIn.CUSTOMER_ID]).array,
        SendLog.ADDRESS: frame[EmailLogIn.ADDRESS].astype("string").array,
        SendLog.SENT_ON: sent_on,
        SendLog.ACCEPTED: accepted,
        SendLog.ERROR: frame[EmailLogIn.ERROR].astype("string").array,
        SendLog.COUNTED: sent_on < np.datetime64(as_of, "s"),
    })

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
    parse_integers,
)
from carteiro.erp.problems import ProblemKind, ProblemLog

TABLE: Final = "send_log"
INVOICE_DOCUMENT: Final = "fatura"
QUERY: Final = "send_log"


def _integers(values: pd.Series) -> pd.Series:
    """Ids as ``Int64`` (an unreadable one is NA: the callers report it)."""
    return parse_integers(values)[0]


def _shown(values: pd.Series) -> pd.Series:
    return values.astype("string").map(repr).astype("string").fillna("(nulo)")


class _Rows:
    """The raw rows still kept (positions in the query's frame) and their ids. Columns are taken
    for the kept rows only; a problem shows the row's id (else its raw value)."""

    def __init__(self, raw: pd.DataFrame, positions: np.ndarray) -> None:
        self.raw, self.at = raw, positions
        self.raw_ids = self.column(EmailLogIn.ID)
        self.ids = _integers(self.raw_ids)

    def column(self, name: str) -> pd.Series:
        return self.raw[name].take(self.at).reset_index(drop=True)

    def keep(self, mask: np.ndarray) -> None:
        self.at = self.at[mask]
        self.raw_ids = self.raw_ids[mask].reset_index(drop=True)
        self.ids = self.ids[mask].reset_index(drop=True)

    def labels(self, mask: np.ndarray) -> pd.Series:
        """The rows' ids as the problems show them (the raw value when it is no id)."""
        ids, raw = self.ids[mask], self.raw_ids[mask]
        return ids.astype("string").fillna(raw.astype("string")).reset_index(drop=True)

    def invoice_prefix(self, mask: pd.Series | np.ndarray) -> pd.Series:
        invoices = self.column(EmailLogIn.INVOICE_ID)[np.asarray(mask, dtype=bool)]
        return ("fatura " + _integers(invoices).astype("string") + ": ").reset_index(drop=True)

    def report(self, kind: ProblemKind, mask: pd.Series | np.ndarray, detail: object,
               log: ProblemLog, labels: pd.Series | None = None) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            where = self.labels(mask) if labels is None else labels[mask]
            log.add(kind, TABLE, where, self.invoice_prefix(mask) + detail)


def _keep_billing_rows(rows: _Rows, log: ProblemLog) -> None:
    """Keep the rows of type ``fatura``; report null and empty types."""
    raw = rows.column(EmailLogIn.DOCUMENT_TYPE)
    kind = normalise_words(raw)
    empty = (kind == "").fillna(False).to_numpy(dtype=bool)
    rows.report(ProblemKind.UNKNOWN_VALUE, kind.isna(), "tipo_documento nulo: linha ignorada",
                log)
    rows.report(ProblemKind.UNKNOWN_VALUE, empty, "tipo_documento ilegível "
                + _shown(raw[empty]).reset_index(drop=True) + ": linha ignorada", log)
    rows.keep((kind == INVOICE_DOCUMENT).fillna(False).to_numpy(dtype=bool))


def _keep_dated_rows(rows: _Rows, log: ProblemLog) -> np.ndarray:
    """Keep the rows with a readable send date (the others reported); their send days."""
    raw = rows.column(EmailLogIn.SENT_AT)
    days, unreadable = parse_days(raw)
    rows.report(ProblemKind.MISSING_DATE, raw.isna(),
                "envio sem data (data_envio nula): linha ignorada", log)
    bad = unreadable.to_numpy(dtype=bool)
    rows.report(ProblemKind.UNREADABLE_DATE, bad, "data de envio ilegível "
                + _shown(raw[bad]).reset_index(drop=True) + ": linha ignorada", log)
    dated = days.notna().to_numpy(dtype=bool)
    rows.keep(dated)
    return days.to_numpy(dtype="datetime64[s]")[dated]


def _keep_first_of_each_id(rows: _Rows, log: ProblemLog) -> np.ndarray:
    """Report rows without a readable id (kept); keep the first row of each repeated id."""
    missing = rows.raw_ids.isna().to_numpy(dtype=bool)
    unreadable = rows.ids.isna().to_numpy(dtype=bool) & ~missing
    rows.report(ProblemKind.MISSING_ID, missing, "linha do log sem id: usada assim mesmo", log,
                labels=rows.raw_ids)
    rows.report(ProblemKind.UNREADABLE_ID, unreadable, "id ilegível "
                + _shown(rows.raw_ids[unreadable]).reset_index(drop=True)
                + " (não é um número inteiro): usada assim mesmo", log)
    slim = pd.DataFrame({SendLog.ID: rows.ids})
    kept = drop_duplicate_ids(slim, SendLog.ID, log=log, table=TABLE).index.to_numpy()
    first = np.zeros(len(slim), dtype=bool)
    first[kept] = True
    rows.keep(first)
    return first


def _accepted(rows: _Rows, log: ProblemLog) -> np.ndarray:
    """``enviado`` as booleans: null and unknown spellings count as not sent, reported."""
    raw = rows.column(EmailLogIn.ACCEPTED)
    parsed = parse_flags(raw, log=log, table=TABLE, column="enviado", ids=rows.raw_ids)
    rows.report(ProblemKind.UNKNOWN_VALUE, raw.isna(), "enviado nulo: considerado não enviado",
                log)
    return parsed.fillna(False).to_numpy(dtype=bool)


def normalise_send_log(raw: pd.DataFrame, invoice_ids: pd.Series, as_of: dt.date,
                       log: ProblemLog) -> pd.DataFrame:
    """``queries/send_log.sql``'s rows → the :class:`SendLog` table of the invoices in scope
    (``invoice_ids``): one row per kept log row, with its send day and whether it is counted."""
    invoices = _integers(raw[EmailLogIn.INVOICE_ID])
    rows = _Rows(raw, np.flatnonzero(invoices.isin(invoice_ids.dropna()).to_numpy(dtype=bool)))
    _keep_billing_rows(rows, log)
    days = _keep_dated_rows(rows, log)
    days = days[_keep_first_of_each_id(rows, log)]
    accepted = _accepted(rows, log)
    return pd.DataFrame({
        SendLog.ID: rows.ids.array,
        SendLog.INVOICE_ID: invoices.to_numpy(dtype=np.int64, na_value=0)[rows.at],
        SendLog.CUSTOMER_ID: _integers(rows.column(EmailLogIn.CUSTOMER_ID)).array,
        SendLog.ADDRESS: rows.column(EmailLogIn.ADDRESS).astype("string").array,
        SendLog.SENT_ON: days,
        SendLog.ACCEPTED: accepted,
        SendLog.ERROR: rows.column(EmailLogIn.ERROR).astype("string").array,
        SendLog.COUNTED: days < np.datetime64(as_of, "s"),
    })

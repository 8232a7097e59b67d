"""One call from a data source, a period and an as-of date to a
:class:`~carteiro.delivery.result.Delivery`.

The send log of the period's invoices (``queries/send_log.sql``) is read in the background
while the audit reads and evaluates the other tables (the same overlap as the invoices in
:func:`carteiro.erp.load.load_data`), then reconciled with the audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd

from carteiro.columns import Invoice
from carteiro.delivery.engine import reconciled
from carteiro.delivery.result import Delivery
from carteiro.delivery.send_log import QUERY, normalise_send_log
from carteiro.erp.connect import make_engine
from carteiro.erp.problems import ProblemLog
from carteiro.erp.readers import PendingRead, check_connection, read_query
from carteiro.erp.source import DataSource
from carteiro.period import Period
from carteiro.rules.audit import run_audit

Progress = Callable[[str], None]

READING_LOG = "Lendo o log de envios de e-mail…"
RECONCILING = "Conferindo o log de envios com as datas previstas…"


def read_send_log(url: str, period: Period) -> pd.DataFrame:
    """``queries/send_log.sql``'s rows for ``period``: the log rows of the invoices due in it."""
    engine = make_engine(url)
    try:
        return read_query(engine, QUERY, period.bind_parameters(), url=url)
    finally:
        engine.dispose()


class PendingSendLog:
    """``queries/send_log.sql`` for ``period``, read in the background from its creation: the
    dashboard starts it beside the period's audit, so the two reads overlap. Raises what
    :func:`read_send_log` raises, from :meth:`result`."""

    def __init__(self, url: str, period: Period) -> None:
        self._engine = make_engine(url)
        try:
            self._read = PendingRead(self._engine, QUERY, period.bind_parameters(), url)
        except BaseException:
            self._engine.dispose()
            raise

    def result(self) -> pd.DataFrame:
        try:
            return self._read.result()
        finally:
            self._engine.dispose()


def run_delivery(source: DataSource, period: Period, as_of: dt.date,
                 progress: Progress | None = None) -> Delivery:
    """Audit ``period`` and reconcile it with the ERP's send log, as known at ``as_of``.

    The demo database must exist already (the entry points create it on first use)."""
    engine = make_engine(source.url)
    try:
        check_connection(engine, source.url)
        pending = PendingRead(engine, QUERY, period.bind_parameters(), source.url)
        audit = run_audit(source, period, progress=progress)
        if progress:
            progress(READING_LOG)
        problems = ProblemLog()
        # the raw rows live only while they are normalised (a million of them: memory)
        log = normalise_send_log(pending.result(), audit.invoices[Invoice.ID], as_of, problems)
        del pending
    finally:
        engine.dispose()
    if progress:
        progress(RECONCILING)
    return reconciled(audit, log, problems, as_of)

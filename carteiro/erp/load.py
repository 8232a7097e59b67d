"""The one way Carteiro reads the ERP: every ``queries/*.sql`` → the normalised tables.

:func:`load_data` is the path the dashboard, the CLI and the benchmark all take. It reaches the
database once through SQLAlchemy (so a wrong host, port or password fails with the same
one-line message whatever the reader), starts reading the invoices of the period and the
other big tables (:data:`BACKGROUND_READS`) in background threads, reads the small ones and
normalises them all meanwhile (the drivers release the GIL while they work, so the reads
overlap each other and the e-mail validation on a two-core machine), then normalises the
invoices.

**Unreadable due dates.** ``queries/invoices.sql`` reads the period's invoices (and those
without a due date) through the index on the due date. The invoices whose due date cannot be
read — text such as ``31/03/2024`` or ``lixo``, which sorts outside any period — come from
``queries/unreadable_due_dates.sql``, which asks the index for the distinct due dates instead
of reading every invoice (:func:`needs_unreadable_check` says when it is read). Its rows are
appended to the period's (none of them is due in the period, so nothing is read twice); a
queries folder without that file (an older copy) keeps the old way: its ``invoices.sql``
returns those rows itself.

``progress`` receives a pt-BR sentence at the start of each step (:data:`LOAD_STEPS` names
the tables); the dashboard shows them in its loading status and ``bench/`` times the steps
from them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy.engine import Engine

from carteiro.columns import INVOICE_ROW_ORDER, Invoice
from carteiro.erp.connect import make_engine
from carteiro.erp.dataset import ErpData, Reference, ReferenceTables, normalise_reference
from carteiro.erp.problems import ProblemLog
from carteiro.erp.queries import query_path
from carteiro.erp.readers import PendingRead, check_connection, read_query, release_memory
from carteiro.period import Period

Progress = Callable[[str], None]

# What the progress indicator says while each table loads.
LOAD_STEPS: dict[str, str] = {
    "customers": "clientes",
    "recipients": "contatos e e-mails",
    "services": "serviços",
    "service_statuses": "status de serviço",
    "billing_methods": "formas de cobrança",
    "email_rules": "regras de e-mail",
    "send_statuses": "status do serviço para envio",
    "routines": "rotinas",
    "senders": "remetentes",
    "invoices": "faturas do período",
}
NORMALISING_REFERENCE = "Normalizando dados e validando e-mails…"
NORMALISING_INVOICES = "Normalizando faturas…"
UNREADABLE_DUE_DATES = "unreadable_due_dates"
# The big tables besides the invoices: read in the background from the start too, each on its
# own connection, so they are read at the same time (the drivers release the GIL while they
# read; on PostgreSQL and MariaDB the server works on each in parallel).
BACKGROUND_READS = ("recipients", "customers", "services")
# How pandas sees a column of dates, datetimes or timestamps (infer_dtype).
_DATE_KINDS = frozenset({"date", "datetime", "datetime64"})


def use_system_allocator() -> None:
    """Let Arrow allocate through the C library's malloc, as numpy does, unless the
    environment chose a pool (``ARROW_DEFAULT_MEMORY_POOL``). Arrow's default pool (mimalloc)
    keeps the pages each reader thread freed for that thread; with malloc,
    :func:`release_memory` hands them back and the next table reuses them (1M customers:
    peak RSS ~30 MB lower on SQLite and MariaDB, the same CPU time)."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    with contextlib.suppress(NotImplementedError):
        pool = pa.system_memory_pool()
        if pa.default_memory_pool().backend_name != pool.backend_name:
            pa.set_memory_pool(pool)


def _say(progress: Progress | None, message: str) -> None:
    if progress:
        progress(message)


def needs_unreadable_check(backend: str, invoices: pd.DataFrame | None) -> bool:
    """Whether ``unreadable_due_dates.sql`` can find anything.

    SQLite keeps any value in any column, and MariaDB/MySQL keep zero dates (``0000-00-00``)
    in a DATE column when the server's ``sql_mode`` allows them: always. PostgreSQL's DATE and
    TIMESTAMP columns hold only real dates: only when ``invoices.sql`` returned ``due_date`` as
    something else (text), or returned no due date to tell (``invoices`` None: not read yet).
    """
    if backend != "postgresql":
        return True
    if invoices is None or Invoice.DUE_DATE not in invoices.columns:
        return True
    due = invoices[Invoice.DUE_DATE]
    if pd.api.types.is_datetime64_any_dtype(due.dtype):
        return False
    return pd.api.types.infer_dtype(due, skipna=True) not in _DATE_KINDS


def with_unreadable(invoices: pd.DataFrame, unreadable: pd.DataFrame) -> pd.DataFrame:
    """The period's invoices, then those of ``unreadable_due_dates.sql`` (if any)."""
    if unreadable.empty:
        return invoices
    return pd.concat([invoices, unreadable[list(invoices.columns)]], ignore_index=True)


def in_table_order(invoices: pd.DataFrame) -> pd.DataFrame:
    """The raw invoices without :data:`INVOICE_ROW_ORDER`, in the table's order when a query
    returned it and an invoice id is repeated (only then does the order decide anything: which
    row of a repeated id is "the first"). A row without a row order goes last."""
    if INVOICE_ROW_ORDER not in invoices.columns:
        return invoices
    order = invoices[INVOICE_ROW_ORDER]
    out = invoices.drop(columns=[INVOICE_ROW_ORDER])
    if out[Invoice.ID].duplicated().any():
        place = pd.to_numeric(order, errors="coerce").to_numpy(dtype=float, na_value=np.inf)
        out = out.take(np.argsort(place, kind="stable")).reset_index(drop=True)
    return out


class PendingInvoices:
    """The raw invoices of the period, being read in the background from its creation:
    ``invoices.sql``, then ``unreadable_due_dates.sql`` when it can find something
    (:func:`needs_unreadable_check`; started at once unless the answer depends on the rows)."""

    def __init__(self, engine: Engine, params: dict, url: str | None = None) -> None:
        self.engine, self.params, self.url = engine, params, url
        self.backend = engine.url.get_backend_name()
        self._period = PendingRead(engine, "invoices", params, url)
        self._unreadable = self._start_unreadable(None) if self.backend != "postgresql" else None

    def _start_unreadable(self, invoices: pd.DataFrame | None) -> PendingRead | None:
        if not query_path(UNREADABLE_DUE_DATES, self.backend).is_file():
            return None  # an older queries folder: its invoices.sql returns those rows
        if not needs_unreadable_check(self.backend, invoices):
            return None
        return PendingRead(self.engine, UNREADABLE_DUE_DATES, self.params, self.url)

    def result(self) -> pd.DataFrame:
        invoices = self._period.result()
        unreadable = self._unreadable
        if self.backend == "postgresql":
            unreadable = self._start_unreadable(invoices)
        if unreadable is None:
            return in_table_order(invoices)
        return in_table_order(with_unreadable(invoices, unreadable.result()))


def read_invoices(engine: Engine, params: dict, url: str | None = None) -> pd.DataFrame:
    """The raw invoices :func:`load_data` normalises (see :class:`PendingInvoices`)."""
    return PendingInvoices(engine, params, url).result()


def load_data(url: str, period: Period, progress: Progress | None = None) -> ErpData:
    """Read and normalise every table Carteiro needs for ``period``."""
    use_system_allocator()
    engine = make_engine(url)
    try:
        check_connection(engine, url)
        params = period.bind_parameters()
        invoices = PendingInvoices(engine, params, url)
        pending = {name: PendingRead(engine, name, params, url) for name in BACKGROUND_READS}
        frames: dict[str, pd.DataFrame] = {}
        for name in ReferenceTables.names():
            _say(progress, f"Lendo {LOAD_STEPS[name]}…")
            # popped: the pending read holds its frame, which must go with ``frames``
            frames[name] = (pending.pop(name).result() if name in pending
                            else read_query(engine, name, params, url=url))
        _say(progress, NORMALISING_REFERENCE)
        release_memory()  # what the readers freed (conversions, driver buffers)
        reference = normalise_reference(frames)
        del frames  # the raw frames: normalised copies replace them (half the memory at 1M)
        release_memory()
        _say(progress, f"Lendo {LOAD_STEPS['invoices']}…")
        raw_invoices = invoices.result()
        del invoices  # its pending reads hold the raw frame too
    finally:
        engine.dispose()
    _say(progress, NORMALISING_INVOICES)
    data = reference.with_invoices(raw_invoices, period)
    del raw_invoices, reference
    release_memory()  # the raw invoices and the normalisation's transients (~200 MB at 1M)
    return data


def load_other_period(url: str, data: ErpData, period: Period) -> ErpData:
    """The tables of another ``period`` on the same ERP, reusing ``data``'s normalised
    reference tables (customers, recipients, services, configuration): only that period's
    invoices are read and normalised. For what needs the invoices' verdicts only (Cobertura's
    trend and previous period): the reference tables' data problems are not repeated."""
    reference = Reference(ReferenceTables(**{name: getattr(data, name)
                                             for name in ReferenceTables.names()}), ProblemLog())
    engine = make_engine(url)
    try:
        check_connection(engine, url)
        raw_invoices = read_invoices(engine, period.bind_parameters(), url)
    finally:
        engine.dispose()
    return reference.with_invoices(raw_invoices, period)


def load_email_log(url: str, customer_id: int) -> pd.DataFrame:
    """One customer's rows of the ERP's send log (the diagnosis page)."""
    engine = make_engine(url)
    try:
        check_connection(engine, url)
        return read_query(engine, "email_log", {"customer_id": int(customer_id)}, url=url)
    finally:
        engine.dispose()

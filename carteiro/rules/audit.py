"""One call from a data source and a period to an :class:`~carteiro.rules.engine.Audit`."""

from __future__ import annotations

from collections.abc import Callable

from carteiro.erp.load import load_data, load_other_period
from carteiro.erp.source import DataSource
from carteiro.period import Period
from carteiro.rules.catalogue import CONDITIONS_IN_WORDS
from carteiro.rules.engine import Audit, evaluate
from carteiro.rules.sender_tests import FailingSince

Progress = Callable[[str], None]


def failing_senders(source: DataSource) -> FailingSince:
    """Senders whose latest counting test (Carteiro's own state store) failed, with the day
    that test speaks from."""
    from carteiro.sender.history import StateStore, source_key

    return StateStore().failing_since(source_key(source.url))


def run_audit(source: DataSource, period: Period, progress: Progress | None = None) -> Audit:
    """Read and normalise the ERP's tables for ``period`` and evaluate the conditions.

    The demo database must exist already (the entry points create it on first use)."""
    data = load_data(source.url, period, progress=progress)
    if progress:
        progress(f"Avaliando as {CONDITIONS_IN_WORDS}…")
    return evaluate(data, period, failing_senders(source))


def run_audit_of_other_period(audit: Audit, source: DataSource, period: Period) -> Audit:
    """The audit of another ``period`` of the same ERP, on ``audit``'s normalised reference
    tables: only that period's invoices are read (:func:`~carteiro.erp.load.load_other_period`).
    Each invoice's verdict is the one a full audit of ``period`` gives; its data problems are
    only the invoices'."""
    data = load_other_period(source.url, audit.data, period)
    return evaluate(data, period, failing_senders(source))

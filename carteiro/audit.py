"""One call from a data source and a period to an :class:`~carteiro.engine.Audit`."""

from __future__ import annotations

from collections.abc import Callable

from carteiro.config import DEMO_DB_PATH, DataSource
from carteiro.engine import Audit, evaluate
from carteiro.load import load_data
from carteiro.period import Period

Progress = Callable[[str], None]


def ensure_demo_database(progress: Progress | None = None) -> bool:
    """Create ``demo.sqlite`` (10k customers × 12 months ending this month) when missing.

    Returns True when it was created now. It is written to a temporary file and renamed, so
    an interrupted run never leaves half a database behind.
    """
    if DEMO_DB_PATH.exists():
        return False
    from carteiro import demo

    if progress:
        progress(
            f"Criando o banco de demonstração {DEMO_DB_PATH.name} "
            f"({demo.DEFAULT_DEMO_CUSTOMERS:,} clientes × {demo.DEFAULT_DEMO_MONTHS} meses)…"
            .replace(",", ".")
        )
    partial = DEMO_DB_PATH.with_name(DEMO_DB_PATH.name + ".partial")
    partial.unlink(missing_ok=True)
    demo.generate(
        f"sqlite:///{partial}",
        customers=demo.DEFAULT_DEMO_CUSTOMERS,
        months=demo.DEFAULT_DEMO_MONTHS,
    )
    partial.replace(DEMO_DB_PATH)
    return True


def failed_senders(source: DataSource) -> frozenset[int]:
    """Senders whose latest recorded test (Carteiro's own state store) failed."""
    from carteiro.state import StateStore, source_key

    return StateStore().failed_sender_ids(source_key(source.url))


def run_audit(source: DataSource, period: Period, progress: Progress | None = None) -> Audit:
    if source.is_demo:
        ensure_demo_database(progress)
    data = load_data(source.url, period, progress=progress)
    if progress:
        progress("Avaliando as nove condições…")
    return evaluate(data, period, failed_senders(source))

"""The demo database on first use: the entry points (the CLI and ``app.py``) call
:func:`ensure_demo_database` when the data source is the demo; the audit itself never does."""

from __future__ import annotations

from collections.abc import Callable

from carteiro import formatting as fmt
from carteiro.erp.source import demo_db_path

Progress = Callable[[str], None]


def ensure_demo_database(progress: Progress | None = None) -> bool:
    """Create ``demo.sqlite`` (10k customers × 12 months ending this month) when missing.

    Returns True when it was created now. It is written to a temporary file and renamed, so
    an interrupted run never leaves half a database behind.
    """
    path = demo_db_path()
    if path.exists():
        return False
    from carteiro.demo.generator import DEFAULT_DEMO_CUSTOMERS, DEFAULT_DEMO_MONTHS, generate

    if progress:
        progress(f"Criando o banco de demonstração {path.name} "
                 f"({fmt.integer(DEFAULT_DEMO_CUSTOMERS)} clientes × {DEFAULT_DEMO_MONTHS} "
                 "meses)…")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    generate(f"sqlite:///{partial}", customers=DEFAULT_DEMO_CUSTOMERS,
             months=DEFAULT_DEMO_MONTHS)
    partial.replace(path)
    return True

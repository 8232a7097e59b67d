"""The one way Carteiro reads the ERP: every ``queries/*.sql`` → the normalised tables.

:func:`load_data` is the path the dashboard, the CLI and the benchmark all take. It reaches the
database once through SQLAlchemy (so a wrong host, port or password fails with the same
one-line message whatever the reader), starts reading the invoices of the period in a
background thread, reads and normalises every other table meanwhile (the drivers release the
GIL while they work, so the invoice scan overlaps the e-mail validation on a two-core
machine), then normalises the invoices.

``progress`` receives a pt-BR sentence at the start of each step (:data:`LOAD_STEPS` names
the tables); the dashboard shows them in its loading status and ``bench/`` times the steps
from them.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from carteiro.erp.connect import make_engine
from carteiro.erp.dataset import ErpData, ReferenceTables, normalise_reference
from carteiro.erp.readers import PendingRead, check_connection, read_query
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


def _say(progress: Progress | None, message: str) -> None:
    if progress:
        progress(message)


def load_data(url: str, period: Period, progress: Progress | None = None) -> ErpData:
    """Read and normalise every table Carteiro needs for ``period``."""
    engine = make_engine(url)
    try:
        check_connection(engine, url)
        params = period.bind_parameters()
        invoices = PendingRead(engine, "invoices", params, url)
        frames: dict[str, pd.DataFrame] = {}
        for name in ReferenceTables.names():
            _say(progress, f"Lendo {LOAD_STEPS[name]}…")
            frames[name] = read_query(engine, name, params, url=url)
        _say(progress, NORMALISING_REFERENCE)
        reference = normalise_reference(frames)
        _say(progress, f"Lendo {LOAD_STEPS['invoices']}…")
        raw_invoices = invoices.result()
    finally:
        engine.dispose()
    _say(progress, NORMALISING_INVOICES)
    return reference.with_invoices(raw_invoices, period)


def load_email_log(url: str, customer_id: int) -> pd.DataFrame:
    """One customer's rows of the ERP's send log (the diagnosis page)."""
    engine = make_engine(url)
    try:
        check_connection(engine, url)
        return read_query(engine, "email_log", {"customer_id": int(customer_id)}, url=url)
    finally:
        engine.dispose()

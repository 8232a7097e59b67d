"""Small ERPs with a send log, and their delivery (``carteiro.delivery``) through SQLite."""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from pathlib import Path
from typing import Any

from carteiro.delivery.result import Delivery
from carteiro.delivery.run import run_delivery
from carteiro.erp.source import DataSource
from carteiro.period import Period
from tests.erp_builder import MARCH_2024, Erp

MARCH = Period(*MARCH_2024)
_ids = itertools.count(1)


def log(erp: Erp, invoice: int, when: Any, sent: Any = True, message: Any = None, *,
        log_id: Any = "auto", kind: Any = "fatura", address: str = "cliente@gmail.com",
        customer: int | None = None) -> Erp:
    """One row of ``email_enviado`` (``log_id`` numbered automatically unless given)."""
    erp.add("email_enviado", id_email_enviado=next(_ids) + 10_000 if log_id == "auto" else log_id,
            id_cliente=customer if customer is not None else invoice - 1000,
            id_fatura=invoice, email_destino=address, tipo_documento=kind, data_envio=when,
            enviado=sent, mensagem_erro=message)
    return erp


def deliver(erp: Erp, as_of: str | dt.date, period: Period = MARCH, *,
            keys: bool = True) -> Delivery:
    """Write ``erp`` to a SQLite file and reconcile it as of ``as_of`` (ISO text or date)."""
    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    with tempfile.TemporaryDirectory() as tmp:
        url = erp.write_sqlite(Path(tmp) / "erp.sqlite", keys=keys)
        return run_delivery(DataSource(url, "teste"), period, day)


def status_of(delivery: Delivery, invoice: int = 1001) -> str:
    rows = delivery.invoices[delivery.invoices["invoice_id"] == invoice]
    assert len(rows) == 1, rows
    return str(rows["delivery"].iloc[0])


def error_kind_of(delivery: Delivery, invoice: int = 1001) -> str | None:
    rows = delivery.invoices[delivery.invoices["invoice_id"] == invoice]
    value = rows["error_kind"].iloc[0]
    return None if value != value or value is None else str(value)  # NaN/None → None

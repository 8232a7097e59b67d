"""``carteiro audit --level delivery``: one CSV row per invoice in scope with what the ERP's
send log says happened, and the delivery summary on stderr.

CSV columns, in this order: ``invoice_id,customer_id,eligible,delivery,error_kind`` (the
contract's; ``error_kind`` empty unless ``failed``), then context: the primary reason, the due
date, the expected send dates (ISO, joined by ``;``), how many were due, the counted log rows,
how many were accepted, and the latest counted row's date, address and message.

The summary adds, to the audit's: the as-of date, invoices per delivery status, failed invoices
per error kind, the days without sends (also shown as alerts at the top), and the send log's
data problems with the others.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import time
from collections.abc import Callable
from typing import BinaryIO, Final, TextIO

import pandas as pd

from carteiro import formatting as fmt
from carteiro.cli.audit import write_csv, write_header, write_problems
from carteiro.columns import DeliveryInvoice
from carteiro.delivery.catalogue import DELIVERY_LABELS, ERROR_KIND_LABELS
from carteiro.delivery.result import Delivery
from carteiro.delivery.run import run_delivery
from carteiro.erp.source import DataSource
from carteiro.errors import CarteiroError
from carteiro.export import to_machine_csv
from carteiro.period import Period

CSV_PART_ROWS: Final = 200_000

DELIVERY_COLUMNS = (
    DeliveryInvoice.ID, DeliveryInvoice.CUSTOMER_ID, DeliveryInvoice.ELIGIBLE,
    DeliveryInvoice.STATUS, DeliveryInvoice.ERROR_KIND, DeliveryInvoice.PRIMARY_REASON,
    DeliveryInvoice.DUE_DATE, DeliveryInvoice.EXPECTED_SENDS, DeliveryInvoice.DUE_SENDS,
    DeliveryInvoice.LOG_ROWS, DeliveryInvoice.ACCEPTED_ROWS, DeliveryInvoice.LAST_LOG_DATE,
    DeliveryInvoice.LAST_LOG_ADDRESS, DeliveryInvoice.LAST_LOG_MESSAGE,
)


def delivery_frame(delivery: Delivery) -> pd.DataFrame:
    """The CLI's delivery table: the contract's columns first, then context."""
    return delivery.invoices[list(DELIVERY_COLUMNS)]


def write_delivery_summary(delivery: Delivery, stream: TextIO) -> None:
    """Invoices per delivery status, failures per error kind and the days without sends."""
    say = stream.write
    say(f"Log de envios: o que o ERP registrou antes de {fmt.date(delivery.as_of)} "
        "(data de referência)\n")
    say("Entrega (faturas por situação):\n")
    for code, count in delivery.status_counts().items():
        say(f"  {code}: {fmt.integer(count)} — {DELIVERY_LABELS[code]}\n")
    failures = delivery.error_kind_counts()
    say(f"Falhas por tipo de erro (faturas): {fmt.integer(int(failures.sum()))}\n")
    for code, count in failures.items():
        say(f"  {code}: {fmt.integer(count)} — {ERROR_KIND_LABELS[code]}\n")
    silent = delivery.days_without_sends()
    say(f"Dias sem envios: {fmt.integer(len(silent))}\n")
    for day, notices in silent.itertuples(index=False):
        say(f"  {fmt.date(pd.Timestamp(day))}: {fmt.integer(int(notices))} avisos previstos, "
            "nenhuma tentativa no log\n")


def write_csv_in_parts(frame: pd.DataFrame, output: str, rows: int = CSV_PART_ROWS) -> None:
    """:func:`carteiro.cli.audit.write_csv`, ``rows`` rows at a time (the same bytes: each part
    is written alike and its header line dropped), so the text of a million rows is never
    all in memory at once."""
    if len(frame) <= rows:
        write_csv(frame, output)
        return
    sink: BinaryIO = sys.stdout.buffer if output == "-" else _open(output)
    try:
        for start in range(0, len(frame), rows):
            part = io.BytesIO()
            to_machine_csv(frame.iloc[start:start + rows], part)
            text = part.getvalue()
            sink.write(text if start == 0 else memoryview(text)[text.index(b"\n") + 1:])
    finally:
        if output == "-":
            sink.flush()
        else:
            sink.close()


def _open(output: str) -> BinaryIO:
    try:
        return open(output, "wb")
    except OSError as err:
        raise CarteiroError(f"não foi possível gravar {output}: {err.strerror}") from None


def write_delivery(source: DataSource, period: Period, as_of: dt.date, output: str,
                   progress: Callable[[str], None] | None, started: float) -> None:
    """Reconcile, write the CSV to ``output`` and the summary to stderr."""
    delivery = run_delivery(source, period, as_of, progress=progress)
    write_csv_in_parts(delivery_frame(delivery), output)
    write_header(delivery.audit, sys.stderr, delivery.alerts)
    write_delivery_summary(delivery, sys.stderr)
    write_problems(delivery.problems, sys.stderr, time.perf_counter() - started)

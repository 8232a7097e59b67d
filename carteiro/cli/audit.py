"""``carteiro audit``: the invoices or customers of a period as CSV, and a summary on stderr
(``--level delivery``: :mod:`carteiro.cli.audit_delivery`).

CSV columns come first in the order the README promises (the contract's columns, then
context); the summary says the coverage, the configuration alerts, the customers and invoices
per reason and the data problems found.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

import pandas as pd

from carteiro import formatting as fmt
from carteiro.columns import CustomerAudit, Invoice, Problem
from carteiro.erp.problems import PROBLEM_LABELS
from carteiro.erp.readers import release_memory
from carteiro.erp.source import DataSource, demo_db_path, resolve_source
from carteiro.errors import CarteiroError
from carteiro.export import to_machine_csv
from carteiro.period import as_of_from_arg, period_from_args
from carteiro.rules.alerts import Alert
from carteiro.rules.audit import run_audit
from carteiro.rules.catalogue import COVERAGE_LABELS, REASON_BY_CODE
from carteiro.rules.engine import Audit


def progress(message: str) -> None:
    """Say a step on stderr (the CLI's progress indicator)."""
    print(message, file=sys.stderr, flush=True)


INVOICE_COLUMNS = (
    Invoice.ID, Invoice.CUSTOMER_ID, Invoice.ELIGIBLE, Invoice.PRIMARY_REASON, Invoice.REASONS,
    Invoice.DUE_DATE, Invoice.AMOUNT, Invoice.STATUS, Invoice.PAID_ON, Invoice.METHOD_ID,
    Invoice.SERVICE_ID, Invoice.SENDER_ID,
)
CUSTOMER_COLUMNS = (
    CustomerAudit.ID, CustomerAudit.STATUS, CustomerAudit.PRIMARY_REASON, CustomerAudit.REASONS,
    CustomerAudit.INVOICES, CustomerAudit.ELIGIBLE_INVOICES, CustomerAudit.AMOUNT_WITHOUT_NOTICE,
    CustomerAudit.NAME, CustomerAudit.CITY,
)


def audit_frame(audit: Audit, level: str) -> pd.DataFrame:
    """The CLI's output table: the contract's columns first, then context."""
    if level == "invoice":
        return audit.invoices[list(INVOICE_COLUMNS)]
    return audit.customers[list(CUSTOMER_COLUMNS)]


def write_header(audit: Audit, stream: TextIO, alerts: list[Alert] | None = None) -> None:
    """The period, the configuration alerts, coverage and the customers and invoices per
    reason (``alerts``: the audit's unless given)."""
    customers, invoices = audit.customers, audit.invoices
    status = customers[CustomerAudit.STATUS].value_counts()
    say = stream.write
    say(f"Carteiro: período {audit.period.label()}\n")
    for alert in audit.alerts if alerts is None else alerts:
        say(f"ALERTA [{alert.code}] {alert.title} — corrigir em: {alert.menu_path}\n")
    say(f"Faturas no escopo: {fmt.integer(len(invoices))} "
        f"(elegíveis: {fmt.integer(int(invoices[Invoice.ELIGIBLE].sum()))})\n")
    say(f"Clientes no escopo: {fmt.integer(len(customers))} — "
        + ", ".join(f"{label.lower()}: {fmt.integer(int(status.get(code, 0)))}"
                    for code, label in COVERAGE_LABELS.items()) + "\n")
    say("Motivos (código: clientes / faturas):\n")
    for row in audit.reason_counts().itertuples(index=False):
        label = REASON_BY_CODE[row.code].label
        say(f"  {row.code}: {fmt.integer(row.customers)} clientes / "
            f"{fmt.integer(row.invoices)} faturas — {label}\n")


def write_problems(problems: pd.DataFrame, stream: TextIO, elapsed: float) -> None:
    """The data problems found (by kind, then the first 20) and the time taken."""
    say = stream.write
    say(f"Problemas nos dados: {fmt.integer(len(problems))}\n")
    for kind, count in problems[Problem.KIND].value_counts().sort_index().items():
        say(f"  {kind}: {fmt.integer(count)} — {PROBLEM_LABELS.get(kind, kind)}\n")
    for row in problems.head(20).itertuples(index=False):
        say(f"    {row.table} id {row.id}: {row.detail}\n")
    if len(problems) > 20:
        say(f"    … e mais {fmt.integer(len(problems) - 20)} (veja o painel, página Dados)\n")
    say(f"Tempo: {fmt.decimal(elapsed, 1)} s\n")


def write_summary(audit: Audit, stream: TextIO, elapsed: float) -> None:
    write_header(audit, stream)
    write_problems(audit.problems, stream, elapsed)


def source_for(db: str | None) -> DataSource:
    """The data source of ``--db`` (or the environment, secrets.toml, the demo); the demo
    database is created on first use."""
    source = resolve_source(db)
    if source.is_demo:
        from carteiro.demo.first_use import ensure_demo_database

        if ensure_demo_database(progress):
            progress(f"Banco de demonstração criado: {demo_db_path()}")
    return source


def write_csv(frame: pd.DataFrame, output: str) -> None:
    """The CLI's CSV to ``output`` (``-``: standard output)."""
    if output == "-":
        to_machine_csv(frame, sys.stdout.buffer)
        sys.stdout.flush()
        return
    try:
        to_machine_csv(frame, output)
    except OSError as err:
        raise CarteiroError(f"não foi possível gravar {output}: {err.strerror}") from None


def cmd_audit(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    period = period_from_args(args.start, args.end)
    as_of = as_of_from_arg(args.as_of)  # every level validates it; invoice/customer ignore it
    source = source_for(args.db)
    verbose = progress if args.verbose else None
    if args.level == "delivery":
        from carteiro.cli.audit_delivery import write_delivery

        write_delivery(source, period, as_of, args.output, verbose, started)
        return 0
    audit = run_audit(source, period, progress=verbose)
    release_memory()  # the customer table's intermediates, before the CSV's blocks
    write_csv(audit_frame(audit, args.level), args.output)
    write_summary(audit, sys.stderr, time.perf_counter() - started)
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``audit`` on the main CLI's subparsers."""
    parser = subparsers.add_parser("audit",
                                   help="avalia faturas e clientes do período e grava CSV")
    parser.add_argument("--db", help="URL SQLAlchemy do banco do ERP (padrão: CARTEIRO_DB_URL, "
                                     "secrets.toml ou o banco de demonstração)")
    parser.add_argument("--start",
                        help="primeiro dia do período, AAAA-MM-DD (padrão: mês atual)")
    parser.add_argument("--end", help="último dia do período, AAAA-MM-DD")
    parser.add_argument("--level", choices=("invoice", "customer", "delivery"),
                        default="invoice",
                        help="uma linha por fatura (padrão), por cliente, ou por fatura com o "
                             "que o log de envios do ERP registrou (delivery)")
    parser.add_argument("--as-of", dest="as_of",
                        help="data de referência do log de envios, AAAA-MM-DD (padrão: hoje); "
                             "só o nível delivery a usa: envios a partir dela ainda não contam")
    parser.add_argument("--output", default="-", help="arquivo CSV de saída, ou - (padrão)")
    parser.add_argument("--verbose", action="store_true", help="mostra cada etapa no stderr")
    parser.set_defaults(func=cmd_audit)

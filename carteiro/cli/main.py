"""``python -m carteiro``: audit, demo database, sender test.

Every failure the user can act on (bad dates, bad URL, unreachable database, missing table or
column) is one pt-BR line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import TextIO

import pandas as pd

from carteiro import formatting as fmt
from carteiro.columns import CustomerAudit, Invoice, Problem
from carteiro.erp.problems import PROBLEM_LABELS
from carteiro.erp.source import demo_db_path, resolve_source
from carteiro.errors import CarteiroError
from carteiro.export import to_machine_csv
from carteiro.period import period_from_args
from carteiro.rules.audit import run_audit
from carteiro.rules.catalogue import COVERAGE_LABELS, REASON_BY_CODE
from carteiro.rules.engine import Audit

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


def write_summary(audit: Audit, stream: TextIO, elapsed: float) -> None:
    customers, invoices = audit.customers, audit.invoices
    status = customers[CustomerAudit.STATUS].value_counts()
    say = stream.write
    say(f"Carteiro: período {audit.period.label()}\n")
    for alert in audit.alerts:
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
    problems = audit.problems
    say(f"Problemas nos dados: {fmt.integer(len(problems))}\n")
    for kind, count in problems[Problem.KIND].value_counts().sort_index().items():
        say(f"  {kind}: {fmt.integer(count)} — {PROBLEM_LABELS.get(kind, kind)}\n")
    for row in problems.head(20).itertuples(index=False):
        say(f"    {row.table} id {row.id}: {row.detail}\n")
    if len(problems) > 20:
        say(f"    … e mais {fmt.integer(len(problems) - 20)} (veja o painel, página Dados)\n")
    say(f"Tempo: {fmt.decimal(elapsed, 1)} s\n")


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_audit(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    period = period_from_args(args.start, args.end)
    source = resolve_source(args.db)
    if source.is_demo:
        from carteiro.demo.first_use import ensure_demo_database

        if ensure_demo_database(_progress):
            _progress(f"Banco de demonstração criado: {demo_db_path()}")
    audit = run_audit(source, period, progress=_progress if args.verbose else None)
    frame = audit_frame(audit, args.level)
    if args.output == "-":
        to_machine_csv(frame, sys.stdout.buffer)
        sys.stdout.flush()
    else:
        try:
            to_machine_csv(frame, args.output)
        except OSError as err:
            raise CarteiroError(f"não foi possível gravar {args.output}: {err.strerror}") from None
    write_summary(audit, sys.stderr, time.perf_counter() - started)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from carteiro import demo

    url = args.db or f"sqlite:///{demo_db_path()}"
    summary = demo.generate(
        url,
        customers=args.customers,
        months=args.months,
        seed=args.seed,
        with_routine=not args.without_routine,
        progress=_progress,
    )
    print(f"Banco de demonstração gravado: {summary}", file=sys.stderr)
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"número inteiro inválido: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"deve ser maior que zero: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m carteiro",
        description="Carteiro: por que o cliente não recebeu o e-mail de cobrança?",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMANDO")

    audit = sub.add_parser("audit", help="avalia faturas e clientes do período e grava CSV")
    audit.add_argument("--db", help="URL SQLAlchemy do banco do ERP (padrão: CARTEIRO_DB_URL, "
                                    "secrets.toml ou o banco de demonstração)")
    audit.add_argument("--start", help="primeiro dia do período, AAAA-MM-DD (padrão: mês atual)")
    audit.add_argument("--end", help="último dia do período, AAAA-MM-DD")
    audit.add_argument("--level", choices=("invoice", "customer"), default="invoice",
                       help="uma linha por fatura (padrão) ou por cliente")
    audit.add_argument("--output", default="-", help="arquivo CSV de saída, ou - (padrão)")
    audit.add_argument("--verbose", action="store_true", help="mostra cada etapa no stderr")
    audit.set_defaults(func=cmd_audit)

    demo = sub.add_parser("demo", help="gera um banco de demonstração no esquema do ERP")
    demo.add_argument("--customers", type=_positive, default=10_000)
    demo.add_argument("--months", type=_positive, default=12)
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--db", help="URL SQLAlchemy de destino (padrão: demo.sqlite)")
    demo.add_argument("--without-routine", action="store_true",
                      help="mesmos dados, com a rotina de envio de e-mail de cobrança desligada")
    demo.set_defaults(func=cmd_demo)

    try:
        from carteiro.cli import sender as sender_cli
    except ImportError:  # pragma: no cover - the sender test is optional at import time
        pass
    else:
        sender_cli.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except CarteiroError as err:
        print(f"carteiro: erro: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("carteiro: interrompido", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0

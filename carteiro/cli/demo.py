"""``carteiro demo``: write the demo ERP database (any SQLAlchemy URL)."""

from __future__ import annotations

import argparse
import sys

from carteiro.cli.audit import progress
from carteiro.erp.source import demo_db_path


def cmd_demo(args: argparse.Namespace) -> int:
    from carteiro.demo import generate

    url = args.db or f"sqlite:///{demo_db_path()}"
    summary = generate(
        url,
        customers=args.customers,
        months=args.months,
        seed=args.seed,
        with_routine=not args.without_routine,
        progress=progress,
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


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``demo`` on the main CLI's subparsers."""
    parser = subparsers.add_parser("demo",
                                   help="gera um banco de demonstração no esquema do ERP")
    parser.add_argument("--customers", type=_positive, default=10_000)
    parser.add_argument("--months", type=_positive, default=12)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", help="URL SQLAlchemy de destino (padrão: demo.sqlite)")
    parser.add_argument("--without-routine", action="store_true",
                        help="mesmos dados, com a rotina de envio de e-mail de cobrança "
                             "desligada")
    parser.set_defaults(func=cmd_demo)

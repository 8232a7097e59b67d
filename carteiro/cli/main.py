"""``python -m carteiro`` / ``carteiro``: one subcommand per module of this package.

Every failure the user can act on (bad dates, bad URL, unreadable database, missing table or
column) is one pt-BR line on stderr and exit code 2, never a traceback; except ``check``, a
monitoring plugin, whose own conventions say UNKNOWN, exit 3 (:mod:`carteiro.cli.check`): it
is routed to its own parser before argparse sees the arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from carteiro.cli import audit, check, demo, plan, sender
from carteiro.cli.parsing import Parser
from carteiro.errors import CarteiroError


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="carteiro",
        description="Carteiro: por que o cliente não recebeu o e-mail de cobrança?",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMANDO")
    for command in (audit, check, plan, demo, sender):
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        if arguments[:1] == [check.COMMAND]:
            return check.main(arguments[1:])
        args = build_parser().parse_args(arguments)
        return int(args.func(args))
    except CarteiroError as err:
        print(f"carteiro: erro: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("carteiro: interrompido", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def run() -> None:
    """The ``carteiro`` console script."""
    sys.exit(main())

"""``carteiro check``: a monitoring plugin (Nagios/Icinga conventions, usable from Zabbix or
cron) that says every morning whether the billing e-mails went out.

Output: one status line, ``CARTEIRO OK|WARNING|CRITICAL|UNKNOWN - <pt-BR summary>``, with the
performance data after ``|``; then detail lines (the alerts). Exit code: 0 OK, 1 WARNING,
2 CRITICAL, 3 UNKNOWN. The verdict itself is :func:`carteiro.delivery.monitor.judge`.

Unlike every other Carteiro command (exit 2 on any error), ``check`` follows the plugin
guidelines: anything that keeps it from judging — invalid arguments (the guidelines' first
example of UNKNOWN), an unreachable or unreadable database, an unexpected failure — is
UNKNOWN, exit 3, with one line saying why. A monitoring system must never read "CRITICAL"
(the routine failed) when the truth is "could not look". ``--help`` prints the help and exits 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from carteiro.delivery.monitor import State, Thresholds, Verdict, judge, unknown
from carteiro.errors import CarteiroError

COMMAND = "check"
HELP = "monitoramento (Nagios/Zabbix/cron): os e-mails de cobrança saíram?"


class _Usage(Exception):
    """An argument error, reported as UNKNOWN instead of argparse's exit 2."""


# argparse's own messages, in pt-BR (the start of each message it raises here).
_MESSAGES = (("unrecognized arguments:", "argumentos desconhecidos:"),
             ("expected one argument", "falta o valor"),
             ("argument ", ""))


class _PluginParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        for english, portuguese in _MESSAGES:
            message = message.replace(english, portuguese)
        raise _Usage(message)


def _percent(text: str) -> float:
    try:
        value = float(text.strip().rstrip("%").replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"percentual inválido: {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"percentual fora de 0 a 100: {text!r}")
    return value


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"número de dias inválido: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"número de dias negativo: {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="URL SQLAlchemy do banco do ERP (padrão: CARTEIRO_DB_URL, "
                                     "secrets.toml ou o banco de demonstração)")
    parser.add_argument("--start", help="primeiro dia do período, AAAA-MM-DD (padrão: mês atual)")
    parser.add_argument("--end", help="último dia do período, AAAA-MM-DD")
    parser.add_argument("--as-of", dest="as_of",
                        help="data de referência, AAAA-MM-DD (padrão: hoje): o log conta até a "
                             "véspera")
    parser.add_argument("--days", type=_days, default=3,
                        help="CRITICAL se houve dia sem envios nos últimos N dias antes da data "
                             "de referência (padrão: 3; 0 desliga)")
    parser.add_argument("--coverage-warning", type=_percent, metavar="PCT",
                        help="WARNING se menos de PCT%% das faturas forem elegíveis")
    parser.add_argument("--coverage-critical", type=_percent, metavar="PCT",
                        help="CRITICAL se menos de PCT%% das faturas forem elegíveis")
    parser.add_argument("--failed-warning", type=_percent, default=5.0, metavar="PCT",
                        help="WARNING se mais de PCT%% dos avisos devidos falharam ou não foram "
                             "enviados (padrão: 5)")
    parser.add_argument("--failed-critical", type=_percent, default=10.0, metavar="PCT",
                        help="CRITICAL se mais de PCT%% dos avisos devidos falharam ou não foram "
                             "enviados (padrão: 10)")


def build_parser() -> argparse.ArgumentParser:
    parser = _PluginParser(prog=f"carteiro {COMMAND}", description=HELP)
    add_arguments(parser)
    return parser


def thresholds_from(args: argparse.Namespace) -> Thresholds:
    """The thresholds of the arguments; warning and critical levels in a sensible order."""
    cov_w, cov_c = args.coverage_warning, args.coverage_critical
    fail_w, fail_c = args.failed_warning, args.failed_critical
    if cov_w is not None and cov_c is not None and cov_c > cov_w:
        raise _Usage("--coverage-critical deve ser menor ou igual a --coverage-warning")
    if fail_w is not None and fail_c is not None and fail_w > fail_c:
        raise _Usage("--failed-warning deve ser menor ou igual a --failed-critical")
    return Thresholds(cov_w, cov_c, fail_w, fail_c, args.days)


def verdict(argv: Sequence[str]) -> Verdict:
    """Parse, read, reconcile and judge; every failure is an UNKNOWN verdict."""
    try:
        args = build_parser().parse_args(list(argv))
        thresholds = thresholds_from(args)
        from carteiro.period import as_of_from_arg, period_from_args

        period = period_from_args(args.start, args.end)
        as_of = as_of_from_arg(args.as_of)
    except (_Usage, CarteiroError) as err:
        return unknown(f"argumento inválido: {err}")
    try:
        from carteiro.cli.audit import source_for
        from carteiro.delivery.run import run_delivery

        delivery = run_delivery(source_for(args.db), period, as_of)
    except CarteiroError as err:
        return unknown(str(err))
    except Exception as err:  # a plugin never dies with a traceback: UNKNOWN, one line
        return unknown(f"erro inesperado ({type(err).__name__}): {err}")
    return judge(delivery, thresholds)


def main(argv: Sequence[str]) -> int:
    """``carteiro check ARGS``: print the verdict, return its exit code."""
    result = verdict(argv)
    sys.stdout.write("\n".join(result.lines()) + "\n")
    sys.stdout.flush()
    return int(result.state)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """List ``check`` in the main CLI's help (``carteiro.cli.main`` routes it to :func:`main`
    before argparse, so its argument errors are UNKNOWN, exit 3)."""
    parser = subparsers.add_parser(COMMAND, help=HELP, description=HELP)
    add_arguments(parser)
    parser.set_defaults(func=lambda args: int(State.UNKNOWN))

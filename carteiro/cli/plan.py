"""``carteiro plan``: what to correct first — the fix plan as CSV, a pt-BR summary on stderr.

One CSV row per correction, in the order to apply them (:class:`carteiro.columns.PlanStep`,
the columns in this order, kept stable)::

    step,correction,condition,object_id,objects,action,erp_path,invoices_gained,
    customers_gained,amount_gained,customers_covered_after,coverage_after

``correction`` and ``condition`` are codes; ``object_id`` is the sender, billing method or
routine (empty for a list, whose size is ``objects``); ``action`` and ``erp_path`` are pt-BR;
the ``*_gained`` columns are the step's own gain given the steps before it;
``coverage_after`` is the cumulative share of the customers in scope that are covered (0–1).
Nothing is written to the ERP database: every gain is the engine re-run on corrected copies
of the tables in memory (:mod:`carteiro.plan`).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from carteiro import formatting as fmt
from carteiro.cli.audit import progress
from carteiro.erp.load import load_data
from carteiro.erp.source import DataSource, demo_db_path, resolve_source
from carteiro.errors import CarteiroError
from carteiro.export import to_machine_csv
from carteiro.period import period_from_args
from carteiro.plan.corrections import SenderTests
from carteiro.plan.greedy import Plan, build_plan
from carteiro.plan.simulator import Simulator
from carteiro.plan.whatif import coverage
from carteiro.rules import audit as rules_audit
from carteiro.rules.catalogue import CONDITIONS_IN_WORDS
from carteiro.rules.engine import evaluate


def sender_tests(source: DataSource) -> SenderTests:
    """The sender-test history condition 2 reads, as ``run_audit`` reads it."""
    return rules_audit.failing_senders(source)


def _customers(count: int) -> str:
    return f"{fmt.integer(count)} cliente{'' if count == 1 else 's'}"


def _signed(count: int, word: str) -> str:
    return f"{fmt.signed_integer(count)} {word}{'' if abs(count) == 1 else 's'}"


def write_summary(plan: Plan, sim: Simulator, period_label: str, stream: TextIO,
                  elapsed: float) -> None:
    say = stream.write
    now, final = coverage(sim, sim.base), coverage(sim, plan.final)
    say(f"Carteiro: plano de correções, período {period_label}\n")
    if not now.customers:
        say("Nenhuma fatura no escopo do período: nada a corrigir.\n")
        say(f"Tempo: {fmt.decimal(elapsed, 1)} s\n")
        return
    say(f"Hoje: {fmt.integer(now.covered)} de {_customers(now.customers)} cobertos "
        f"({fmt.percent(now.share)}); {fmt.money(now.amount_without_notice)} em faturas "
        "abertas sem aviso\n")
    if not plan.steps:
        say("Nenhuma correção a sugerir: todas as faturas do período estão cobertas.\n")
    for step in plan.steps:
        gain = step.impact
        say(f"{step.number}. {step.correction.action} — {_signed(gain.customers, 'cliente')}, "
            f"{_signed(gain.invoices, 'fatura')}, {fmt.money(gain.amount)} com aviso → cobertura "
            f"{fmt.percent(plan.coverage(step.covered_after))}\n")
    configuration = plan.configuration_steps
    if configuration and len(configuration) < len(plan.steps):
        last = configuration[-1]
        say(f"Só com as correções de configuração (passos 1 a {last.number}): "
            f"{fmt.integer(last.covered_after)} clientes cobertos "
            f"({fmt.percent(plan.coverage(last.covered_after))})\n")
    if plan.steps:
        say(f"Com todas as correções: {fmt.integer(final.covered)} clientes cobertos "
            f"({fmt.percent(final.share)}); {fmt.money(final.amount_without_notice)} em "
            "faturas abertas ainda sem aviso\n")
    say(f"Tempo: {fmt.decimal(elapsed, 1)} s\n")


def cmd_plan(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    period = period_from_args(args.start, args.end)
    source = resolve_source(args.db)
    if source.is_demo:
        from carteiro.demo.first_use import ensure_demo_database

        if ensure_demo_database(progress):
            progress(f"Banco de demonstração criado: {demo_db_path()}")
    say = progress if args.verbose else None
    data = load_data(source.url, period, progress=say)
    tests = sender_tests(source)
    if say:
        say(f"Avaliando as {CONDITIONS_IN_WORDS}…")
    sim = Simulator(evaluate(data, period, tests), tests)
    if say:
        say("Simulando as correções…")
    plan = build_plan(sim)
    frame = plan.frame()
    if args.output == "-":
        to_machine_csv(frame, sys.stdout.buffer)
        sys.stdout.flush()
    else:
        try:
            to_machine_csv(frame, args.output)
        except OSError as err:
            raise CarteiroError(f"não foi possível gravar {args.output}: {err.strerror}") from None
    write_summary(plan, sim, period.label(), sys.stderr, time.perf_counter() - started)
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``plan`` on the main CLI's subparsers."""
    parser = subparsers.add_parser(
        "plan", help="o que corrigir primeiro: plano de correções com o ganho de cada uma (CSV)")
    parser.add_argument("--db", help="URL SQLAlchemy do banco do ERP (padrão: CARTEIRO_DB_URL, "
                                     "secrets.toml ou o banco de demonstração)")
    parser.add_argument("--start",
                        help="primeiro dia do período, AAAA-MM-DD (padrão: mês atual)")
    parser.add_argument("--end", help="último dia do período, AAAA-MM-DD")
    parser.add_argument("--output", default="-", help="arquivo CSV de saída, ou - (padrão)")
    parser.add_argument("--verbose", action="store_true", help="mostra cada etapa no stderr")
    parser.set_defaults(func=cmd_plan)

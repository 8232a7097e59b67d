"""The «Simulação» page's cached objects: one :class:`~carteiro.plan.simulator.Simulator`, the
recommended plan, the options and today's coverage by billing method per loaded audit, keyed
on :attr:`pages._common.AppContext.key`, in ``pages/_common.py``'s memory-bounded ``AUDITS``.

The simulator is shared by every session that looks at the same audit: it is thread-safe and
never changes the audit (a what-if builds new frames)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from carteiro.plan.greedy import Plan, build_plan
from carteiro.plan.simulator import Simulator
from carteiro.rules.audit import failing_senders
from carteiro.views import coverage as coverage_view
from carteiro.views import simulation as simulation_view
from pages import _common as common


def simulator(ctx: common.AppContext) -> Simulator:
    # the sender-test history the audit was evaluated with (pages/_common.py: run_audit)
    audit, source = ctx.audit, ctx.source
    return common.AUDITS.get_or_load(("simulator", *ctx.key),
                                     lambda: Simulator(audit, failing_senders(source)))


def plan(ctx: common.AppContext) -> Plan:
    sim = simulator(ctx)
    return common.AUDITS.get_or_load(("plan", *ctx.key), lambda: build_plan(sim))


def options(ctx: common.AppContext) -> simulation_view.Options:
    audit = ctx.audit
    return common.AUDITS.get_or_load(("simulation_options", *ctx.key),
                                     lambda: simulation_view.options(audit))


def methods_now(ctx: common.AppContext) -> pd.DataFrame:
    audit = ctx.audit
    return common.AUDITS.get_or_load(("methods_now", *ctx.key),
                                     lambda: coverage_view.coverage_by_method(audit))


def method_codes(ctx: common.AppContext) -> Any:
    """Per invoice, its row of :func:`methods_now` (see :func:`simulation_view.method_codes`)."""
    audit, now = ctx.audit, methods_now(ctx)
    return common.AUDITS.get_or_load(("method_codes", *ctx.key),
                                      lambda: simulation_view.method_codes(audit, now))

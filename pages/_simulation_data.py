"""The «Simulação» page's cached objects: one :class:`~carteiro.plan.simulator.Simulator`, the
recommended plan, the options and today's coverage by billing method per loaded audit, keyed
on :attr:`pages._common.AppContext.key` (the audit passed unhashed, as in ``pages/_common.py``).

The simulator is shared by every session that looks at the same audit: it is thread-safe and
never changes the audit (a what-if builds new frames)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from carteiro.plan.greedy import Plan, build_plan
from carteiro.plan.simulator import Simulator
from carteiro.rules.audit import failing_senders
from carteiro.rules.engine import Audit
from carteiro.views import coverage as coverage_view
from carteiro.views import simulation as simulation_view
from pages import _common as common


@st.cache_resource(ttl=common.AUDIT_TTL_SECONDS, max_entries=4, show_spinner=False)
def _simulator(key: tuple[Any, ...], _audit: Audit, _ctx: common.AppContext) -> Simulator:
    # the sender-test history the audit was evaluated with (pages/_common.py: run_audit)
    return Simulator(_audit, failing_senders(_ctx.source))


@st.cache_resource(ttl=common.AUDIT_TTL_SECONDS, max_entries=4, show_spinner=False)
def _plan(key: tuple[Any, ...], _sim: Simulator) -> Plan:
    return build_plan(_sim)


@st.cache_resource(ttl=common.AUDIT_TTL_SECONDS, max_entries=4, show_spinner=False)
def _options(key: tuple[Any, ...], _audit: Audit) -> simulation_view.Options:
    return simulation_view.options(_audit)


@st.cache_resource(ttl=common.AUDIT_TTL_SECONDS, max_entries=4, show_spinner=False)
def _methods_now(key: tuple[Any, ...], _audit: Audit) -> pd.DataFrame:
    return coverage_view.coverage_by_method(_audit)


@st.cache_resource(ttl=common.AUDIT_TTL_SECONDS, max_entries=4, show_spinner=False)
def _method_codes(key: tuple[Any, ...], _audit: Audit, _methods_now: pd.DataFrame) -> Any:
    return simulation_view.method_codes(_audit, _methods_now)


def simulator(ctx: common.AppContext) -> Simulator:
    return _simulator(ctx.key, ctx.audit, ctx)


def plan(ctx: common.AppContext) -> Plan:
    return _plan(ctx.key, simulator(ctx))


def options(ctx: common.AppContext) -> simulation_view.Options:
    return _options(ctx.key, ctx.audit)


def methods_now(ctx: common.AppContext) -> pd.DataFrame:
    return _methods_now(ctx.key, ctx.audit)


def method_codes(ctx: common.AppContext) -> Any:
    """Per invoice, its row of :func:`methods_now` (see :func:`simulation_view.method_codes`)."""
    return _method_codes(ctx.key, ctx.audit, methods_now(ctx))

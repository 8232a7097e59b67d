"""The fix plan and the what-if on a generated demo database (seeded): the plan's coverage
equals a real audit of the database corrected in SQL, and any set of corrections, reached by
any sequence of toggles, gives what the engine gives on the whole corrected tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carteiro import demo
from carteiro.columns import CustomerAudit, Invoice, WhatIfReasons
from carteiro.erp.load import load_data
from carteiro.period import Period
from carteiro.plan.corrections import Phase, apply_all
from carteiro.plan.greedy import build_plan
from carteiro.plan.simulator import Simulator
from carteiro.plan.whatif import coverage, customers_gained, invoices_gained, reasons
from carteiro.rules.engine import evaluate
from tests.plan_oracle import apply_sql, copy_of, covered, digest, eligible

PERIOD = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31))


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plan-demo") / "demo.sqlite"
    demo.generate(f"sqlite:///{path}", customers=3_000, months=2, seed=11,
                  end_month=dt.date(2024, 3, 1), as_of=dt.date(2024, 3, 20))
    return path


@pytest.fixture(scope="module")
def sender_tests() -> dict[int, dt.date]:
    return {1: dt.date(2024, 3, 1)}  # the main sender's latest test failed


@pytest.fixture(scope="module")
def sim(demo_db, sender_tests) -> Simulator:
    data = load_data(f"sqlite:///{demo_db}", PERIOD)
    return Simulator(evaluate(data, PERIOD, sender_tests), sender_tests)


@pytest.fixture(scope="module")
def plan(sim):
    return build_plan(sim)


def test_the_demo_supports_every_kind_of_correction(plan):
    kinds = {s.correction.KIND for s in plan.steps}
    assert {"fix_sender", "add_rules", "add_rule", "allow_status", "link_method",
            "link_service", "allow_email", "allow_contacts", "fix_addresses"} <= kinds
    gains = [s.impact.customers for s in plan.steps]
    assert gains[0] == max(gains[:len(plan.configuration_steps)])


def test_plan_coverage_equals_a_real_audit_of_the_corrected_database(demo_db, plan, tmp_path,
                                                                     sender_tests):
    before = digest(demo_db)
    erp = copy_of(demo_db, tmp_path / "corrigido.sqlite", sender_tests)
    for step in plan.configuration_steps:
        apply_sql(erp, step.correction)
    audit = erp.audit(PERIOD)
    last = plan.configuration_steps[-1]
    assert covered(audit) == last.covered_after
    assert eligible(audit) == last.eligible_after
    for step in plan.steps[len(plan.configuration_steps):]:
        apply_sql(erp, step.correction)
    audit = erp.audit(PERIOD)
    assert covered(audit) == plan.steps[-1].covered_after
    assert eligible(audit) == plan.steps[-1].eligible_after
    assert digest(demo_db) == before


def test_each_configuration_step_alone_equals_a_real_audit(demo_db, plan, sim, tmp_path,
                                                           sender_tests):
    base = covered(sim.audit)
    for step in plan.configuration_steps[:4]:
        erp = copy_of(demo_db, tmp_path / f"passo{step.number}.sqlite", sender_tests)
        apply_sql(erp, step.correction)
        assert covered(erp.audit(PERIOD)) - base == plan.alone[step.correction].customers


def _full(sim: Simulator, chosen):
    """The engine on the whole corrected tables (no footprint, no subset)."""
    inputs = apply_all(sim.base.inputs, chosen)
    return evaluate(inputs.data, PERIOD, inputs.sender_tests)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_toggles_give_what_the_engine_gives(sim, plan, data):
    options = sorted(plan.alone, key=lambda c: c.key)
    picks = data.draw(st.lists(st.sets(st.sampled_from(options), max_size=len(options)),
                               min_size=1, max_size=3))
    for chosen in picks:  # each one reached from the previous: the page's toggles
        state = sim.simulate(chosen)
        assert state.corrections == frozenset(chosen)
        full = _full(sim, chosen)
        assert np.array_equal(state.masks, full.invoices[Invoice.REASON_MASK].to_numpy())
        assert coverage(sim, state).covered == covered(full)


def test_what_if_views_now_and_simulated(sim, plan):
    chosen = [s.correction for s in plan.configuration_steps[:3]]
    state = sim.simulate(chosen)
    then = _full(sim, chosen)
    chart = reasons(sim, state)
    now_counts, then_counts = sim.audit.reason_counts(), then.reason_counts()
    assert chart[WhatIfReasons.INVOICES_NOW].tolist() == now_counts["invoices"].tolist()
    assert chart[WhatIfReasons.CUSTOMERS_NOW].tolist() == now_counts["customers"].tolist()
    assert chart[WhatIfReasons.INVOICES_SIMULATED].tolist() == then_counts["invoices"].tolist()
    assert chart[WhatIfReasons.CUSTOMERS_SIMULATED].tolist() == \
        then_counts["customers"].tolist()
    was = sim.audit.customers.set_index(CustomerAudit.ID)[CustomerAudit.STATUS]
    becomes = then.customers.set_index(CustomerAudit.ID)[CustomerAudit.STATUS]
    expected = sorted(i for i in was.index if was[i] != "covered" and becomes[i] == "covered")
    assert customers_gained(sim, state)[CustomerAudit.ID].tolist() == expected
    gained = invoices_gained(sim, state)[Invoice.ID]
    assert len(gained) > 0
    elig = then.invoices.set_index(Invoice.ID)[Invoice.ELIGIBLE]
    assert elig[gained].all()
    money = coverage(sim, state).amount_without_notice
    assert money == pytest.approx(then.customers[CustomerAudit.AMOUNT_WITHOUT_NOTICE].sum(),
                                  abs=0.01 * len(then.customers))
    assert money < coverage(sim, sim.base).amount_without_notice


def test_lists_come_after_configuration(plan):
    phases = [s.correction.PHASE for s in plan.steps]
    assert phases == sorted(phases) and Phase.LIST in phases

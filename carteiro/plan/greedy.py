"""The fix plan: which correction first, and what each gives given the ones before it.

Greedy, in two phases: first the configuration corrections (global, per sender, per billing
method: one change in the ERP fixes many invoices), then the lists (per invoice, service or
customer: a decision each, shown as one line). Each step takes the correction with the
largest gain given the steps before it. **Gain** = customers that become covered (net: a
customer that stops being covered counts −1), ties broken by invoices that become eligible
(net), then by the open amount (R$) whose notice now goes out, then by the contract's order of
the conditions and the correction's key. Every correction gets a step, even one that gains
nothing (or loses: shown as negative); ``coverage_after`` is cumulative.

Each step's gain is the engine's verdict on the corrected inputs (:mod:`carteiro.plan.simulator`),
so an invoice failing two conditions is gained only at the step that brings its second fix.

Between steps, a correction's previous what-if is kept when nothing the chosen step changed can
reach it: its footprint is the same as before and disjoint from the chosen step's footprint,
both without and with the correction itself in place (two corrections on the same billing
method, or a sender that becomes the default one, are recomputed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from carteiro.columns import PlanStep
from carteiro.plan.candidates import find_corrections
from carteiro.plan.corrections import Correction, Phase, Reach, order_key
from carteiro.plan.footprint import footprint
from carteiro.plan.simulator import Delta, Impact, Simulator, State, written


@dataclass(frozen=True)
class Step:
    number: int
    correction: Correction
    impact: Impact  # given the steps before it
    covered_after: int  # customers covered after this step (cumulative)
    eligible_after: int  # invoices eligible after this step (cumulative)


@dataclass(frozen=True)
class Plan:
    customers: int  # in scope
    invoices: int  # in scope
    covered_before: int
    eligible_before: int
    amount_before: float  # open amount without notice, today
    steps: tuple[Step, ...]
    alone: dict[Correction, Impact]  # each correction alone, against the audit
    final: State  # every correction in

    def coverage(self, covered: int) -> float:
        return covered / self.customers if self.customers else 1.0

    @property
    def configuration_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.correction.PHASE == Phase.CONFIGURATION)

    def frame(self) -> pd.DataFrame:
        """The plan as a table (:class:`carteiro.columns.PlanStep`), one row per step."""
        steps = self.steps
        c = PlanStep
        return pd.DataFrame({
            c.STEP: pd.array([s.number for s in steps], dtype="int64"),
            c.CORRECTION: pd.array([s.correction.KIND for s in steps], dtype="string"),
            c.CONDITION: pd.array([s.correction.CONDITION for s in steps], dtype="string"),
            c.OBJECT_ID: pd.array([s.correction.object_id for s in steps], dtype="Int64"),
            c.OBJECTS: pd.array([s.correction.objects for s in steps], dtype="int64"),
            c.ACTION: pd.array([s.correction.action for s in steps], dtype="string"),
            c.ERP_PATH: pd.array([s.correction.erp_path for s in steps], dtype="string"),
            c.INVOICES_GAINED: pd.array([s.impact.invoices for s in steps], dtype="int64"),
            c.CUSTOMERS_GAINED: pd.array([s.impact.customers for s in steps], dtype="int64"),
            c.AMOUNT_GAINED: np.round([s.impact.amount for s in steps], 2).astype(float),
            c.CUSTOMERS_COVERED_AFTER: pd.array([s.covered_after for s in steps],
                                                dtype="int64"),
            c.COVERAGE_AFTER: np.round([self.coverage(s.covered_after) for s in steps],
                                       6).astype(float),
        })


def _refresh(sim: Simulator, previous: Delta, chosen: Delta, state: State) -> Delta:
    """``previous`` (one correction from the state before ``chosen``) from ``state``, the
    state after it: kept when ``chosen`` cannot reach it, else recomputed."""
    (correction,) = previous.corrections - previous.source.corrections
    (step,) = chosen.corrections - chosen.source.corrections
    target = state.corrections | {correction}
    apart = not (previous.footprint & chosen.footprint).any()
    if apart and step.REACH == Reach.METHOD and correction.REACH != Reach.ROWS:
        # ``step`` changed one method's rules or selection, which only that method's
        # invoices read, and ``correction`` reaches none of them.
        return Delta(state, target, None, None, state.method_rows, previous.footprint,
                     previous.rows, previous.masks)
    inputs = correction.apply(state.inputs)
    mask = sim.footprint(state, target, inputs)
    if apart and np.array_equal(mask, previous.footprint):
        config = sim.config_for(inputs, target)
        rows = sim.method_rows(state, inputs)
        reach = footprint(sim.inputs_of(previous).data, sim.config_of(previous),
                          previous.method_rows, inputs.data, config, written({step}))
        if not (reach & mask).any():
            return Delta(state, target, inputs, config, rows, mask, previous.rows,
                         previous.masks)
    return sim.delta(state, target, inputs, mask)


def _best(impacts: dict[Correction, Impact]) -> Correction:
    """The largest gain; among equals, the first in the contract's order (``max`` keeps the
    first of equal maxima)."""
    return max(sorted(impacts, key=order_key), key=lambda c: impacts[c].rank())


def build_plan(sim: Simulator, corrections: Sequence[Correction] | None = None) -> Plan:
    """The greedy plan over ``corrections`` (default: every one the audit supports)."""
    if corrections is None:
        corrections = find_corrections(sim.audit)
    first = {c: sim.peek(sim.base, c) for c in corrections}
    alone = {c: sim.impact(d) for c, d in first.items()}
    state, steps = sim.base, []
    eligible = int((state.masks == 0).sum())
    for phase in (Phase.CONFIGURATION, Phase.LIST):
        pool = [c for c in corrections if c.PHASE is phase]
        deltas = {c: first[c] if state is sim.base else sim.peek(state, c) for c in pool}
        while deltas:
            impacts = {c: sim.impact(d) for c, d in deltas.items()}
            best = _best(impacts)
            chosen, impact = deltas.pop(best), impacts[best]
            state = sim.advance(chosen)
            eligible += impact.invoices
            steps.append(Step(len(steps) + 1, best, impact, sim.covered(state), eligible))
            deltas = {c: _refresh(sim, d, chosen, state) for c, d in deltas.items()}
    base = sim.base
    return Plan(
        customers=sim.customers,
        invoices=len(base.masks),
        covered_before=sim.covered(base),
        eligible_before=int((base.masks == 0).sum()),
        amount_before=float(np.dot(sim.open_amount, base.masks != 0)),
        steps=tuple(steps),
        alone=alone,
        final=state,
    )

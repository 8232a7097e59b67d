"""What-if: the audit re-run by the engine on corrected inputs, recomputing only what changed.

A :class:`Simulator` is built once from a loaded :class:`~carteiro.rules.engine.Audit` (and
the sender-test history it was computed with). A :class:`State` is one set of corrections with
the reason mask of every invoice under it. Going from one state to another
(:meth:`Simulator.move`, :meth:`Simulator.peek`) applies the corrections to the normalised
tables, finds the invoices whose inputs differ (:mod:`carteiro.plan.footprint`) and runs the
engine's own invoice evaluation (:func:`carteiro.rules.conditions.evaluate_invoices`) on
those invoices only, with their services and their customers' recipients; every other
invoice keeps its result. Customers are rolled up from the invoices as the engine does
(covered when all its invoices in scope are eligible).

The simulator keeps the normalised tables without the raw text whose meaning the normaliser
already turned into the columns the engine reads (the invoice's status word → ``unpaid``;
the service's plan and ``envio_cobranca`` → ``blocks_email``; a recipient's origin, name and
address → ``allows_email``/``valid_email``): a subset is then cheaper to take.

Nothing is written anywhere: the audit's frames are never changed (corrections build new
ones), and no database is touched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from carteiro.columns import CustomerAudit, Invoice, Recipient, Service
from carteiro.erp.dataset import ErpData
from carteiro.plan.corrections import (
    Correction,
    Inputs,
    ListCorrection,
    Phase,
    SenderTests,
    apply_all,
)
from carteiro.plan.footprint import Config, MethodRows, configuration, footprint
from carteiro.rules.conditions import evaluate_invoices
from carteiro.rules.engine import Audit


@dataclass(frozen=True)
class Impact:
    """What a change gives, against the state it starts from (negative: it costs)."""

    invoices: int  # invoices that become eligible, net
    customers: int  # customers that become covered, net
    amount: float  # open amount (R$) whose notice now goes out, net

    def rank(self) -> tuple[int, int, float]:
        """Greater is better: customers, then invoices, then money."""
        return (self.customers, self.invoices, round(self.amount, 2))


@dataclass(frozen=True)
class State:
    """One set of corrections and the engine's verdict on every invoice under it."""

    corrections: frozenset[Correction]
    inputs: Inputs
    config: Config
    method_rows: MethodRows
    masks: np.ndarray  # reason mask per invoice row (the audit's order: by invoice id)
    customer_eligible: np.ndarray  # eligible invoices per customer code


@dataclass(frozen=True)
class Delta:
    """The way from ``source`` to ``corrections``: the inputs, the invoices whose inputs
    differ (``footprint``) and those whose mask changes (``rows``, ``masks``)."""

    source: State
    corrections: frozenset[Correction]
    inputs: Inputs | None  # None: not computed yet (see Simulator.inputs_of)
    config: Config | None  # None: not computed yet (see Simulator.config_of)
    method_rows: MethodRows
    footprint: np.ndarray
    rows: np.ndarray
    masks: np.ndarray


def written(corrections: Iterable[Correction]) -> dict[str, set[str]]:
    """Per big table, the columns ``corrections`` write (only list corrections write there)."""
    out: dict[str, set[str]] = {}
    for c in corrections:
        if isinstance(c, ListCorrection):
            out.setdefault(c.TABLE, set()).add(c.COLUMN)
    return out


CUTS_KEPT = 4  # cuts of the big tables kept for reuse (see Simulator.restricted)
CONFIGS_KEPT = 2048  # evaluated configurations kept (a plan of n corrections uses about n²)


class Simulator:
    """The audit, ready for what-if questions. Thread-safe; the base state is the audit."""

    #: Held by its own cache entry (``carteiro.memory_cache.SHARED_ATTRIBUTES``): a cached
    #: simulator's size is what it adds to the audit.
    cache_shared_attributes: ClassVar[tuple[str, ...]] = ("audit",)

    def __init__(self, audit: Audit, sender_tests: SenderTests = None) -> None:
        self.audit = audit
        invoices = audit.data.invoices.sort_values(Invoice.ID, kind="stable")
        invoices = invoices.reset_index(drop=True)
        if not np.array_equal(invoices[Invoice.ID].to_numpy(dtype=np.int64),
                              audit.invoices[Invoice.ID].to_numpy(dtype=np.int64)):
            raise ValueError("the audit's invoices are not its data's invoices")
        data = dataclasses.replace(
            audit.data, invoices=invoices.drop(columns=[Invoice.STATUS]),
            services=audit.data.services.drop(columns=[Service.PLAN, Service.BILLING_NOTICE]),
            recipients=audit.data.recipients.drop(
                columns=[Recipient.ORIGIN, Recipient.NAME, Recipient.EMAIL]))
        self._index(audit)
        inputs = Inputs(data, sender_tests)
        masks = audit.invoices[Invoice.REASON_MASK].to_numpy(dtype=np.int16)
        self.base = State(frozenset(), inputs, configuration(data, sender_tests),
                          MethodRows.of(invoices), masks, self._eligible_per_customer(masks))
        self._configs: OrderedDict[frozenset[Correction], Config] = OrderedDict(
            {frozenset(): self.base.config})
        self._cuts: OrderedDict[bytes, tuple[tuple[pd.DataFrame, ...], ErpData]] = OrderedDict()
        self._lock = threading.Lock()
        self._lock_caches = threading.Lock()
        self._last = self.base

    # Fixed facts ---------------------------------------------------------------------------
    def _index(self, audit: Audit) -> None:
        inv = audit.invoices
        codes, uniques = pd.factorize(inv[Invoice.CUSTOMER_ID].astype("Int64"), sort=True,
                                      use_na_sentinel=True)
        if (codes < 0).any():  # a null customer id is one customer, as the engine counts
            codes = np.where(codes < 0, len(uniques), codes)
        self.customer_codes = codes.astype(np.int64)
        self.customer_ids = pd.array(uniques, dtype="Int64")
        ids = audit.customers[CustomerAudit.ID].astype("Int64")
        if not ids.iloc[:len(uniques)].equals(pd.Series(self.customer_ids)):
            raise ValueError("the audit's customers are not its invoices' customers")
        self.customer_total = np.bincount(self.customer_codes)
        self.customers = len(self.customer_total)
        amount = inv[Invoice.AMOUNT].fillna(0.0).to_numpy(dtype=float)
        self.open_amount = np.where(inv[Invoice.UNPAID].to_numpy(dtype=bool), amount, 0.0)
        self._service_ids = pd.Index(audit.data.services[Service.ID].astype("Int64"))
        owners = pd.Index(audit.data.recipients[Recipient.CUSTOMER_ID].astype("Int64"))
        known = pd.Index(owners.dropna().unique())
        self._recipient_owner = known.get_indexer(owners)  # per recipient (-1: none)
        self._invoice_owner = known.get_indexer(inv[Invoice.CUSTOMER_ID].astype("Int64"))
        self._owners = len(known)

    def _eligible_per_customer(self, masks: np.ndarray) -> np.ndarray:
        return np.bincount(self.customer_codes, weights=masks == 0,
                           minlength=self.customers).astype(np.int64)

    def covered(self, state: State) -> int:
        return int((state.customer_eligible == self.customer_total).sum())

    # The engine on a subset ----------------------------------------------------------------
    def restricted(self, data: ErpData, rows: np.ndarray) -> ErpData:
        """``data`` with the invoice rows ``rows`` only, the services they name and every
        recipient of their customers: all the engine reads about those invoices.

        The last few cuts of the big tables are kept (the plan evaluates the invoices of one
        billing method again and again, under other configurations): a cut is reused for the
        same rows of the very same three frames."""
        big = (data.invoices, data.services, data.recipients)
        key = hashlib.blake2b(rows.tobytes(), digest_size=16).digest()
        with self._lock_caches:
            hit = self._cuts.get(key)
            if hit is not None and all(a is b for a, b in zip(hit[0], big, strict=True)):
                self._cuts.move_to_end(key)
                return dataclasses.replace(data, invoices=hit[1].invoices,
                                           services=hit[1].services,
                                           recipients=hit[1].recipients)
        cut = self._cut(data, rows)
        with self._lock_caches:
            self._cuts[key] = (big, cut)
            while len(self._cuts) > CUTS_KEPT:
                self._cuts.popitem(last=False)
        return cut

    def _cut(self, data: ErpData, rows: np.ndarray) -> ErpData:
        inv = data.invoices.take(rows)
        where = self._service_ids.get_indexer(inv[Invoice.SERVICE_ID].astype("Int64"))
        named = np.zeros(len(self._service_ids), dtype=bool)
        named[where[where >= 0]] = True
        owners = np.zeros(self._owners + 1, dtype=bool)
        owners[self._invoice_owner[rows]] = True
        owners[-1] = False  # index -1: no customer, or one with no recipient
        return dataclasses.replace(
            data, invoices=inv, services=data.services.take(np.flatnonzero(named)),
            recipients=data.recipients.take(np.flatnonzero(owners[self._recipient_owner])))

    def evaluate_rows(self, inputs: Inputs, config: Config, rows: np.ndarray) -> np.ndarray:
        """The engine's reason masks of the invoice rows ``rows`` (ascending) under ``inputs``."""
        subset = self.restricted(inputs.data, rows)
        out = evaluate_invoices(subset, config.methods, config.senders, config.routine_active)
        if not np.array_equal(out[Invoice.ID].to_numpy(dtype=np.int64),
                              subset.invoices[Invoice.ID].to_numpy(dtype=np.int64)):
            raise AssertionError("the engine returned the invoices in another order")
        return out[Invoice.REASON_MASK].to_numpy(dtype=np.int16)

    # States ---------------------------------------------------------------------------------
    def config_for(self, inputs: Inputs, corrections: frozenset[Correction]) -> Config:
        """The evaluated configuration; it depends on the configuration corrections only."""
        key = frozenset(c for c in corrections if c.PHASE == Phase.CONFIGURATION)
        with self._lock_caches:
            config = self._configs.get(key)
        if config is None:
            config = configuration(inputs.data, inputs.sender_tests)
            with self._lock_caches:
                self._configs[key] = config
                while len(self._configs) > CONFIGS_KEPT:
                    self._configs.popitem(last=False)
        return config

    def inputs_of(self, delta: Delta) -> Inputs:
        if delta.inputs is not None:
            return delta.inputs
        return apply_all(delta.source.inputs, delta.corrections - delta.source.corrections)

    def config_of(self, delta: Delta) -> Config:
        if delta.config is not None:
            return delta.config
        return self.config_for(self.inputs_of(delta), delta.corrections)

    def method_rows(self, state: State, inputs: Inputs) -> MethodRows:
        same_invoices = inputs.data.invoices is state.inputs.data.invoices
        return state.method_rows if same_invoices else MethodRows.of(inputs.data.invoices)

    def footprint(self, state: State, corrections: frozenset[Correction],
                  inputs: Inputs) -> np.ndarray:
        """The invoice rows whose inputs differ between ``state`` and ``inputs``."""
        return footprint(state.inputs.data, state.config, state.method_rows, inputs.data,
                         self.config_for(inputs, corrections),
                         written(state.corrections ^ corrections))

    def delta(self, state: State, corrections: frozenset[Correction], inputs: Inputs,
              mask: np.ndarray | None = None) -> Delta:
        """From ``state`` to ``corrections`` (whose corrected inputs are ``inputs``;
        ``mask``: their footprint, when already known)."""
        config = self.config_for(inputs, corrections)
        rows = self.method_rows(state, inputs)
        if mask is None:
            mask = footprint(state.inputs.data, state.config, state.method_rows,
                             inputs.data, config, written(state.corrections ^ corrections))
        where = np.flatnonzero(mask)
        new = self.evaluate_rows(inputs, config, where) if len(where) else np.zeros(0, np.int16)
        changed = new != state.masks[where]
        return Delta(state, corrections, inputs, config, rows, mask, where[changed],
                     new[changed])

    def peek(self, state: State, correction: Correction) -> Delta:
        """From ``state`` to ``state`` plus ``correction``."""
        return self.delta(state, state.corrections | {correction},
                          correction.apply(state.inputs))

    def advance(self, delta: Delta) -> State:
        state = delta.source
        masks = state.masks.copy()
        masks[delta.rows] = delta.masks
        eligible = state.customer_eligible.copy()
        change = (delta.masks == 0).astype(np.int64) - (state.masks[delta.rows] == 0)
        np.add.at(eligible, self.customer_codes[delta.rows], change)
        inputs = self.inputs_of(delta)
        config = delta.config or self.config_for(inputs, delta.corrections)
        return State(delta.corrections, inputs, config, delta.method_rows, masks, eligible)

    def move(self, state: State, corrections: Iterable[Correction]) -> State:
        """The state of exactly ``corrections``, reached from ``state``."""
        target = frozenset(corrections)
        if target == state.corrections:
            return state
        added = target - state.corrections
        if state.corrections <= target:
            inputs = apply_all(state.inputs, added)
        else:
            inputs = apply_all(self.base.inputs, target)
        return self.advance(self.delta(state, target, inputs))

    def impact(self, delta: Delta) -> Impact:
        """What ``delta`` gives against its source state."""
        state = delta.source
        before = state.masks[delta.rows] == 0
        change = (delta.masks == 0).astype(np.int64) - before
        moved = change != 0
        codes = self.customer_codes[delta.rows][moved]
        customers, inverse = np.unique(codes, return_inverse=True)
        total = self.customer_total[customers]
        old = state.customer_eligible[customers]
        new = old + np.bincount(inverse, weights=change[moved],
                                minlength=len(customers)).astype(np.int64)
        return Impact(
            invoices=int(change.sum()),
            customers=int((new == total).sum() - (old == total).sum()),
            amount=float(np.dot(self.open_amount[delta.rows], change)),
        )

    # The page's entry points ---------------------------------------------------------------
    def simulate(self, corrections: Iterable[Correction]) -> State:
        """The state of ``corrections``, reached from the last one asked for (a toggle
        recomputes only the invoices that toggle touches)."""
        with self._lock:
            self._last = self.move(self._last, corrections)
            return self._last

    def alone(self, correction: Correction) -> Impact:
        """What ``correction`` alone gives against the audit."""
        return self.impact(self.peek(self.base, correction))

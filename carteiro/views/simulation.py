"""Simulação (what-if): the corrections a manager can pick, and what the page shows of a
simulation — coverage, the reasons and the coverage by billing method, now versus simulated,
the open amount that gets its notice, and the customers who would become covered.

Everything runs on the :class:`~carteiro.plan.simulator.Simulator` of the loaded audit (an
in-memory copy of the normalised tables): nothing is written to the ERP.

Choices the issue leaves open:

* **What can be picked**: the billing e-mail routine (when none is active); each sender that
  is inactive or failed its latest test (activate it / its test passed); one new rule at any
  offset (−3650…3650 days) on one billing method; statuses added to one method's «Status do
  Serviço para Envio»; the blocking ``envio_cobranca`` values (``somente_sms``, ``nenhum``)
  treated as allowed on the services of the invoices they block; the two contact lists
  (permission, addresses); and any step of the recommended plan.
* **The coverage by billing method, simulated**, groups each invoice under its billing method
  *as the ERP has it today* (a correction that links invoices to a method does not move them
  between bars), so both figures have the same bars in the same order.
* **The customers who would become covered** are listed as the audit sees them today
  (coverage, reasons and open amount without notice today).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from carteiro.columns import CustomerAudit, Method, Sender, ServiceStatus
from carteiro.erp.dataset import BLOCKING_NOTICES
from carteiro.plan import whatif
from carteiro.plan.candidates import Corrections
from carteiro.plan.corrections import (
    AllowContacts,
    AllowEmail,
    Correction,
    FixAddresses,
    order_key,
)
from carteiro.plan.greedy import Plan
from carteiro.plan.simulator import Simulator, State
from carteiro.rules.catalogue import COVERAGE_LABELS, REASONS
from carteiro.rules.engine import Audit
from carteiro.views import coverage as coverage_view
from carteiro.views.coverage import Breakdown
from carteiro.views.labels import (
    MASK_LABELS,
    invoice_method_labels,
    labelled,
    method_labels,
    sender_labels,
)
from carteiro.views.reasons import ReasonRow

OFFSET_LIMIT: Final = 3650  # days before or after the due date a simulated rule may be at
NOTHING_WRITTEN: Final = ("Nada é gravado no ERP: a simulação roda sobre uma cópia em memória "
                          "dos dados carregados. O ERP e o banco de dados ficam como estão.")


# ---------------------------------------------------------------------------------------------
# What can be picked


@dataclass(frozen=True)
class SenderOption:
    sender_id: int
    label: str  # the ERP's description (text, never Markdown) and id
    inactive: bool
    failed: bool
    correction: Correction


@dataclass(frozen=True)
class Options:
    """Everything the page offers for the loaded audit."""

    routine: Correction | None  # None: a billing e-mail routine is active
    senders: tuple[SenderOption, ...]
    methods: dict[int, str]  # billing method id → label
    statuses: dict[str, str]  # normalised status prefix → label
    notices: dict[str, AllowEmail]  # blocking envio_cobranca value → its list correction
    contacts: AllowContacts | None  # customers none of whose contacts allows e-mail
    addresses: FixAddresses | None  # customers without a valid address
    builder: Corrections = field(repr=False)


def _status_labels(audit: Audit) -> dict[str, str]:
    statuses = audit.data.service_statuses.dropna(subset=[ServiceStatus.STATUS])
    statuses = statuses.sort_values(ServiceStatus.ID).drop_duplicates(ServiceStatus.STATUS)
    text = statuses[ServiceStatus.DESCRIPTION].astype("string").str.strip().fillna("")
    out: dict[str, str] = {}
    for status, name in zip(statuses[ServiceStatus.STATUS], text, strict=True):
        out[str(status)] = f"{name} ({status})" if name and name != status else str(status)
    return dict(sorted(out.items()))


def options(audit: Audit) -> Options:
    """What the manager can pick on the page (see the module's doc)."""
    build = Corrections(audit)
    senders = audit.senders
    names = sender_labels(audit)
    pickable = senders[~senders[Sender.ACTIVE].fillna(False).astype(bool)
                       | senders[Sender.LAST_TEST_FAILED].fillna(False).astype(bool)]
    sender_options = tuple(
        SenderOption(int(sid), str(names.get(int(sid), f"id {int(sid)}")),
                     not bool(active), bool(failed), build.fix_sender(int(sid)))
        for sid, active, failed in zip(pickable[Sender.ID], pickable[Sender.ACTIVE].fillna(False),
                                       pickable[Sender.LAST_TEST_FAILED].fillna(False),
                                       strict=True)
        if not pd.isna(sid))
    labels = method_labels(audit)
    methods = {int(m): str(labels.get(int(m), f"id {int(m)}"))
               for m in audit.billing_methods[Method.ID].dropna().sort_values()}
    notices = {n: build.allow_email(n) for n in sorted(BLOCKING_NOTICES)}
    contacts, addresses = build.allow_contacts(), build.fix_addresses()
    return Options(
        routine=None if audit.routine_active else build.activate_routine(),
        senders=sender_options, methods=methods, statuses=_status_labels(audit),
        notices={n: c for n, c in notices.items() if len(c.targets)},
        contacts=contacts if len(contacts.targets) else None,
        addresses=addresses if len(addresses.targets) else None,
        builder=build)


@dataclass(frozen=True)
class Picked:
    """The page's form, read back: what the manager switched on."""

    routine: bool = False
    senders: tuple[int, ...] = ()
    rule_method: int | None = None
    rule_days: int = 0
    status_method: int | None = None
    statuses: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    contacts: bool = False
    addresses: bool = False
    plan_steps: tuple[int, ...] = ()  # step numbers of the recommended plan


def corrections(opts: Options, picked: Picked, plan: Plan | None = None) -> list[Correction]:
    """The corrections ``picked`` names (each once: equal corrections are one)."""
    build = opts.builder
    out: list[Correction] = []
    if picked.routine and opts.routine is not None:
        out.append(opts.routine)
    by_id = {s.sender_id: s.correction for s in opts.senders}
    out += [by_id[s] for s in picked.senders if s in by_id]
    if picked.rule_method is not None:
        days = int(np.clip(picked.rule_days, -OFFSET_LIMIT, OFFSET_LIMIT))
        out.append(build.add_rule(picked.rule_method, days))
    if picked.status_method is not None:
        out += [build.allow_status(picked.status_method, s) for s in picked.statuses]
    out += [opts.notices[n] for n in picked.notices if n in opts.notices]
    if picked.contacts and opts.contacts is not None:
        out.append(opts.contacts)
    if picked.addresses and opts.addresses is not None:
        out.append(opts.addresses)
    if plan is not None:
        steps = {s.number: s.correction for s in plan.steps}
        out += [steps[n] for n in picked.plan_steps if n in steps]
    return list({c.key: c for c in out}.values())


# ---------------------------------------------------------------------------------------------
# Now versus simulated


def summary(sim: Simulator, state: State) -> coverage_view.CoverageSummary:
    """The Cobertura summary of ``state`` (the base state: the audit's own). The open amount
    is the audit's: a correction changes which invoices get a notice, not which are unpaid."""
    c = whatif.coverage(sim, state)
    return coverage_view.CoverageSummary(
        customers=c.customers, covered=c.covered, partial=c.partial, not_covered=c.not_covered,
        invoices=c.invoices, eligible_invoices=c.eligible,
        amount_without_notice=c.amount_without_notice,
        open_amount=coverage_view.open_amount(sim.audit))


def _counts(masks: np.ndarray) -> list[int]:
    return [int(((masks >> bit) & 1).sum()) for bit in range(len(REASONS))]


def reason_rows(sim: Simulator, state: State) -> pd.DataFrame:
    """The Motivos table's frame (:class:`~carteiro.views.reasons.ReasonRow`) under ``state``."""
    invoices = _counts(state.masks)
    customers = _counts(whatif.customer_masks(sim, state))
    return pd.DataFrame({
        ReasonRow.NUMBER: [r.number for r in REASONS],
        ReasonRow.CODE: [r.code for r in REASONS],
        ReasonRow.LABEL: [r.label for r in REASONS],
        ReasonRow.CUSTOMERS: np.asarray(customers, dtype=int),
        ReasonRow.INVOICES: np.asarray(invoices, dtype=int),
        ReasonRow.MENU_PATH: [r.menu_path for r in REASONS],
    })


class Gained:
    """Columns of the list of customers who would become covered."""

    ID: Final = CustomerAudit.ID
    NAME: Final = CustomerAudit.NAME
    DOCUMENT: Final = CustomerAudit.DOCUMENT
    CITY: Final = CustomerAudit.CITY
    COVERAGE: Final = "coverage_now"
    REASONS: Final = "reasons_now"
    INVOICES: Final = CustomerAudit.INVOICES
    AMOUNT: Final = CustomerAudit.AMOUNT_WITHOUT_NOTICE


GAINED_HEADERS: Final[dict[str, str]] = {
    Gained.ID: "ID",
    Gained.NAME: "Cliente",
    Gained.AMOUNT: "Em aberto sem aviso hoje (R$)",
    Gained.INVOICES: "Faturas",
    Gained.COVERAGE: "Situação hoje",
    Gained.REASONS: "Motivos hoje",
    Gained.DOCUMENT: "CPF/CNPJ",
    Gained.CITY: "Cidade",
}


def customers_gained(sim: Simulator, state: State) -> pd.DataFrame:
    """The customers not covered today whom ``state`` covers, as the audit shows them today
    (:class:`Gained` columns, headers :data:`GAINED_HEADERS`), the largest open amount first."""
    customers = sim.audit.customers
    total = sim.customer_total
    gained = np.zeros(len(customers), dtype=bool)
    gained[:sim.customers] = ((state.customer_eligible == total)
                              & (sim.base.customer_eligible != total))
    rows = customers[gained]
    out = pd.DataFrame({
        Gained.ID: rows[CustomerAudit.ID].astype("Int64").to_numpy(),
        Gained.NAME: rows[CustomerAudit.NAME].astype("string").to_numpy(),
        Gained.DOCUMENT: rows[CustomerAudit.DOCUMENT].astype("string").to_numpy(),
        Gained.CITY: rows[CustomerAudit.CITY].astype("string").to_numpy(),
        Gained.COVERAGE: labelled(rows[CustomerAudit.STATUS], COVERAGE_LABELS).to_numpy(),
        Gained.REASONS: pd.array(
            MASK_LABELS[rows[CustomerAudit.REASON_MASK].to_numpy(dtype=int)].tolist(),
            dtype="string"),
        Gained.INVOICES: rows[CustomerAudit.INVOICES].to_numpy(dtype=int),
        Gained.AMOUNT: rows[CustomerAudit.AMOUNT_WITHOUT_NOTICE].to_numpy(dtype=float),
    })
    out[Gained.ID] = out[Gained.ID].astype("Int64")
    out = out[list(GAINED_HEADERS)]
    return out.sort_values([Gained.AMOUNT, Gained.ID], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Comparison:
    """What the page shows of one simulation."""

    now: coverage_view.CoverageSummary
    simulated: coverage_view.CoverageSummary
    methods_now: pd.DataFrame  # coverage by billing method (Breakdown columns)
    methods_simulated: pd.DataFrame
    reasons_now: pd.DataFrame  # ReasonRow columns
    reasons_simulated: pd.DataFrame
    gained: pd.DataFrame  # Gained columns

    @property
    def amount_gained(self) -> float:
        """Open amount (R$) of the invoices that get their notice with the corrections."""
        return round(self.now.amount_without_notice - self.simulated.amount_without_notice, 2)

    def metrics(self) -> list[coverage_view.MetricView]:
        """The Cobertura metrics of the simulation, each with its change against today (none
        when nothing changes; no arrow for an amount that does not change)."""
        if self.simulated == self.now:
            return coverage_view.coverage_metrics(self.simulated, None)
        out = coverage_view.coverage_metrics(self.simulated, self.now)
        same = self.simulated.amount_without_notice == self.now.amount_without_notice
        return [dataclasses.replace(m, delta=None) if same and m.key == "amount_without_notice"
                else m for m in out]

    @property
    def reasons_top(self) -> int:
        """The largest bar of both reasons figures (to draw them on the same scale)."""
        both = pd.concat([self.reasons_now, self.reasons_simulated])
        return int(both[[ReasonRow.CUSTOMERS, ReasonRow.INVOICES]].to_numpy().max(initial=0))


def method_codes(audit: Audit, methods_now: pd.DataFrame) -> np.ndarray:
    """Per invoice (the audit's order), its row in ``methods_now`` (today's coverage by
    method): built once per audit, so a what-if sums by integer codes."""
    labels = invoice_method_labels(audit)
    codes = pd.Index(methods_now[Breakdown.LABEL]).get_indexer(labels.to_numpy())
    if (codes < 0).any():
        raise ValueError("an invoice's billing method is not in today's coverage by method")
    return codes.astype(np.int64)


def methods_simulated(sim: Simulator, state: State, methods_now: pd.DataFrame,
                      codes: np.ndarray) -> pd.DataFrame:
    """Coverage by billing method under ``state``, the rows of ``methods_now`` (the invoices
    and customers per method do not change; with and without notice and the open amount
    without notice do) — what :func:`~carteiro.views.coverage.coverage_by_method` gives on the
    simulated audit, by integer sums."""
    without = state.masks != 0
    size = len(methods_now)
    eligible = np.bincount(codes, weights=~without, minlength=size).round().astype(int)
    out = methods_now.copy()
    out[Breakdown.ELIGIBLE] = eligible
    out[Breakdown.NOT_ELIGIBLE] = out[Breakdown.INVOICES].to_numpy() - eligible
    out[Breakdown.SHARE] = eligible / out[Breakdown.INVOICES].to_numpy()
    amount = np.bincount(codes, weights=np.where(without, sim.open_amount, 0.0), minlength=size)
    out[Breakdown.AMOUNT] = amount.round(2)
    return out


def compare(sim: Simulator, state: State, methods_now: pd.DataFrame | None = None,
            codes: np.ndarray | None = None) -> Comparison:
    """Now versus ``state`` (``methods_now``, ``codes``: today's coverage by method and
    :func:`method_codes`, when cached)."""
    if methods_now is None:
        methods_now = coverage_view.coverage_by_method(sim.audit)
    if codes is None:
        codes = method_codes(sim.audit, methods_now)
    return Comparison(
        now=summary(sim, sim.base), simulated=summary(sim, state),
        methods_now=methods_now, methods_simulated=methods_simulated(sim, state, methods_now,
                                                                     codes),
        reasons_now=reason_rows(sim, sim.base), reasons_simulated=reason_rows(sim, state),
        gained=customers_gained(sim, state))


def simulate(sim: Simulator, picked: Iterable[Correction]) -> State:
    """The state of exactly ``picked`` (only what changed since the last one is recomputed)."""
    return sim.simulate(picked)


def picked_summary(picked: Sequence[Correction]) -> list[str]:
    """The actions of the picked corrections, in the plan's order."""
    return [c.action for c in sorted(picked, key=order_key)]

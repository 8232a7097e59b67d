"""Every concrete correction an audit supports, each tied to one ERP object and one condition,
with a pt-BR action sentence (:class:`Corrections` also builds them one by one, for a page
where the manager picks his own).

The choices the contract leaves open:

* **Sender (2)**: one correction per sender that blocks invoices — activate it and/or fix
  what made its latest test fail (both, when both hold). A sender that a billing method names
  but that does not exist: the method is pointed to the default sender (the simulation of
  "choose a sender that exists"). No active sender at all: the sender that would become the
  default is activated (marked default first, then the lowest id); none registered: a new one.
* **Rules for a method without any (3)**: the offsets of the billing method with active rules
  that bills the most invoices in scope (ties: the lowest id) — the provider's own practice;
  when no method has rules, −3, 0 and +3 days.
* **A rule for invoices outside the rules (4)**, per billing method: an invoice paid ``p``
  days from its due date (negative: before) gets a notice from a rule at ``d`` when
  ``d ≤ p``. ``d`` is the offset, between −10 days (earlier than ISPs usually issue the
  invoice) and the method's first offset − 1, that gains the most invoices; among equal gains
  the latest (the notice closest to the due date). A paid invoice without a payment date
  counts as paid before any send date: no rule reaches it.
* **A status for the «Status do Serviço para Envio» (6)**: one correction per (billing
  method, status) that excludes invoices. A service whose status id is unknown is not
  simulated (give it a real status; which one is the provider's call).
* **Lists**: invoices with no or an unknown billing method are linked to the method the rules
  of (3) copy (the one with rules and the most invoices; when none has rules, the one with the
  most invoices); invoices with no or an unknown service are linked to their customer's
  service when the customer has exactly one (the others need a person to choose); services
  whose billing notice blocks e-mail, one list per value (``somente_sms``, ``nenhum``);
  customers none of whose recipients allows e-mail; customers with no valid address on a
  recipient that allows e-mail, or with none at all among those of the previous list (both
  lists are needed for those). An invoice whose customer is not in the customer table has no
  recipient to correct and is in neither list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import numpy as np
import pandas as pd

from carteiro import formatting as fmt
from carteiro.columns import (
    CustomerIn,
    Invoice,
    Method,
    Recipient,
    RoutineIn,
    RuleIn,
    Sender,
    Service,
    ServiceStatus,
)
from carteiro.erp.dataset import BILLING_ROUTINE, BLOCKING_NOTICES
from carteiro.erp.normalise import normalise_words
from carteiro.plan.corrections import (
    ActivateRoutine,
    AddRule,
    AddRules,
    AllowContacts,
    AllowEmail,
    AllowStatus,
    Correction,
    CreateSender,
    FixAddresses,
    FixSender,
    LinkMethod,
    LinkService,
    RepointSender,
    order_key,
)
from carteiro.rules.engine import Audit

DEFAULT_OFFSETS: Final = (-3, 0, 3)
EARLIEST_OFFSET: Final = -10


def offset_words(days: int) -> str:
    """``-5`` → «5 dias antes do vencimento», ``0`` → «no vencimento», ``1`` → «1 dia depois»."""
    if days == 0:
        return "no dia do vencimento"
    unit = "dia" if abs(days) == 1 else "dias"
    return f"{abs(days)} {unit} {'antes do' if days < 0 else 'depois do'} vencimento"


def _signed_days(offsets: Iterable[int]) -> str:
    words = [f"{d:+d}" if d else "0" for d in offsets]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " e " + words[-1]


def _ids(values: pd.Series) -> np.ndarray:
    return np.unique(values.dropna().astype("int64").to_numpy())


class Corrections:
    """Builds corrections for one audit, with their pt-BR sentences."""

    def __init__(self, audit: Audit) -> None:
        self.audit = audit
        self.inv = audit.invoices
        methods = audit.billing_methods
        self.method_names = dict(zip(methods[Method.ID].astype("Int64"),
                                     methods[Method.DESCRIPTION].astype("string"),
                                     strict=True))
        self.known_methods = self.inv[Invoice.METHOD_ID].isin(list(self.method_names))

    def method(self, method_id: int) -> str:
        name = self.method_names.get(method_id)
        return f"«{name}» (id {method_id})" if name is not None and not pd.isna(name) \
            else f"id {method_id}"

    def failing(self, code: str) -> pd.DataFrame:
        return self.inv[self.inv[code].to_numpy(dtype=bool)]

    # Configuration ----------------------------------------------------------------------------
    def activate_routine(self) -> ActivateRoutine:
        routines = self.audit.data.routines
        ours = routines[(routines[RoutineIn.KIND] == BILLING_ROUTINE).fillna(False)
                        & routines[RoutineIn.ID].notna()]
        if len(ours):
            routine_id = int(ours[RoutineIn.ID].min())
            return ActivateRoutine(routine_id=routine_id, action=(
                f"Ativar a rotina de envio de e-mail de cobrança (id {routine_id})"))
        return ActivateRoutine(action="Cadastrar uma rotina ativa de envio de e-mail de "
                                      "cobrança («envio_email_cobranca»)")

    def _sender_name(self, sender_id: int) -> str:
        senders = self.audit.senders
        row = senders[senders[Sender.ID] == sender_id]
        return f"«{row.iloc[0][Sender.DESCRIPTION]}» (id {sender_id})" if len(row) \
            else f"id {sender_id}"

    def _users(self, sender_id: int) -> str:
        methods = self.audit.billing_methods
        mine = methods[(methods[Method.EFFECTIVE_SENDER_ID] == sender_id).fillna(False)]
        names = [self.method(int(m)) for m in mine[Method.ID].dropna()]
        return f", usado por {', '.join(names)}" if names else ""

    def fix_sender(self, sender_id: int) -> FixSender:
        senders = self.audit.senders
        row = senders[senders[Sender.ID] == sender_id]
        inactive = bool(len(row)) and not bool(row.iloc[0][Sender.ACTIVE])
        failed = bool(len(row)) and bool(row.iloc[0][Sender.LAST_TEST_FAILED])
        name = self._sender_name(sender_id)
        if inactive and failed:
            what = f"Ativar o remetente {name} e corrigir o que o fez falhar no teste de envio"
        elif failed:
            what = f"Corrigir o remetente {name}, que falhou no teste de envio, e testá-lo de novo"
        else:
            what = f"Ativar o remetente {name}"
        return FixSender(sender_id=sender_id, action=what + self._users(sender_id))

    def repoint_sender(self, sender_id: int) -> RepointSender:
        methods = self.audit.billing_methods
        mine = methods[(methods[Method.SENDER_ID] == sender_id).fillna(False)]
        names = ", ".join(self.method(int(m)) for m in mine[Method.ID].dropna())
        return RepointSender(sender_id=sender_id, action=(
            f"O remetente id {sender_id} não existe: escolher um remetente ativo na forma de "
            f"cobrança {names} (simulado com o remetente padrão)"))

    def create_sender(self) -> CreateSender:
        return CreateSender(action="Cadastrar um remetente de e-mail ativo e marcá-lo como "
                                   "padrão (não há nenhum)")

    def reference_method(self, with_rules: bool = True) -> int | None:
        """The billing method with active rules (or any) that bills the most invoices."""
        methods = self.audit.billing_methods
        pool = methods[methods[Method.ACTIVE_RULES] > 0] if with_rules else methods
        counts = self.inv[Invoice.METHOD_ID].value_counts()
        ranked = sorted((-int(counts.get(m, 0)), int(m)) for m in pool[Method.ID].dropna())
        return ranked[0][1] if ranked else None

    def reference_offsets(self) -> tuple[tuple[int, ...], str]:
        reference = self.reference_method()
        if reference is None:
            return DEFAULT_OFFSETS, ""
        rules = self.audit.data.email_rules
        mine = rules[(rules[RuleIn.METHOD_ID] == reference).fillna(False) & rules[RuleIn.ACTIVE]]
        offsets = tuple(sorted({int(d) for d in mine[RuleIn.DAYS].dropna()}))
        return offsets, f", como em {self.method(reference)}"

    def add_rules(self, method_id: int, offsets: tuple[int, ...] | None = None) -> AddRules:
        source = ""
        if offsets is None:
            offsets, source = self.reference_offsets()
        return AddRules(method_id=method_id, offsets=tuple(offsets), action=(
            f"Cadastrar regras de e-mail na forma de cobrança {self.method(method_id)} "
            f"(simulado com {_signed_days(offsets)} dias do vencimento{source})"))

    def add_rule(self, method_id: int, days: int) -> AddRule:
        first = self.audit.billing_methods.set_index(Method.ID)[Method.FIRST_OFFSET].get(method_id)
        now = "" if first is None or pd.isna(first) else \
            f" (hoje a primeira é {offset_words(int(first))})"
        return AddRule(method_id=method_id, days=days, action=(
            f"Adicionar uma regra de e-mail {offset_words(days)} na forma de cobrança "
            f"{self.method(method_id)}{now}"))

    def allow_status(self, method_id: int, status: str) -> AllowStatus:
        statuses = self.audit.data.service_statuses
        named = statuses[statuses[ServiceStatus.STATUS] == status].sort_values(ServiceStatus.ID)
        label = f"«{named.iloc[0][ServiceStatus.DESCRIPTION]}» ({status})" if len(named) \
            else f"«{status}»"
        methods = self.audit.billing_methods.set_index(Method.ID)
        explicit = bool(methods[Method.EXPLICIT_STATUSES].get(method_id, False))
        note = "" if explicit else (" (hoje ela usa a seleção padrão: a nova seleção terá "
                                    "também todos os status, exceto cancelado e inativo)")
        return AllowStatus(method_id=method_id, status=status, action=(
            f"Incluir o status {label} nos «Status do Serviço para Envio» da forma de "
            f"cobrança {self.method(method_id)}{note}"))

    # Lists --------------------------------------------------------------------------------------
    def link_method(self, method_id: int | None = None) -> LinkMethod | None:
        if method_id is None:
            method_id = self.reference_method() or self.reference_method(with_rules=False)
        if method_id is None:
            return None
        ids = _ids(self.failing("method_without_rules").loc[~self.known_methods,
                                                             Invoice.ID])
        return LinkMethod(method_id=method_id, ids=ids, action=(
            f"Vincular {fmt.integer(len(ids))} faturas sem forma de cobrança (ou com uma que "
            f"não existe) a uma forma de cobrança com regras de e-mail (simulado com "
            f"{self.method(method_id)})"))

    def link_service(self) -> LinkService:
        services = self.audit.data.services
        per_customer = services.groupby(Service.CUSTOMER_ID)[Service.ID].agg(["count", "first"])
        single = per_customer[per_customer["count"] == 1]["first"]
        missing = self.failing("service_missing")
        target = missing[Invoice.CUSTOMER_ID].map(single)
        linked = target.notna()
        rest = int((~linked).sum())
        note = "" if not rest else (f"; outras {fmt.integer(rest)} são de clientes sem serviço "
                                    "ou com vários: vincular à mão")
        return LinkService(ids=missing.loc[linked, Invoice.ID].astype("int64").to_numpy(),
                           service_ids=target[linked].astype("int64").to_numpy(), action=(
            f"Vincular {fmt.integer(int(linked.sum()))} faturas sem serviço ao único serviço "
            f"do cliente{note}"))

    def allow_email(self, notice: str) -> AllowEmail:
        services = self.audit.data.services
        named = _ids(self.failing("service_blocks_email")[Invoice.SERVICE_ID])
        mine = services[services[Service.ID].isin(named)]
        value = normalise_words(mine[Service.BILLING_NOTICE])
        ids = _ids(mine.loc[(value == notice).fillna(False).to_numpy(dtype=bool), Service.ID])
        return AllowEmail(notice=notice, ids=ids, action=(
            f"Permitir e-mail de cobrança em {fmt.integer(len(ids))} serviços com envio "
            f"«{notice}» (uma decisão por cliente)"))

    def _known_customers(self, code: str) -> np.ndarray:
        customers = self.failing(code)[Invoice.CUSTOMER_ID]
        return _ids(customers[customers.isin(self.audit.data.customers[CustomerIn.ID])])

    def allow_contacts(self) -> AllowContacts:
        ids = self._known_customers("no_contact_allows_email")
        return AllowContacts(ids=ids, action=(
            f"Permitir e-mail de cobrança em um contato de cada um dos {fmt.integer(len(ids))} "
            "clientes em que nenhum contato permite"))

    def fix_addresses(self) -> FixAddresses:
        rec = self.audit.data.recipients
        without = self._known_customers("no_contact_allows_email")
        theirs = rec[Recipient.CUSTOMER_ID].isin(without).to_numpy(dtype=bool)
        valid = rec[Recipient.VALID_EMAIL].to_numpy(dtype=bool)
        none_valid = without[~np.isin(without, _ids(rec.loc[theirs & valid,
                                                            Recipient.CUSTOMER_ID]))]
        ids = np.union1d(self._known_customers("no_valid_email"), none_valid)
        return FixAddresses(ids=ids, action=(
            f"Corrigir o e-mail (inválido ou vazio) de {fmt.integer(len(ids))} clientes"))

    # Everything the data supports ---------------------------------------------------------------
    def sender_corrections(self) -> list[Correction]:
        blocked = self.failing("sender_unavailable")[Invoice.SENDER_ID]
        senders = self.audit.senders
        known = set(senders[Sender.ID].dropna().astype(int))
        out: list[Correction] = []
        for sender_id in sorted(int(s) for s in blocked.dropna().unique()):
            out.append(self.fix_sender(sender_id) if sender_id in known
                       else self.repoint_sender(sender_id))
        if blocked.isna().any():
            if senders.empty:
                out.append(self.create_sender())
            else:
                pool = senders[senders[Sender.IS_DEFAULT]]
                pool = pool if len(pool) else senders
                out.append(self.fix_sender(int(pool[Sender.ID].min())))
        return out

    def rule_corrections(self) -> list[Correction]:
        out: list[Correction] = []
        bare = self.failing("method_without_rules")
        for method_id in _ids(bare.loc[self.known_methods[bare.index], Invoice.METHOD_ID]):
            out.append(self.add_rules(int(method_id)))
        outside = self.failing("invoice_outside_rules")
        firsts = self.audit.billing_methods.set_index(Method.ID)[Method.FIRST_OFFSET]
        for method_id, group in outside.groupby(Invoice.METHOD_ID):
            days = best_offset(group, int(firsts[method_id]))
            if days is not None:
                out.append(self.add_rule(int(method_id), days))
        return out

    def status_corrections(self) -> list[Correction]:
        excluded = self.failing("service_status_excluded")
        excluded = excluded[self.known_methods[excluded.index]
                            & excluded[Invoice.SERVICE_STATUS].notna()]
        pairs = excluded[[Invoice.METHOD_ID, Invoice.SERVICE_STATUS]].drop_duplicates()
        return [self.allow_status(int(m), str(s)) for m, s in
                zip(pairs[Invoice.METHOD_ID], pairs[Invoice.SERVICE_STATUS], strict=True)]

    def list_corrections(self) -> list[Correction]:
        out: list[Correction] = []
        link = self.link_method()
        out += [link] if link is not None else []
        out.append(self.link_service())
        out += [self.allow_email(notice) for notice in sorted(BLOCKING_NOTICES)]
        out += [self.allow_contacts(), self.fix_addresses()]
        return [c for c in out if len(c.targets)]

    def all(self) -> tuple[Correction, ...]:
        out: list[Correction] = []
        if not self.audit.routine_active:
            out.append(self.activate_routine())
        out += self.sender_corrections() + self.rule_corrections()
        out += self.status_corrections() + self.list_corrections()
        unique = {c.key: c for c in out}
        return tuple(sorted(unique.values(), key=order_key))


def best_offset(invoices: pd.DataFrame, first_offset: int) -> int | None:
    """The offset of a new rule for the invoices of one method that no rule reaches: among
    ``EARLIEST_OFFSET … first_offset − 1``, the one that reaches the most (a rule at ``d``
    reaches an invoice paid ``p`` days from its due date when ``d ≤ p``); equal gains, the
    latest. None when no offset there reaches any."""
    paid = invoices[Invoice.PAID_ON]
    known = paid.notna().to_numpy(dtype=bool)
    if first_offset - 1 < EARLIEST_OFFSET or not known.any():
        return None
    days = ((paid[known] - invoices[Invoice.DUE_DATE][known]).dt.days).to_numpy(dtype=np.int64)
    days = np.sort(days)
    candidates = np.arange(EARLIEST_OFFSET, first_offset)
    reached = len(days) - np.searchsorted(days, candidates, side="left")
    if reached.max() == 0:
        return None
    return int(candidates[np.flatnonzero(reached == reached.max())[-1]])


def find_corrections(audit: Audit) -> tuple[Correction, ...]:
    """Every correction the audit supports, configuration first, in the contract's order."""
    return Corrections(audit).all()

"""What to change in the ERP, per failing condition of one customer: the exact object (the
routine, sender, billing method, invoice, service or recipient, with its id) and its current
value, one line each — «Serviço 4312 — FIBRA 300: envio_cobranca = Somente SMS»,
«Forma de cobrança Boleto (id 1): nenhuma regra de e-mail ativa», «Contato Maria (id 88):
permite_enviar_email = não».

The lines name the ERP's own fields (``ativo``, ``envio_cobranca``,
``permite_enviar_email``) as the support article does, so the analyst finds them on the ERP
screen that :mod:`carteiro.rules.catalogue` names. Values read from the ERP are returned as
plain text: the page shows them escaped, never as Markdown.

Built for one customer (a handful of invoices, services and recipients), column-wise.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from carteiro.columns import (
    Invoice,
    Method,
    Recipient,
    RoutineIn,
    Sender,
    Service,
)
from carteiro.erp.dataset import BILLING_ROUTINE
from carteiro.erp.normalise import normalise_words
from carteiro.rules.catalogue import REASON_CODES
from carteiro.rules.engine import Audit
from carteiro.views.labels import method_labels, status_labels
from carteiro.views.settings import send_status_labels

# envio_cobranca as the ERP's screen names it (normalised value → label).
NOTICE_LABELS: Final[dict[str, str]] = {
    "email_sms": "Email e SMS",
    "somente_email": "Somente Email",
    "somente_sms": "Somente SMS",
    "nenhum": "Nenhum",
}
NO = "não"


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string")


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.strftime("%d/%m/%Y").astype("string")


def _unique(lines: pd.Series) -> tuple[str, ...]:
    return tuple(str(line) for line in lines.dropna().drop_duplicates())


def routine_lines(audit: Audit) -> tuple[str, ...]:
    """Condition 1: the billing e-mail routines and their ``ativo``, or that none exists."""
    routines = audit.data.routines
    billing = routines[(routines[RoutineIn.KIND] == BILLING_ROUTINE).fillna(False)]
    if billing.empty:
        return (f"Rotinas: nenhuma rotina do tipo «{BILLING_ROUTINE}» cadastrada",)
    time = _text(billing[RoutineIn.TIME]).fillna("sem horário")
    return _unique("Rotina " + _text(billing[RoutineIn.ID]).fillna("sem id") + " ("
                   + BILLING_ROUTINE + ", " + time + "): ativo = " + NO)


def sender_lines(audit: Audit, inv: pd.DataFrame) -> tuple[str, ...]:
    """Condition 2: per failing invoice, its billing method's sender and why it fails."""
    senders = audit.senders.set_index(audit.senders[Sender.ID].astype("Int64"))
    sender_id = inv[Invoice.SENDER_ID].astype("Int64")
    method = inv[Invoice.METHOD_ID].astype("Int64").map(method_labels(audit)).astype("string")
    owner = "Forma de cobrança " + method.fillna("(nenhuma)")
    known = sender_id.isin(senders.index).to_numpy(dtype=bool)
    found = senders.reindex(sender_id).reset_index(drop=True)
    name = ("Remetente " + _text(sender_id) + " — "
            + _text(found[Sender.DESCRIPTION]).fillna("(sem descrição)"))
    active = found[Sender.ACTIVE].fillna(False).to_numpy(dtype=bool)
    since = _dates(found[Sender.FAILING_SINCE]).fillna("—")
    lines = np.select(
        [sender_id.isna().to_numpy(dtype=bool), ~known, ~active],
        [owner + ": nenhum remetente (não há remetente ativo para ser o padrão)",
         owner + ": remetente " + _text(sender_id) + " não existe",
         name + ": ativo = " + NO],
        name + ": o último teste de envio que conta falhou em " + since,
    )
    return _unique(pd.Series(lines, dtype="string"))


def method_lines(audit: Audit, inv: pd.DataFrame) -> tuple[str, ...]:
    """Condition 3: the billing method without an active e-mail rule (or the invoice that
    has none, or an unknown one)."""
    method_id = inv[Invoice.METHOD_ID].astype("Int64")
    labels = method_id.map(method_labels(audit)).astype("string")
    invoice = "Fatura " + _text(inv[Invoice.ID])
    lines = np.select(
        [method_id.isna().to_numpy(dtype=bool), labels.isna().to_numpy(dtype=bool)],
        [invoice + ": sem forma de cobrança",
         invoice + ": forma de cobrança " + _text(method_id) + " não existe"],
        "Forma de cobrança " + labels.fillna("") + " (id " + _text(method_id)
        + "): nenhuma regra de e-mail ativa",
    )
    return _unique(pd.Series(lines, dtype="string"))


def outside_rules_lines(audit: Audit, inv: pd.DataFrame) -> tuple[str, ...]:
    """Condition 4: the invoice paid before the first send date of its method's rules."""
    methods = audit.billing_methods.set_index(audit.billing_methods[Method.ID].astype("Int64"))
    offset = inv[Invoice.METHOD_ID].astype("Int64").map(methods[Method.FIRST_OFFSET]).astype(
        "Int64").fillna(0).to_numpy(dtype=int)
    due = pd.to_datetime(inv[Invoice.DUE_DATE])
    first = due + pd.to_timedelta(offset, unit="D")
    invoice = "Fatura " + _text(inv[Invoice.ID]) + " (vencimento " + _dates(due) + ")"
    paid = _dates(inv[Invoice.PAID_ON])
    lines = np.where(
        paid.isna().to_numpy(dtype=bool),
        invoice + ": paga, sem data de pagamento (conta como paga antes de qualquer envio)",
        invoice + ": paga em " + paid.fillna("") + ", antes do primeiro envio ("
        + _dates(first) + ")",
    )
    return _unique(pd.Series(lines, dtype="string"))


def _services(audit: Audit, inv: pd.DataFrame) -> pd.DataFrame:
    """The services of ``inv`` (one row per invoice, same positions; NaN where none)."""
    services = audit.data.services.drop_duplicates(Service.ID)
    services = services.set_index(services[Service.ID].astype("Int64"))
    return services.reindex(inv[Invoice.SERVICE_ID].astype("Int64")).reset_index(drop=True)


def _service_names(inv: pd.DataFrame, services: pd.DataFrame) -> pd.Series:
    plan = _text(services[Service.PLAN]).fillna("(sem plano)")
    return "Serviço " + _text(inv[Invoice.SERVICE_ID]) + " — " + plan


def missing_service_lines(audit: Audit, inv: pd.DataFrame) -> tuple[str, ...]:
    """Condition 5: the invoice without a service, or naming one that does not exist."""
    invoice = "Fatura " + _text(inv[Invoice.ID])
    service = _text(inv[Invoice.SERVICE_ID])
    lines = np.where(service.isna().to_numpy(dtype=bool), invoice + ": sem serviço",
                     invoice + ": serviço " + service.fillna("") + " não existe")
    return _unique(pd.Series(lines, dtype="string"))


def status_lines(audit: Audit, inv: pd.DataFrame) -> tuple[str, ...]:
    """Condition 6: the service's status, and the «Status do Serviço para Envio» of the
    invoice's billing method it is not among."""
    services = _services(audit, inv)
    prefix = _text(services[Service.STATUS])
    described = prefix.map(status_labels(audit)).astype("string")
    status = np.where(prefix.isna().to_numpy(dtype=bool),
                      "status " + _text(services[Service.STATUS_ID]).fillna("?")
                      + " (inexistente)",
                      "status " + described.fillna(prefix) + " (" + prefix.fillna("") + ")")
    method_id = inv[Invoice.METHOD_ID].astype("Int64")
    method = method_id.map(method_labels(audit)).astype("string").fillna("(nenhuma)")
    allowed = send_status_labels(audit, method_id)
    lines = (_service_names(inv, services) + ": " + pd.Series(status, dtype="string")
             + ", fora dos «Status do Serviço para Envio» da forma de cobrança " + method
             + " (" + allowed + ")")
    return _unique(lines)


def notice_lines(audit: Audit, inv: pd.DataFrame) -> tuple[str, ...]:
    """Condition 7: the service's ``envio_cobranca`` (the rule that limits billing
    Email/SMS)."""
    services = _services(audit, inv)
    raw = _text(services[Service.BILLING_NOTICE])
    value = normalise_words(raw).map(NOTICE_LABELS).astype("string").fillna(raw)
    return _unique(_service_names(inv, services) + ": envio_cobranca = " + value)


def _recipient_names(recipients: pd.DataFrame, customer_id: int) -> pd.Series:
    contact = ("Contato " + _text(recipients[Recipient.NAME]).fillna("(sem nome)") + " (id "
               + _text(recipients[Recipient.ID]).fillna("sem id") + ")")
    own = pd.Series(f"Cadastro do cliente (id {customer_id})", index=recipients.index,
                    dtype="string")
    is_contact = (recipients[Recipient.ORIGIN] == "contato").fillna(False).to_numpy(bool)
    return contact.where(is_contact, own)


def _recipients(audit: Audit, customer_id: int) -> pd.DataFrame:
    recipients = audit.data.recipients
    return recipients[(recipients[Recipient.CUSTOMER_ID].astype("Int64") == customer_id)
                      .fillna(False).to_numpy(dtype=bool)]


def permission_lines(audit: Audit, customer_id: int) -> tuple[str, ...]:
    """Condition 8: every recipient of the customer and its ``permite_enviar_email``."""
    recipients = _recipients(audit, customer_id)
    if recipients.empty:
        return ("O cliente não tem e-mail no cadastro nem contatos: cadastre um contato que "
                "permita e-mail de cobrança",)
    return _unique(_recipient_names(recipients, customer_id) + ": permite_enviar_email = "
                   + NO)


def address_lines(audit: Audit, customer_id: int) -> tuple[str, ...]:
    """Condition 9: the recipients that allow e-mail, and their invalid or empty address."""
    recipients = _recipients(audit, customer_id)
    allowing = recipients[recipients[Recipient.ALLOWS_EMAIL].to_numpy(dtype=bool)]
    email = _text(allowing[Recipient.EMAIL]).str.strip()
    empty = (email.fillna("") == "").to_numpy(dtype=bool)
    names = _recipient_names(allowing, customer_id)
    lines = np.where(empty, names + ": sem e-mail",
                     names + ": e-mail «" + email.fillna("") + "» inválido")
    return _unique(pd.Series(lines, dtype="string"))


def fixes(audit: Audit, customer_id: int, selected: np.ndarray) -> dict[str, tuple[str, ...]]:
    """Per failing condition (by code) of the customer's invoices ``selected`` (a mask over
    ``audit.invoices``), the objects to change and their current values."""
    inv = audit.invoices[selected].reset_index(drop=True)  # every frame below: positions
    out: dict[str, tuple[str, ...]] = {}
    builders = {
        "no_email_routine": lambda failing: routine_lines(audit),
        "sender_unavailable": lambda failing: sender_lines(audit, failing),
        "method_without_rules": lambda failing: method_lines(audit, failing),
        "invoice_outside_rules": lambda failing: outside_rules_lines(audit, failing),
        "service_missing": lambda failing: missing_service_lines(audit, failing),
        "service_status_excluded": lambda failing: status_lines(audit, failing),
        "service_blocks_email": lambda failing: notice_lines(audit, failing),
        "no_contact_allows_email": lambda failing: permission_lines(audit, customer_id),
        "no_valid_email": lambda failing: address_lines(audit, customer_id),
    }
    assert tuple(builders) == REASON_CODES
    for code, build in builders.items():
        failing = inv[inv[code].to_numpy(dtype=bool)].reset_index(drop=True)
        if len(failing):
            out[code] = build(failing)
    return out

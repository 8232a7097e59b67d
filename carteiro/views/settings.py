"""Configuração: the ERP settings the nine conditions read — billing routines, e-mail senders,
billing methods with their rules and «Status do Serviço para Envio», and the methods that carry
invoices but no active rule."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from carteiro.columns import Invoice, Method, RoutineIn, RuleIn, Sender, SendStatus
from carteiro.erp.dataset import BILLING_ROUTINE
from carteiro.rules.catalogue import REASON_CODES
from carteiro.rules.engine import Audit
from carteiro.sender.settings import SECURITY_LABELS
from carteiro.views.coverage import Breakdown, breakdown
from carteiro.views.labels import (
    YES_NO,
    icons,
    invoice_method_labels,
    joined,
    labelled,
    method_labels,
    offset_labels,
    sender_labels,
    status_labels,
    yes_no,
)

METHOD_WITHOUT_RULES: Final = "method_without_rules"
assert METHOD_WITHOUT_RULES in REASON_CODES


class RoutineRow:
    """Columns of :func:`routines_view`."""

    ID: Final = RoutineIn.ID
    KIND: Final = RoutineIn.KIND
    TIME: Final = RoutineIn.TIME
    ACTIVE: Final = RoutineIn.ACTIVE
    SENDS_BILLING: Final = "sends_billing_email"


ROUTINE_HEADERS: Final[dict[str, str]] = {
    RoutineRow.ID: "ID",
    RoutineRow.KIND: "Tipo",
    RoutineRow.TIME: "Horário",
    RoutineRow.ACTIVE: "Ativa",
    RoutineRow.SENDS_BILLING: "Envia e-mail de cobrança",
}


def routines_view(audit: Audit) -> pd.DataFrame:
    routines = audit.data.routines
    billing = (routines[RoutineIn.KIND] == BILLING_ROUTINE).fillna(False)
    return pd.DataFrame({
        RoutineRow.ID: routines[RoutineIn.ID].astype("Int64").to_numpy(),
        RoutineRow.KIND: routines[RoutineIn.KIND].astype("string").to_numpy(),
        RoutineRow.TIME: routines[RoutineIn.TIME].astype("string").to_numpy(),
        RoutineRow.ACTIVE: yes_no(routines[RoutineIn.ACTIVE]).to_numpy(),
        RoutineRow.SENDS_BILLING: yes_no(billing).to_numpy(),
    })


class SenderRow:
    """Columns of :func:`senders_view`."""

    ID: Final = Sender.ID
    DESCRIPTION: Final = Sender.DESCRIPTION
    HOST: Final = Sender.HOST
    PORT: Final = Sender.PORT
    SECURITY: Final = Sender.SECURITY
    USERNAME: Final = Sender.USERNAME
    FROM_ADDRESS: Final = Sender.FROM_ADDRESS
    IS_DEFAULT: Final = Sender.IS_DEFAULT
    ACTIVE: Final = Sender.ACTIVE
    LAST_TEST_FAILED: Final = Sender.LAST_TEST_FAILED
    AVAILABLE: Final = Sender.AVAILABLE
    USED_BY: Final = "used_by"


SENDER_HEADERS: Final[dict[str, str]] = {
    SenderRow.ID: "ID",
    SenderRow.DESCRIPTION: "Descrição",
    SenderRow.HOST: "Servidor",
    SenderRow.PORT: "Porta",
    SenderRow.SECURITY: "Segurança",
    SenderRow.USERNAME: "Usuário",
    SenderRow.FROM_ADDRESS: "E-mail de origem",
    SenderRow.IS_DEFAULT: "Padrão",
    SenderRow.ACTIVE: "Ativo",
    SenderRow.LAST_TEST_FAILED: "Último teste falhou",
    SenderRow.AVAILABLE: "Disponível",
    SenderRow.USED_BY: "Usado por",
}


def _failed_on(senders: pd.DataFrame) -> np.ndarray:
    """«Sim, em 29/11/2026» (the day the latest counting test failed) or «Não»."""
    day = pd.to_datetime(senders[Sender.FAILING_SINCE]).dt.strftime("%d/%m/%Y")
    return np.where(senders[Sender.LAST_TEST_FAILED].to_numpy(dtype=bool),
                    ("Sim, em " + day.fillna("—")).to_numpy(dtype=object), YES_NO[False])


def senders_view(audit: Audit) -> pd.DataFrame:
    senders = audit.senders
    methods = audit.billing_methods
    used = joined(methods[Method.EFFECTIVE_SENDER_ID].astype("Int64"),
                  method_labels(audit).reindex(methods[Method.ID].astype("Int64"))
                  .reset_index(drop=True))
    return pd.DataFrame({
        SenderRow.ID: senders[Sender.ID].astype("Int64").to_numpy(),
        SenderRow.DESCRIPTION: senders[Sender.DESCRIPTION].astype("string").to_numpy(),
        SenderRow.HOST: senders[Sender.HOST].astype("string").to_numpy(),
        SenderRow.PORT: senders[Sender.PORT].astype("Int64").to_numpy(),
        SenderRow.SECURITY: labelled(senders[Sender.SECURITY], SECURITY_LABELS).to_numpy(),
        SenderRow.USERNAME: senders[Sender.USERNAME].astype("string").to_numpy(),
        SenderRow.FROM_ADDRESS: senders[Sender.FROM_ADDRESS].astype("string").to_numpy(),
        SenderRow.IS_DEFAULT: yes_no(senders[Sender.IS_DEFAULT]).to_numpy(),
        SenderRow.ACTIVE: yes_no(senders[Sender.ACTIVE]).to_numpy(),
        SenderRow.LAST_TEST_FAILED: _failed_on(senders),
        SenderRow.AVAILABLE: icons(senders[Sender.AVAILABLE]),
        SenderRow.USED_BY: senders[Sender.ID].astype("Int64").map(used).astype("string")
        .fillna("—").to_numpy(),
    })


class MethodRow:
    """Columns of :func:`methods_view`."""

    ID: Final = Method.ID
    METHOD: Final = "method"
    ACTIVE: Final = Method.ACTIVE
    SENDER: Final = "sender"
    SENDER_AVAILABLE: Final = Method.SENDER_AVAILABLE
    ACTIVE_RULES: Final = Method.ACTIVE_RULES
    RULE_DAYS: Final = "rule_days"
    SEND_STATUSES: Final = "send_statuses"
    INVOICES: Final = "invoices"
    ELIGIBLE: Final = "eligible_invoices"


METHOD_HEADERS: Final[dict[str, str]] = {
    MethodRow.ID: "ID",
    MethodRow.METHOD: "Forma de cobrança",
    MethodRow.ACTIVE: "Ativa",
    MethodRow.SENDER: "Remetente",
    MethodRow.SENDER_AVAILABLE: "Remetente disponível",
    MethodRow.ACTIVE_RULES: "Regras ativas",
    MethodRow.RULE_DAYS: "Dias das regras (em relação ao vencimento)",
    MethodRow.SEND_STATUSES: "Status do Serviço para Envio",
    MethodRow.INVOICES: "Faturas",
    MethodRow.ELIGIBLE: "Com aviso",
}


def send_status_labels(audit: Audit, ids: pd.Series) -> pd.Series:
    """Per billing method, its «Status do Serviço para Envio» (the ERP's default when none)."""
    send = audit.data.send_statuses
    chosen_labels = labelled(send[SendStatus.STATUS], status_labels(audit)).fillna(
        "status " + send[SendStatus.STATUS_ID].astype("string") + " (inexistente)")
    chosen = joined(send[SendStatus.METHOD_ID].astype("Int64"), chosen_labels, ", ")
    return ids.map(chosen).astype("string").fillna("Padrão: todos, exceto cancelado e inativo")


def _rule_days(audit: Audit, ids: pd.Series) -> pd.Series:
    """Per billing method, the days of its active rules (``-3, 0, +3``)."""
    rules = audit.data.email_rules
    active_rules = rules[rules[RuleIn.ACTIVE]].sort_values(RuleIn.DAYS)
    offsets = joined(active_rules[RuleIn.METHOD_ID].astype("Int64"),
                     active_rules[RuleIn.DAYS].astype(int).map(
                         lambda d: f"{d:+d}" if d else "0").astype("string"), ", ",
                     sort=False)
    return ids.map(offsets).astype("string").fillna("—")


def methods_view(audit: Audit) -> pd.DataFrame:
    """Billing methods: sender, rules, «Status do Serviço para Envio» and invoices in scope."""
    methods = audit.billing_methods
    ids = methods[Method.ID].astype("Int64")
    sender_ids = methods[Method.EFFECTIVE_SENDER_ID].astype("Int64")
    counts = audit.invoices.groupby(Invoice.METHOD_ID)[Invoice.ELIGIBLE].agg(["size", "sum"])
    return pd.DataFrame({
        MethodRow.ID: ids.to_numpy(),
        MethodRow.METHOD: method_labels(audit).reindex(ids).to_numpy(),
        MethodRow.ACTIVE: yes_no(methods[Method.ACTIVE]).to_numpy(),
        MethodRow.SENDER: sender_ids.map(sender_labels(audit)).astype("string").fillna(
            "remetente " + sender_ids.astype("string") + " (inexistente)").fillna(
            "(nenhum)").to_numpy(),
        MethodRow.SENDER_AVAILABLE: icons(methods[Method.SENDER_AVAILABLE]),
        MethodRow.ACTIVE_RULES: methods[Method.ACTIVE_RULES].to_numpy(dtype=int),
        MethodRow.RULE_DAYS: _rule_days(audit, ids).to_numpy(),
        MethodRow.SEND_STATUSES: send_status_labels(audit, ids).to_numpy(),
        MethodRow.INVOICES: ids.map(counts["size"]).fillna(0).astype(int).to_numpy(),
        MethodRow.ELIGIBLE: ids.map(counts["sum"]).fillna(0).astype(int).to_numpy(),
    })


class RuleRow:
    """Columns of :func:`rules_view`."""

    METHOD: Final = "method"
    ID: Final = RuleIn.ID
    WHEN: Final = "when"
    SUBJECT: Final = RuleIn.SUBJECT
    ACTIVE: Final = RuleIn.ACTIVE


RULE_HEADERS: Final[dict[str, str]] = {
    RuleRow.METHOD: "Forma de cobrança",
    RuleRow.ID: "Regra",
    RuleRow.WHEN: "Quando",
    RuleRow.SUBJECT: "Assunto",
    RuleRow.ACTIVE: "Ativa",
}


def rules_view(audit: Audit) -> pd.DataFrame:
    rules = audit.data.email_rules.sort_values([RuleIn.METHOD_ID, RuleIn.DAYS])
    return pd.DataFrame({
        RuleRow.METHOD: rules[RuleIn.METHOD_ID].astype("Int64").map(method_labels(audit))
        .astype("string").fillna("(forma inexistente)").to_numpy(),
        RuleRow.ID: rules[RuleIn.ID].astype("Int64").to_numpy(),
        RuleRow.WHEN: offset_labels(rules[RuleIn.DAYS]).to_numpy(),
        RuleRow.SUBJECT: rules[RuleIn.SUBJECT].astype("string").to_numpy(),
        RuleRow.ACTIVE: yes_no(rules[RuleIn.ACTIVE]).to_numpy(),
    })


ORPHAN_COLUMNS: Final[tuple[str, ...]] = (
    Breakdown.LABEL, Breakdown.INVOICES, Breakdown.CUSTOMERS, Breakdown.AMOUNT,
)


def methods_without_rules(audit: Audit) -> pd.DataFrame:
    """Billing methods (also «none» and unknown ids) carrying invoices in scope that fail
    condition 3 (no active e-mail rule): a coverage breakdown by billing method of those
    invoices (columns :data:`ORPHAN_COLUMNS`, headers :data:`METHOD_BREAKDOWN_HEADERS`)."""
    failing = audit.invoices[METHOD_WITHOUT_RULES].to_numpy(dtype=bool)
    frame = breakdown(audit, invoice_method_labels(audit), failing)
    return frame[list(ORPHAN_COLUMNS)]

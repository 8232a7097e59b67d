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
from carteiro.views.coverage import amount_without_notice
from carteiro.views.labels import (
    ICON_FAIL,
    ICON_OK,
    invoice_method_labels,
    joined,
    method_labels,
    offset_labels,
    sender_labels,
    status_labels,
    yes_no,
)

METHOD_WITHOUT_RULES: Final = "method_without_rules"
assert METHOD_WITHOUT_RULES in REASON_CODES


def routines_view(audit: Audit) -> pd.DataFrame:
    routines = audit.data.routines
    billing = routines[RoutineIn.KIND] == BILLING_ROUTINE
    return pd.DataFrame({
        "ID": routines[RoutineIn.ID].astype("Int64").to_numpy(),
        "Tipo": routines[RoutineIn.KIND].astype("string").to_numpy(),
        "Horário": routines[RoutineIn.TIME].astype("string").to_numpy(),
        "Ativa": yes_no(routines[RoutineIn.ACTIVE]).to_numpy(),
        "Envia e-mail de cobrança": np.where(billing.fillna(False).to_numpy(dtype=bool),
                                             "Sim", "Não"),
    })


def senders_view(audit: Audit) -> pd.DataFrame:
    senders = audit.senders
    methods = audit.billing_methods
    used = joined(methods[Method.EFFECTIVE_SENDER_ID].astype("Int64"),
                   method_labels(audit).reindex(methods[Method.ID].astype("Int64")).reset_index(
                       drop=True))
    return pd.DataFrame({
        "ID": senders[Sender.ID].astype("Int64").to_numpy(),
        "Descrição": senders[Sender.DESCRIPTION].astype("string").to_numpy(),
        "Servidor": senders[Sender.HOST].astype("string").to_numpy(),
        "Porta": senders[Sender.PORT].astype("Int64").to_numpy(),
        "Segurança": senders[Sender.SECURITY].astype("string").map(SECURITY_LABELS)
        .astype("string").fillna(senders[Sender.SECURITY].astype("string")).to_numpy(),
        "Usuário": senders[Sender.USERNAME].astype("string").to_numpy(),
        "E-mail de origem": senders[Sender.FROM_ADDRESS].astype("string").to_numpy(),
        "Padrão": yes_no(senders[Sender.IS_DEFAULT]).to_numpy(),
        "Ativo": yes_no(senders[Sender.ACTIVE]).to_numpy(),
        "Último teste falhou": yes_no(senders[Sender.LAST_TEST_FAILED]).to_numpy(),
        "Disponível": np.where(senders[Sender.AVAILABLE].to_numpy(dtype=bool), ICON_OK,
                               ICON_FAIL),
        "Usado por": senders[Sender.ID].astype("Int64").map(used).astype("string")
        .fillna("—").to_numpy(),
    })


def methods_view(audit: Audit) -> pd.DataFrame:
    """Billing methods: sender, rules, «Status do Serviço para Envio» and invoices in scope."""
    methods = audit.billing_methods
    ids = methods[Method.ID].astype("Int64")
    send = audit.data.send_statuses
    chosen_labels = send[SendStatus.STATUS].astype("string").map(status_labels(audit)).astype(
        "string").fillna(send[SendStatus.STATUS].astype("string")).fillna(
        "status " + send[SendStatus.STATUS_ID].astype("string") + " (inexistente)")
    chosen = joined(send[SendStatus.METHOD_ID].astype("Int64"), chosen_labels, ", ")
    statuses = ids.map(chosen).astype("string").fillna(
        "Padrão: todos, exceto cancelado e inativo")
    rules = audit.data.email_rules
    active_rules = rules[rules[RuleIn.ACTIVE]].sort_values(RuleIn.DAYS)
    offsets = joined(active_rules[RuleIn.METHOD_ID].astype("Int64"),
                      active_rules[RuleIn.DAYS].astype(int).map(
                          lambda d: f"{d:+d}" if d else "0").astype("string"), ", ",
                      sort=False)
    inv = audit.invoices
    counts = inv.groupby(Invoice.METHOD_ID)[Invoice.ELIGIBLE].agg(["size", "sum"])
    return pd.DataFrame({
        "ID": ids.to_numpy(),
        "Forma de cobrança": method_labels(audit).reindex(ids).to_numpy(),
        "Ativa": yes_no(methods[Method.ACTIVE]).to_numpy(),
        "Remetente": methods[Method.EFFECTIVE_SENDER_ID].astype("Int64").map(
            sender_labels(audit)).astype("string").fillna(
            "remetente " + methods[Method.EFFECTIVE_SENDER_ID].astype("string")
            + " (inexistente)").fillna("(nenhum)").to_numpy(),
        "Remetente disponível": np.where(methods[Method.SENDER_AVAILABLE].to_numpy(dtype=bool),
                                         ICON_OK, ICON_FAIL),
        "Regras ativas": methods[Method.ACTIVE_RULES].to_numpy(dtype=int),
        "Dias das regras (em relação ao vencimento)": ids.map(offsets).astype("string")
        .fillna("—").to_numpy(),
        "Status do Serviço para Envio": statuses.to_numpy(),
        "Faturas no período": ids.map(counts["size"]).fillna(0).astype(int).to_numpy(),
        "Faturas com aviso": ids.map(counts["sum"]).fillna(0).astype(int).to_numpy(),
    })


def rules_view(audit: Audit) -> pd.DataFrame:
    rules = audit.data.email_rules.sort_values([RuleIn.METHOD_ID, RuleIn.DAYS])
    days = rules[RuleIn.DAYS].astype("Int64")
    return pd.DataFrame({
        "Forma de cobrança": rules[RuleIn.METHOD_ID].astype("Int64").map(method_labels(audit))
        .astype("string").fillna("(forma inexistente)").to_numpy(),
        "Regra": rules[RuleIn.ID].astype("Int64").to_numpy(),
        "Quando": offset_labels(days).to_numpy(),
        "Assunto": rules[RuleIn.SUBJECT].astype("string").to_numpy(),
        "Ativa": yes_no(rules[RuleIn.ACTIVE]).to_numpy(),
    })


def methods_without_rules(audit: Audit) -> pd.DataFrame:
    """Billing methods (also «none» and unknown ids) carrying invoices in scope that fail
    condition 3: no active e-mail rule."""
    inv = audit.invoices
    failing = inv[METHOD_WITHOUT_RULES].to_numpy(dtype=bool)
    frame = pd.DataFrame({
        "Forma de cobrança": invoice_method_labels(audit)[failing].to_numpy(),
        "customer": inv.loc[failing, Invoice.CUSTOMER_ID].to_numpy(),
        "amount": amount_without_notice(inv)[failing],
    })
    grouped = frame.groupby("Forma de cobrança").agg(
        Faturas=("customer", "size"), Clientes=("customer", "nunique"),
        **{"Em aberto sem aviso": ("amount", "sum")}).reset_index()
    return grouped.sort_values("Faturas", ascending=False).reset_index(drop=True)

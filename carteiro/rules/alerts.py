"""Configuration alerts: conditions 1 and 2 are faults that block every invoice they touch, so
they are shown above everything else (a routine missing; a sender missing, inactive or failed
its latest counting test, grouped by sender with the billing methods it serves). Shown only
when they touch at least one invoice in scope.

A failed test blocks only the invoices with a firing send date on or after the day it speaks
from (:mod:`carteiro.rules.sender_tests`): its alert names that day and counts exactly those
invoices (the ones failing condition 2), not every invoice of the sender.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from carteiro import formatting as fmt
from carteiro.columns import Invoice, Method, Sender
from carteiro.rules.catalogue import REASON_BY_CODE
from carteiro.rules.lookup import positions, take


@dataclass(frozen=True)
class Alert:
    """A configuration fault (conditions 1 and 2) that blocks every invoice it touches."""

    code: str
    title: str
    detail: str
    menu_path: str
    invoices: int


def configuration_alerts(inv: pd.DataFrame, methods: pd.DataFrame, senders: pd.DataFrame,
                         routine_active: bool) -> list[Alert]:
    """The alerts of conditions 1 and 2 over the audited invoices ``inv``."""
    alerts: list[Alert] = []
    if not routine_active:
        reason = REASON_BY_CODE["no_email_routine"]
        alerts.append(Alert(
            reason.code,
            "Nenhuma rotina ativa de envio de e-mail de cobrança",
            "Sem a rotina «envio_email_cobranca» ativa, nenhum aviso de cobrança é enviado.",
            reason.menu_path,
            len(inv),
        ))
    reason = REASON_BY_CODE["sender_unavailable"]
    blocked = inv[inv["sender_unavailable"]]
    if blocked.empty:
        return alerts
    where = positions(blocked[Invoice.METHOD_ID], methods[Method.ID])
    names = pd.Series(take(methods[Method.DESCRIPTION], where, None), index=blocked.index)
    unreadable = take(methods[Method.SENDER_UNREADABLE], where, False).astype(bool)
    by_sender = blocked.groupby([blocked[Invoice.SENDER_ID], unreadable], dropna=False,
                                sort=True)
    for (sender_id, sender_unreadable), group in by_sender:
        per_method = names[group.index].fillna("(sem forma de cobrança)")
        used_by = ", ".join(
            f"{name} ({fmt.integer(count)} fatura{'' if count == 1 else 's'})"
            for name, count in per_method.value_counts().items()
        )
        title, since = _sender_title(sender_id, bool(sender_unreadable), senders)
        which = (f"Faturas com envio a partir de {since} (data do teste), por forma de "
                 "cobrança" if since else "Faturas afetadas por forma de cobrança")
        alerts.append(Alert(
            reason.code,
            title,
            f"{which}: {used_by}.",
            reason.menu_path,
            len(group),
        ))
    return alerts


def _sender_title(sender_id: object, unreadable: bool,
                  senders: pd.DataFrame) -> tuple[str, str | None]:
    """The alert's title and, for a failed test, its day (dd/mm/aaaa)."""
    if pd.isna(sender_id):
        if unreadable:
            return "A forma de cobrança indica um remetente de e-mail com id ilegível", None
        return "Não há remetente de e-mail ativo para usar como padrão", None
    where = positions(pd.Series([sender_id], dtype="Int64"), senders[Sender.ID])
    if where[0] < 0:
        return f"O remetente de e-mail {sender_id} não existe", None
    sender = senders.iloc[where[0]]
    name = f"«{sender[Sender.DESCRIPTION]}» (id {sender_id})"
    if not sender[Sender.ACTIVE] or pd.isna(sender[Sender.FAILING_SINCE]):
        return f"O remetente de e-mail {name} está inativo", None
    day = fmt.date(pd.Timestamp(sender[Sender.FAILING_SINCE]).date())
    return f"O remetente de e-mail {name} falhou no teste de envio de {day}", day

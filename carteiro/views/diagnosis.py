"""Diagnóstico: one customer — the nine conditions, its invoices in scope, the send dates its
rules give them, its recipients and the latest rows of the ERP's e-mail log.

Choice the issue leaves open: **the diagnosis** of a customer judges each condition over its
invoices in scope: it fails when it fails on any invoice. Conditions 6 and 7 are "not
evaluated" on invoices whose service is missing (condition 5); when that is every invoice, the
condition shows «não avaliada».
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from carteiro import formatting as fmt
from carteiro.columns import CustomerAudit, CustomerIn, EmailLogIn, Invoice, Recipient, SendDate
from carteiro.erp.dataset import CANCELLED, OPEN, PAID
from carteiro.erp.normalise import flags
from carteiro.rules.catalogue import REASON_CODES, REASONS
from carteiro.rules.engine import Audit
from carteiro.rules.send_dates import send_dates
from carteiro.views.fixes import fixes as condition_fixes
from carteiro.views.labels import (
    ICON_FAIL,
    ICON_NOT_EVALUATED,
    ICON_OK,
    MASK_LABELS,
    SERVICE_MISSING,
    icons,
    invoice_method_labels,
    invoice_status_labels,
    labelled,
    offset_labels,
    yes_no,
)

NOT_EVALUATED_WHEN_NO_SERVICE: Final = ("service_status_excluded", "service_blocks_email")
assert set(NOT_EVALUATED_WHEN_NO_SERVICE) <= set(REASON_CODES)


class Check:
    NUMBER: Final = "number"
    CODE: Final = "code"
    LABEL: Final = "label"
    STATE: Final = "state"
    ICON: Final = "icon"
    DETAIL: Final = "detail"
    EXPLANATION: Final = "explanation"
    MENU_PATH: Final = "menu_path"


STATE_OK: Final = "ok"
STATE_FAIL: Final = "fail"
STATE_NOT_EVALUATED: Final = "not_evaluated"
STATE_ICONS: Final[dict[str, str]] = {
    STATE_OK: ICON_OK, STATE_FAIL: ICON_FAIL, STATE_NOT_EVALUATED: ICON_NOT_EVALUATED,
}


class InvoiceView:
    ID: Final = Invoice.ID
    DUE_DATE: Final = Invoice.DUE_DATE
    AMOUNT: Final = Invoice.AMOUNT
    STATUS: Final = Invoice.STATUS
    PAID_ON: Final = Invoice.PAID_ON
    METHOD: Final = "method"
    SERVICE_ID: Final = Invoice.SERVICE_ID
    SERVICE_STATUS: Final = "service_status_label"
    ELIGIBLE: Final = "eligible_icon"
    REASONS: Final = "reason_labels"


INVOICE_HEADERS: Final[dict[str, str]] = {
    InvoiceView.ID: "Fatura",
    InvoiceView.DUE_DATE: "Vencimento",
    InvoiceView.AMOUNT: "Valor",
    InvoiceView.STATUS: "Status",
    InvoiceView.PAID_ON: "Pagamento",
    InvoiceView.METHOD: "Forma de cobrança",
    InvoiceView.SERVICE_ID: "Serviço",
    InvoiceView.SERVICE_STATUS: "Status do serviço",
    InvoiceView.ELIGIBLE: "Recebe aviso",
    InvoiceView.REASONS: "Motivos",
}


class SendView:
    INVOICE_ID: Final = SendDate.INVOICE_ID
    SEND_DATE: Final = SendDate.SEND_DATE
    WHEN: Final = "when"
    SUBJECT: Final = SendDate.SUBJECT
    OPEN: Final = "open_that_day"
    SENT: Final = "expected"


SEND_HEADERS: Final[dict[str, str]] = {
    SendView.INVOICE_ID: "Fatura",
    SendView.SEND_DATE: "Data de envio",
    SendView.WHEN: "Regra",
    SendView.SUBJECT: "Assunto",
    SendView.OPEN: "Fatura em aberto no dia",
    SendView.SENT: "Aviso esperado",
}


class RecipientView:
    ORIGIN: Final = Recipient.ORIGIN
    NAME: Final = Recipient.NAME
    EMAIL: Final = Recipient.EMAIL
    ALLOWS: Final = Recipient.ALLOWS_EMAIL
    VALID: Final = Recipient.VALID_EMAIL
    RECEIVES: Final = "receives"


RECIPIENT_HEADERS: Final[dict[str, str]] = {
    RecipientView.ORIGIN: "Origem",
    RecipientView.NAME: "Nome",
    RecipientView.EMAIL: "E-mail",
    RecipientView.ALLOWS: "Permite e-mail de cobrança",
    RecipientView.VALID: "Endereço válido",
    RecipientView.RECEIVES: "Recebe",
}
INVOICE_STATUS_LABELS: Final[dict[str, str]] = {
    OPEN: "Em aberto",
    PAID: "Paga",
    CANCELLED: "Cancelada",
}
ORIGIN_LABELS: Final[dict[str, str]] = {
    "cadastro_cliente": "Cadastro do cliente",
    "contato": "Contato",
}


@dataclass(frozen=True)
class CustomerDiagnosis:
    """One customer as the Diagnóstico page shows it: who it is, its coverage, the nine
    checks, its invoices in scope, their send dates and its recipients."""

    customer_id: int
    name: str | None
    document: str | None
    city: str | None
    active: bool | None
    known: bool  # the customer exists in the customer table
    in_scope: bool
    coverage: str | None  # covered | partial | not_covered
    amount_without_notice: float
    checklist: pd.DataFrame
    invoices: pd.DataFrame
    send_dates: pd.DataFrame
    recipients: pd.DataFrame
    fixes: dict[str, tuple[str, ...]]  # failing condition → objects to change (views.fixes)

    @property
    def failing(self) -> tuple[str, ...]:
        """The codes of the failing conditions, in the contract's order."""
        rows = self.checklist[self.checklist[Check.STATE] == STATE_FAIL]
        return tuple(rows[Check.CODE])


def _invoices_text(count: int) -> str:
    return fmt.plural(count, "fatura")


def _checklist(inv: pd.DataFrame) -> pd.DataFrame:
    n = len(inv)
    no_service = int(inv[SERVICE_MISSING].sum())
    rows = []
    for reason in REASONS:
        failing = int(inv[reason.code].sum())
        evaluated = n - no_service if reason.code in NOT_EVALUATED_WHEN_NO_SERVICE else n
        if failing:
            state = STATE_FAIL
            detail = f"falha em {fmt.integer(failing)} de {_invoices_text(n)}: {reason.label}"
        elif evaluated == 0:
            state = STATE_NOT_EVALUATED
            detail = "não avaliada: a fatura não tem serviço (condição 5)" if n == 1 else (
                "não avaliada: as faturas não têm serviço (condição 5)")
        else:
            state = STATE_OK
            detail = "OK" if evaluated == n else (
                f"OK em {_invoices_text(evaluated)}; não avaliada "
                f"{'na' if n - evaluated == 1 else 'nas'} {_invoices_text(n - evaluated)} "
                "sem serviço")
        rows.append({
            Check.NUMBER: reason.number,
            Check.CODE: reason.code,
            Check.LABEL: reason.check_label,
            Check.STATE: state,
            Check.ICON: STATE_ICONS[state],
            Check.DETAIL: detail,
            Check.EXPLANATION: reason.explanation if state == STATE_FAIL else "",
            Check.MENU_PATH: reason.menu_path if state == STATE_FAIL else "",
        })
    return pd.DataFrame(rows)


def _invoice_rows(audit: Audit, selected: np.ndarray) -> pd.DataFrame:
    inv = audit.invoices[selected]
    masks = inv[Invoice.REASON_MASK].to_numpy(dtype=int)
    return pd.DataFrame({
        InvoiceView.ID: inv[Invoice.ID].astype("Int64").to_numpy(),
        InvoiceView.DUE_DATE: inv[Invoice.DUE_DATE].to_numpy(),
        InvoiceView.AMOUNT: inv[Invoice.AMOUNT].to_numpy(dtype=float, na_value=np.nan),
        InvoiceView.STATUS: labelled(inv[Invoice.STATUS], INVOICE_STATUS_LABELS).to_numpy(),
        InvoiceView.PAID_ON: inv[Invoice.PAID_ON].to_numpy(),
        InvoiceView.METHOD: invoice_method_labels(audit)[selected].to_numpy(),
        InvoiceView.SERVICE_ID: inv[Invoice.SERVICE_ID].astype("Int64").to_numpy(),
        InvoiceView.SERVICE_STATUS: invoice_status_labels(audit)[selected].to_numpy(),
        InvoiceView.ELIGIBLE: icons(inv[Invoice.ELIGIBLE]),
        InvoiceView.REASONS: MASK_LABELS[masks].astype(str) if len(masks) else np.array(
            [], dtype=str),
    })


def _send_rows(audit: Audit, invoice_ids: Sequence[int]) -> pd.DataFrame:
    dates = send_dates(audit, invoice_ids)
    return pd.DataFrame({
        SendView.INVOICE_ID: dates[SendDate.INVOICE_ID].astype("Int64").to_numpy(),
        SendView.SEND_DATE: dates[SendDate.SEND_DATE].to_numpy(),
        SendView.WHEN: offset_labels(dates[SendDate.DAYS]).to_numpy(),
        SendView.SUBJECT: dates[SendDate.SUBJECT].astype("string").to_numpy(),
        SendView.OPEN: yes_no(dates[SendDate.FIRES]).to_numpy(),
        SendView.SENT: yes_no(dates[SendDate.FIRES] & dates[Invoice.ELIGIBLE]).to_numpy(),
    })


def _recipient_rows(audit: Audit, customer_id: int) -> pd.DataFrame:
    rec = audit.data.recipients
    rec = rec[rec[Recipient.CUSTOMER_ID].astype("Int64") == customer_id]
    allows = rec[Recipient.ALLOWS_EMAIL].astype(bool)
    valid = rec[Recipient.VALID_EMAIL].astype(bool)
    return pd.DataFrame({
        RecipientView.ORIGIN: labelled(rec[Recipient.ORIGIN], ORIGIN_LABELS).to_numpy(),
        RecipientView.NAME: rec[Recipient.NAME].astype("string").to_numpy(),
        RecipientView.EMAIL: rec[Recipient.EMAIL].astype("string").to_numpy(),
        RecipientView.ALLOWS: yes_no(allows).to_numpy(),
        RecipientView.VALID: yes_no(valid).to_numpy(),
        RecipientView.RECEIVES: icons(allows & valid),
    })


def diagnosis(audit: Audit, customer_id: int) -> CustomerDiagnosis:
    """The nine conditions for one customer, its invoices, send dates and recipients."""
    cid = int(customer_id)
    record = audit.data.customers[audit.data.customers[CustomerIn.ID].astype("Int64") == cid]
    audited = audit.customers[audit.customers[CustomerAudit.ID].astype("Int64") == cid]
    selected = (audit.invoices[Invoice.CUSTOMER_ID].astype("Int64") == cid).fillna(
        False).to_numpy(dtype=bool)
    inv = audit.invoices[selected]
    first = record.iloc[0] if len(record) else None

    def field(name: str) -> Any:
        value = first[name] if first is not None else None
        return None if value is None or pd.isna(value) else value

    active = field(CustomerIn.ACTIVE)
    return CustomerDiagnosis(
        customer_id=cid,
        name=field(CustomerIn.NAME),
        document=field(CustomerIn.DOCUMENT),
        city=field(CustomerIn.CITY),
        active=None if active is None else bool(active),
        known=first is not None,
        in_scope=len(inv) > 0,
        coverage=str(audited[CustomerAudit.STATUS].iloc[0]) if len(audited) else None,
        amount_without_notice=float(audited[CustomerAudit.AMOUNT_WITHOUT_NOTICE].iloc[0])
        if len(audited) else 0.0,
        checklist=_checklist(inv) if len(inv) else pd.DataFrame(
            columns=[Check.NUMBER, Check.CODE, Check.LABEL, Check.STATE, Check.ICON,
                     Check.DETAIL, Check.EXPLANATION, Check.MENU_PATH]),
        invoices=_invoice_rows(audit, selected),
        send_dates=_send_rows(audit, inv[Invoice.ID].astype(int).tolist()),
        recipients=_recipient_rows(audit, cid),
        fixes=condition_fixes(audit, cid, selected),
    )


class LogView:
    SENT_AT: Final = EmailLogIn.SENT_AT
    ADDRESS: Final = EmailLogIn.ADDRESS
    DOCUMENT_TYPE: Final = EmailLogIn.DOCUMENT_TYPE
    INVOICE_ID: Final = EmailLogIn.INVOICE_ID
    ACCEPTED: Final = EmailLogIn.ACCEPTED
    ERROR: Final = EmailLogIn.ERROR


LOG_HEADERS: Final[dict[str, str]] = {
    LogView.SENT_AT: "Enviado em",
    LogView.ADDRESS: "Destino",
    LogView.DOCUMENT_TYPE: "Documento",
    LogView.INVOICE_ID: "Fatura",
    LogView.ACCEPTED: "Aceito pelo servidor",
    LogView.ERROR: "Erro",
}


def email_log_view(log: pd.DataFrame, limit: int = 20) -> pd.DataFrame:
    """The customer's latest e-mail log rows, newest first, with readable values (the
    ``accepted`` flag read with the ERP's yes/no spellings, as every other flag)."""
    sent = pd.to_datetime(log[EmailLogIn.SENT_AT], errors="coerce", format="mixed")
    out = pd.DataFrame({
        LogView.SENT_AT: sent.to_numpy(),
        LogView.ADDRESS: log[EmailLogIn.ADDRESS].astype("string").to_numpy(),
        LogView.DOCUMENT_TYPE: log[EmailLogIn.DOCUMENT_TYPE].astype("string").to_numpy(),
        LogView.INVOICE_ID: log[EmailLogIn.INVOICE_ID].astype("Int64").to_numpy(),
        LogView.ACCEPTED: yes_no(flags(log[EmailLogIn.ACCEPTED])).to_numpy(),
        LogView.ERROR: log[EmailLogIn.ERROR].astype("string").to_numpy(),
    })
    out = out.sort_values(LogView.SENT_AT, ascending=False, na_position="last", kind="stable")
    return out.head(limit).reset_index(drop=True)

"""Entregas: what the ERP's routine did with the billing notices (a
:class:`~carteiro.delivery.result.Delivery`) as the dashboard shows it — headline numbers,
expected against sent and failed per day, invoices per delivery status and failures per error
kind with what to do about each (the delivery catalogue's pt-BR words), the addresses that keep
failing, the invoices sent while ineligible, and one customer's invoices: expected send dates
against log rows (for «Diagnóstico»).

Choices the issue leaves open:

* an address *keeps failing* from its second counted failed row without any accepted one
  (:meth:`Delivery.failing_addresses`' default); its customer is the one of its latest failure
  (the count of customers is shown beside it when several share the address), and its ERP path
  is where the last error kind is fixed (the contact for an address that does not exist, the
  sender for a login refused…);
* the error-kind shares are of the failed invoices; the status shares of the invoices in scope;
* the per-day table lists every day with an expected send or a counted log row; a day on or
  after the as-of date is «agendado» (its sends are not known yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from carteiro import formatting as fmt
from carteiro.columns import (
    CustomerIn,
    DeliveryDay,
    DeliveryInvoice,
    ExpectedSend,
    FailingAddress,
    Invoice,
    SendLog,
)
from carteiro.delivery.catalogue import (
    DAY_WITHOUT_SENDS,
    DELIVERY_BY_CODE,
    DELIVERY_LABELS,
    DELIVERY_STATUSES,
    ERROR_KIND_BY_CODE,
    ERROR_KIND_LABELS,
    ERROR_KINDS,
    FAILED,
    MISSING,
    SENT,
    SENT_WHILE_INELIGIBLE,
    Entry,
)
from carteiro.delivery.result import Delivery
from carteiro.rules.alerts import Alert
from carteiro.rules.catalogue import REASON_BY_CODE
from carteiro.views.labels import MASK_LABELS, labelled

DAY_WITHOUT_SENDS_LABEL: Final = "Dia sem envios"
SCHEDULED_DAY_LABEL: Final = "Agendado (ainda não chegou)"


@dataclass(frozen=True)
class Card:
    """One ``st.metric`` of the page: every text already in pt-BR."""

    label: str
    value: str
    help: str


def _share(part: int, whole: int) -> str:
    return fmt.percent(part / whole) if whole else "—"


def summary(delivery: Delivery) -> list[Card]:
    """The headline numbers: due notices, sent, failed, not sent, sent while ineligible and
    days without sends."""
    counts = delivery.status_counts()
    due = delivery.due_notices()
    silent = delivery.days_without_sends()
    return [
        Card("Avisos devidos", fmt.integer(due),
               "Faturas elegíveis com ao menos uma data de envio antes da data de referência."),
        Card("Enviados", _share(int(counts[SENT]), due),
               f"{fmt.integer(int(counts[SENT]))} dos avisos devidos têm um envio aceito pelo "
               "servidor de e-mail no log do ERP."),
        Card("Com falha", fmt.integer(int(counts[FAILED])),
               "Avisos devidos que a rotina tentou enviar sem que nenhuma tentativa fosse "
               "aceita pelo servidor."),
        Card("Não enviados", fmt.integer(int(counts[MISSING])),
               "Avisos devidos sem nenhuma tentativa no log: a rotina não tentou enviar."),
        Card("Enviados sem ser elegíveis", fmt.integer(int(counts[SENT_WHILE_INELIGIBLE])),
               "Faturas que hoje não passam nas nove condições, mas têm um envio aceito."),
        Card("Dias sem envios", fmt.integer(len(silent)),
               "Dias com avisos previstos em que o log não tem nenhuma tentativa."),
    ]


# ---------------------------------------------------------------------------------------------
# Per day


class DayRow:
    DAY: Final = DeliveryDay.DAY
    EXPECTED: Final = DeliveryDay.EXPECTED
    SENT: Final = DeliveryDay.SENT
    FAILED: Final = DeliveryDay.FAILED
    WITHOUT_SENDS: Final = DeliveryDay.WITHOUT_SENDS
    NOTE: Final = "note"


DAY_HEADERS: Final[dict[str, str]] = {
    DayRow.DAY: "Dia",
    DayRow.EXPECTED: "Previstos",
    DayRow.SENT: "Enviados",
    DayRow.FAILED: "Com falha",
    DayRow.WITHOUT_SENDS: "Sem envios",
    DayRow.NOTE: "Observação",
}


def days_table(delivery: Delivery) -> pd.DataFrame:
    """Expected sends, accepted and failed log rows per day, oldest first; a day without
    sends and a day not reached yet say so."""
    days = delivery.days
    silent = days[DeliveryDay.WITHOUT_SENDS].to_numpy(dtype=bool)
    due = days[DeliveryDay.DUE].to_numpy(dtype=bool)
    note = np.where(silent, DAY_WITHOUT_SENDS_LABEL, np.where(due, "", SCHEDULED_DAY_LABEL))
    return pd.DataFrame({
        DayRow.DAY: pd.to_datetime(days[DeliveryDay.DAY]).to_numpy(),
        DayRow.EXPECTED: days[DeliveryDay.EXPECTED].to_numpy(dtype=np.int64),
        DayRow.SENT: days[DeliveryDay.SENT].to_numpy(dtype=np.int64),
        DayRow.FAILED: days[DeliveryDay.FAILED].to_numpy(dtype=np.int64),
        DayRow.WITHOUT_SENDS: silent,
        DayRow.NOTE: note.astype(object),
    })


def silent_days_text(delivery: Delivery) -> str:
    """«17/11/2026 (488 avisos previstos)» for each day without sends, joined; "" if none."""
    return "; ".join(
        f"{fmt.date(pd.Timestamp(day))} "
        f"({fmt.plural(int(n), 'aviso previsto', 'avisos previstos')})"
        for day, n in delivery.days_without_sends().itertuples(index=False))


SEPARATE_DAY_ALERTS: Final = 3


def day_alerts(delivery: Delivery, separate: int = SEPARATE_DAY_ALERTS) -> list[Alert]:
    """The red alerts of the days without sends: one per day (the contract's alert, naming
    the day and its due notices) up to ``separate`` days; beyond that one alert naming every
    day, so a routine stopped for weeks does not push the page below thirty red boxes."""
    alerts = delivery.day_alerts()
    if len(alerts) <= separate:
        return alerts
    total = sum(a.invoices for a in alerts)
    return [Alert(
        DAY_WITHOUT_SENDS.code,
        f"Nenhum envio de cobrança registrado em {fmt.integer(len(alerts))} dias",
        f"{silent_days_text(delivery)}: {fmt.integer(total)} avisos de cobrança previstos e "
        "nenhuma tentativa no log: a rotina não rodou.",
        DAY_WITHOUT_SENDS.where,
        total,
    )]


# ---------------------------------------------------------------------------------------------
# Per delivery status and per error kind


class CatalogueRow:
    NUMBER: Final = "number"
    CODE: Final = "code"
    LABEL: Final = "label"
    INVOICES: Final = "invoices"
    SHARE: Final = "share"
    MEANING: Final = "meaning"
    WHERE: Final = "where"


STATUS_HEADERS: Final[dict[str, str]] = {
    CatalogueRow.NUMBER: "Nº",
    CatalogueRow.LABEL: "Situação da entrega",
    CatalogueRow.INVOICES: "Faturas",
    CatalogueRow.SHARE: "% das faturas",
    CatalogueRow.MEANING: "O que significa",
    CatalogueRow.WHERE: "O que fazer",
}
ERROR_KIND_HEADERS: Final[dict[str, str]] = {
    **STATUS_HEADERS,
    CatalogueRow.LABEL: "Tipo de erro",
    CatalogueRow.INVOICES: "Faturas",
    CatalogueRow.SHARE: "% das falhas",
}


def _catalogue_table(entries: tuple[Entry, ...], counts: pd.Series) -> pd.DataFrame:
    total = int(counts.sum())
    values = counts.to_numpy(dtype=np.int64)
    return pd.DataFrame({
        CatalogueRow.NUMBER: [e.number for e in entries],
        CatalogueRow.CODE: [e.code for e in entries],
        CatalogueRow.LABEL: [e.label for e in entries],
        CatalogueRow.INVOICES: values,
        CatalogueRow.SHARE: values / total if total else np.full(len(values), np.nan),
        CatalogueRow.MEANING: [e.meaning for e in entries],
        CatalogueRow.WHERE: [e.where for e in entries],
    })


def status_table(delivery: Delivery) -> pd.DataFrame:
    """Invoices per delivery status, every status in the contract's order, with what it
    means and what to do."""
    return _catalogue_table(DELIVERY_STATUSES, delivery.status_counts())


def error_kind_table(delivery: Delivery) -> pd.DataFrame:
    """Failed invoices per error kind (of their latest attempt), every kind in the contract's
    order, with what it means and where to fix it."""
    return _catalogue_table(ERROR_KINDS, delivery.error_kind_counts())


# ---------------------------------------------------------------------------------------------
# Addresses that keep failing


class AddressRow:
    ADDRESS: Final = FailingAddress.ADDRESS
    CUSTOMER_ID: Final = "customer_id"
    CUSTOMER: Final = "customer_name"
    CUSTOMERS: Final = FailingAddress.CUSTOMERS
    FAILURES: Final = FailingAddress.FAILURES
    INVOICES: Final = FailingAddress.INVOICES
    FIRST_FAILURE: Final = FailingAddress.FIRST_FAILURE
    LAST_FAILURE: Final = FailingAddress.LAST_FAILURE
    LAST_ERROR_KIND: Final = "last_error_kind_label"
    LAST_ERROR: Final = FailingAddress.LAST_ERROR
    ERP_PATH: Final = "erp_path"


ADDRESS_HEADERS: Final[dict[str, str]] = {
    AddressRow.ADDRESS: "Endereço",
    AddressRow.CUSTOMER_ID: "Cliente",
    AddressRow.CUSTOMER: "Nome do cliente",
    AddressRow.CUSTOMERS: "Clientes com o endereço",
    AddressRow.FAILURES: "Falhas",
    AddressRow.INVOICES: "Faturas",
    AddressRow.FIRST_FAILURE: "Primeira falha",
    AddressRow.LAST_FAILURE: "Última falha",
    AddressRow.LAST_ERROR_KIND: "Último tipo de erro",
    AddressRow.LAST_ERROR: "Última mensagem de erro",
    AddressRow.ERP_PATH: "Onde corrigir no ERP",
}


def customer_names(delivery: Delivery, ids: pd.Series) -> pd.Series:
    """The customer's name for each id (NA when the customer table does not have it)."""
    customers = delivery.audit.data.customers
    known = customers[CustomerIn.ID].astype("Int64")
    names = pd.Series(customers[CustomerIn.NAME].astype("string").to_numpy(),
                      index=known.to_numpy()).loc[lambda s: ~s.index.duplicated()]
    return ids.astype("Int64").map(names).astype("string")


def _last_customer(delivery: Delivery, addresses: pd.Series) -> pd.Series:
    """For each failing address, the customer of its latest counted failed row."""
    log = delivery.log
    failed = log[log[SendLog.COUNTED].to_numpy(dtype=bool)
                 & ~log[SendLog.ACCEPTED].to_numpy(dtype=bool)]
    failed = failed.assign(_address=failed[SendLog.ADDRESS].str.strip().str.lower())
    failed = failed.sort_values([SendLog.SENT_ON, SendLog.ID], kind="stable")
    last = failed.groupby("_address", sort=False)[SendLog.CUSTOMER_ID].last()
    return addresses.map(last).astype("Int64")


def failing_addresses_table(delivery: Delivery) -> pd.DataFrame:
    """The addresses that keep failing, most failures first: the contacts support should
    correct, with the customer, the last error and where to fix it."""
    found = delivery.failing_addresses()
    customer = _last_customer(delivery, found[FailingAddress.ADDRESS])
    kind = found[FailingAddress.LAST_ERROR_KIND].astype("string")
    where = {e.code: e.where for e in ERROR_KINDS}
    return pd.DataFrame({
        AddressRow.ADDRESS: found[FailingAddress.ADDRESS].astype("string").to_numpy(),
        AddressRow.CUSTOMER_ID: customer.to_numpy(),
        AddressRow.CUSTOMER: customer_names(delivery, customer).to_numpy(),
        AddressRow.CUSTOMERS: found[FailingAddress.CUSTOMERS].to_numpy(dtype=np.int64),
        AddressRow.FAILURES: found[FailingAddress.FAILURES].to_numpy(dtype=np.int64),
        AddressRow.INVOICES: found[FailingAddress.INVOICES].to_numpy(dtype=np.int64),
        AddressRow.FIRST_FAILURE: pd.to_datetime(found[FailingAddress.FIRST_FAILURE]).to_numpy(),
        AddressRow.LAST_FAILURE: pd.to_datetime(found[FailingAddress.LAST_FAILURE]).to_numpy(),
        AddressRow.LAST_ERROR_KIND: labelled(kind, ERROR_KIND_LABELS).to_numpy(),
        AddressRow.LAST_ERROR: found[FailingAddress.LAST_ERROR].astype("string").to_numpy(),
        AddressRow.ERP_PATH: kind.map(where).astype("string").to_numpy(),
    })


# ---------------------------------------------------------------------------------------------
# Invoices sent while ineligible


class IneligibleRow:
    INVOICE_ID: Final = DeliveryInvoice.ID
    CUSTOMER_ID: Final = DeliveryInvoice.CUSTOMER_ID
    CUSTOMER: Final = "customer_name"
    DUE_DATE: Final = DeliveryInvoice.DUE_DATE
    PRIMARY_REASON: Final = "primary_reason_label"
    REASONS: Final = "reason_labels"
    ACCEPTED_ROWS: Final = DeliveryInvoice.ACCEPTED_ROWS
    LAST_LOG_DATE: Final = DeliveryInvoice.LAST_LOG_DATE
    ADDRESS: Final = DeliveryInvoice.LAST_LOG_ADDRESS
    WHERE: Final = "menu_path"


INELIGIBLE_HEADERS: Final[dict[str, str]] = {
    IneligibleRow.INVOICE_ID: "Fatura",
    IneligibleRow.CUSTOMER_ID: "Cliente",
    IneligibleRow.CUSTOMER: "Nome do cliente",
    IneligibleRow.DUE_DATE: "Vencimento",
    IneligibleRow.PRIMARY_REASON: "Motivo principal",
    IneligibleRow.REASONS: "Todos os motivos",
    IneligibleRow.ACCEPTED_ROWS: "Envios aceitos",
    IneligibleRow.LAST_LOG_DATE: "Último registro",
    IneligibleRow.ADDRESS: "Destino do último registro",
    IneligibleRow.WHERE: "Onde ver no ERP",
}


def sent_while_ineligible_table(delivery: Delivery) -> pd.DataFrame:
    """The invoices sent although they fail a condition today, with their primary reason
    (the first failing condition in the contract's order) and where to look."""
    mine = (delivery.invoices[DeliveryInvoice.STATUS] == SENT_WHILE_INELIGIBLE).to_numpy(
        dtype=bool)
    rows = delivery.invoices[mine]
    masks = delivery.audit.invoices.loc[mine, Invoice.REASON_MASK].to_numpy(dtype=int)
    primary = rows[DeliveryInvoice.PRIMARY_REASON].astype("string")
    return pd.DataFrame({
        IneligibleRow.INVOICE_ID: rows[DeliveryInvoice.ID].astype("Int64").to_numpy(),
        IneligibleRow.CUSTOMER_ID: rows[DeliveryInvoice.CUSTOMER_ID].astype("Int64").to_numpy(),
        IneligibleRow.CUSTOMER: customer_names(
            delivery, rows[DeliveryInvoice.CUSTOMER_ID]).to_numpy(),
        IneligibleRow.DUE_DATE: pd.to_datetime(rows[DeliveryInvoice.DUE_DATE]).to_numpy(),
        IneligibleRow.PRIMARY_REASON: labelled(
            primary, {r.code: f"{r.number}. {r.label}" for r in REASON_BY_CODE.values()}
        ).to_numpy(),
        IneligibleRow.REASONS: (MASK_LABELS[masks].astype(object) if len(masks)
                                else np.array([], dtype=object)),
        IneligibleRow.ACCEPTED_ROWS: rows[DeliveryInvoice.ACCEPTED_ROWS].to_numpy(
            dtype=np.int64),
        IneligibleRow.LAST_LOG_DATE: pd.to_datetime(
            rows[DeliveryInvoice.LAST_LOG_DATE]).to_numpy(),
        IneligibleRow.ADDRESS: rows[DeliveryInvoice.LAST_LOG_ADDRESS].astype(
            "string").to_numpy(),
        IneligibleRow.WHERE: primary.map(
            {code: r.menu_path for code, r in REASON_BY_CODE.items()}).astype(
            "string").to_numpy(),
    })


# ---------------------------------------------------------------------------------------------
# One customer (Diagnóstico)


class InvoiceDelivery:
    INVOICE_ID: Final = DeliveryInvoice.ID
    STATUS: Final = "delivery_label"
    EXPECTED: Final = "expected_dates"
    LOG_ROWS: Final = DeliveryInvoice.LOG_ROWS
    ERROR_KIND: Final = "error_kind_label"
    ERROR: Final = DeliveryInvoice.LAST_LOG_MESSAGE
    WHAT_TO_DO: Final = "what_to_do"


INVOICE_DELIVERY_HEADERS: Final[dict[str, str]] = {
    InvoiceDelivery.INVOICE_ID: "Fatura",
    InvoiceDelivery.STATUS: "Entrega",
    InvoiceDelivery.EXPECTED: "Envios esperados",
    InvoiceDelivery.LOG_ROWS: "Tentativas",
    InvoiceDelivery.ERROR_KIND: "Tipo de erro",
    InvoiceDelivery.ERROR: "Mensagem de erro",
    InvoiceDelivery.WHAT_TO_DO: "O que fazer",
}


class LogMatch:
    INVOICE_ID: Final = SendLog.INVOICE_ID
    DAY: Final = "day"
    EXPECTED: Final = "expected_label"
    RESULT: Final = "result"
    ERROR_KIND: Final = "error_kind_label"
    ERROR: Final = SendLog.ERROR
    ADDRESS: Final = SendLog.ADDRESS


LOG_MATCH_HEADERS: Final[dict[str, str]] = {
    LogMatch.INVOICE_ID: "Fatura",
    LogMatch.DAY: "Dia",
    LogMatch.EXPECTED: "Envio esperado",
    LogMatch.RESULT: "Registro no log",
    LogMatch.ERROR_KIND: "Tipo de erro",
    LogMatch.ERROR: "Mensagem de erro",
    LogMatch.ADDRESS: "Destino",
}


def _pt_dates(iso: pd.Series) -> pd.Series:
    """``2026-11-05;2026-11-10`` → ``05/11/2026, 10/11/2026`` (empty → «nenhum»)."""
    text = iso.astype("string").fillna("")
    parts = text.str.replace(r"(\d{4})-(\d{2})-(\d{2})", r"\3/\2/\1", regex=True)
    return parts.str.replace(";", ", ", regex=False).replace("", "nenhum")


def customer_invoices(delivery: Delivery, customer_id: int) -> pd.DataFrame:
    """Each invoice of the customer in scope: its delivery status, expected send dates, log
    rows and, when it failed, the error kind and message of its latest attempt."""
    inv = delivery.invoices
    rows = inv[(inv[DeliveryInvoice.CUSTOMER_ID].astype("Int64") == int(customer_id))
               .fillna(False).to_numpy(dtype=bool)]
    status = rows[DeliveryInvoice.STATUS].astype("string")
    kind = rows[DeliveryInvoice.ERROR_KIND].astype("string")
    failed = (status == FAILED).fillna(False).to_numpy(dtype=bool)
    todo = status.map({c: e.where for c, e in DELIVERY_BY_CODE.items()}).astype("string")
    kind_todo = kind.map({c: e.where for c, e in ERROR_KIND_BY_CODE.items()}).astype("string")
    return pd.DataFrame({
        InvoiceDelivery.INVOICE_ID: rows[DeliveryInvoice.ID].astype("Int64").to_numpy(),
        InvoiceDelivery.STATUS: labelled(status, DELIVERY_LABELS).to_numpy(),
        InvoiceDelivery.EXPECTED: _pt_dates(rows[DeliveryInvoice.EXPECTED_SENDS]).to_numpy(),
        InvoiceDelivery.LOG_ROWS: rows[DeliveryInvoice.LOG_ROWS].to_numpy(dtype=np.int64),
        InvoiceDelivery.ERROR_KIND: labelled(kind, ERROR_KIND_LABELS).to_numpy(),
        InvoiceDelivery.ERROR: rows[DeliveryInvoice.LAST_LOG_MESSAGE].astype("string")
        .where(failed).to_numpy(),
        InvoiceDelivery.WHAT_TO_DO: kind_todo.where(failed, todo).to_numpy(),
    })


def _log_result(log: pd.DataFrame) -> np.ndarray:
    accepted = log[SendLog.ACCEPTED].to_numpy(dtype=bool)
    counted = log[SendLog.COUNTED].to_numpy(dtype=bool)
    return np.where(~counted, "Depois da data de referência (ainda não conta)",
                    np.where(accepted, "Aceito pelo servidor", "Falhou"))


def customer_log_match(delivery: Delivery, invoice_ids: pd.Series) -> pd.DataFrame:
    """The expected send dates of ``invoice_ids`` against their log rows, by invoice and day:
    one line per log row (marked when a send was expected that day) and one per expected date
    without any log row («sem registro»)."""
    ids = pd.Series(invoice_ids).dropna().astype(np.int64)
    exp = delivery.expected[delivery.expected[ExpectedSend.INVOICE_ID].isin(ids)]
    log = delivery.log[delivery.log[SendLog.INVOICE_ID].isin(ids)]
    expected = pd.DataFrame({
        LogMatch.INVOICE_ID: exp[ExpectedSend.INVOICE_ID].to_numpy(dtype=np.int64),
        LogMatch.DAY: pd.to_datetime(exp[ExpectedSend.SEND_DATE]).to_numpy(),
        "_due": exp[ExpectedSend.DUE].to_numpy(dtype=bool),
    }).drop_duplicates([LogMatch.INVOICE_ID, LogMatch.DAY])
    rows = pd.DataFrame({
        LogMatch.INVOICE_ID: log[SendLog.INVOICE_ID].to_numpy(dtype=np.int64),
        LogMatch.DAY: pd.to_datetime(log[SendLog.SENT_ON]).to_numpy(),
        LogMatch.RESULT: _log_result(log),
        LogMatch.ERROR_KIND: labelled(log[SendLog.ERROR_KIND].astype("string"),
                                      ERROR_KIND_LABELS).to_numpy(),
        LogMatch.ERROR: log[SendLog.ERROR].astype("string").to_numpy(),
        LogMatch.ADDRESS: log[SendLog.ADDRESS].astype("string").to_numpy(),
        "_id": log[SendLog.ID].to_numpy(dtype=float, na_value=np.nan),
    })
    out = rows.merge(expected, on=[LogMatch.INVOICE_ID, LogMatch.DAY], how="outer",
                     indicator=True)
    due = out["_due"].astype("boolean")
    out[LogMatch.EXPECTED] = np.where(
        out["_merge"] == "left_only", "Não",
        np.where(due.fillna(True).to_numpy(dtype=bool), "Sim", "Sim, agendado"))
    no_row = (out["_merge"] == "right_only").to_numpy()
    silent = out[LogMatch.DAY].isin(delivery.days_without_sends()[DeliveryDay.DAY]).to_numpy()
    missing = np.where(silent, f"Sem registro ({DAY_WITHOUT_SENDS_LABEL.lower()})",
                       "Sem registro")
    out[LogMatch.RESULT] = np.where(
        no_row, np.where(due.fillna(False).to_numpy(dtype=bool), missing, "Ainda não chegou"),
        out[LogMatch.RESULT].astype(object))
    out = out.sort_values([LogMatch.INVOICE_ID, LogMatch.DAY, "_id"], kind="stable")
    return out[list(LOG_MATCH_HEADERS)].reset_index(drop=True)

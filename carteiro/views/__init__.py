"""What the dashboard shows, computed without Streamlit: pure functions over an Audit.

Every page of the dashboard is thin: it reads widgets, calls one of these functions and draws
the frame or figure it gets back. Keeping the logic here means it is unit-tested without a
browser (``tests/test_views.py``) and the AppTest tests only check the wiring.

Choices the issue leaves open, written down here:

* **Coverage by billing method / service status / due date** counts *invoices* (an invoice has
  exactly one billing method, one service and one due date; a customer may have several).
* **Filters on the non-recipients table** (customers not covered or partial): a customer
  matches a billing-method or service-status filter when *any* of its invoices in scope has
  that method or status; it matches the reason filter when it fails *any* of the chosen
  reasons. Several values in one filter are OR-ed, different filters are AND-ed.
* **Search** splits the query in words; every word must match the customer's id, name,
  CPF/CNPJ (as written, or its digits when the word is made of digits and punctuation), city
  or the address of any of its recipients. Case and accents are ignored.
* **The diagnosis** of a customer judges each condition over its invoices in scope: it fails
  when it fails on any invoice. Conditions 6 and 7 are "not evaluated" on invoices whose
  service is missing (condition 5); when that is every invoice, the condition shows
  «não avaliada».
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.io.formats.style import Styler

from carteiro import formatting as fmt
from carteiro.columns import (
    CustomerAudit,
    CustomerIn,
    EmailLogIn,
    Invoice,
    Method,
    Problem,
    Recipient,
    RoutineIn,
    RuleIn,
    SendDate,
    Sender,
    SendStatus,
    ServiceStatus,
)
from carteiro.erp.dataset import BILLING_ROUTINE, CANCELLED, OPEN, PAID
from carteiro.erp.problems import PROBLEM_LABELS, TABLE_LABELS
from carteiro.rules.catalogue import (
    CONDITIONS_IN_WORDS,
    COVERAGE_LABELS,
    COVERAGE_ORDER,
    REASON_CODES,
    REASON_LABELS,
    REASONS,
)
from carteiro.rules.engine import Audit
from carteiro.rules.send_dates import send_dates
from carteiro.sender.settings import SECURITY_LABELS

# How many rows the non-recipients table shows (the export always holds all filtered rows).
TABLE_ROW_LIMIT: Final = 1_000
SEARCH_RESULT_LIMIT: Final = 50

SERVICE_MISSING: Final = "service_missing"
METHOD_WITHOUT_RULES: Final = "method_without_rules"
NOT_EVALUATED_WHEN_NO_SERVICE: Final = ("service_status_excluded", "service_blocks_email")
assert {SERVICE_MISSING, METHOD_WITHOUT_RULES} <= set(REASON_CODES)
assert set(NOT_EVALUATED_WHEN_NO_SERVICE) <= set(REASON_CODES)

NO_METHOD_LABEL: Final = "(sem forma de cobrança)"
NO_SERVICE_LABEL: Final = "(sem serviço)"
UNKNOWN_STATUS_LABEL: Final = "(status desconhecido)"
NO_CITY_LABEL: Final = "(sem cidade)"
LIST_SEPARATOR: Final = " · "
COMBINATION_SEPARATOR: Final = " + "

ICON_OK: Final = "✅"
ICON_FAIL: Final = "❌"
ICON_NOT_EVALUATED: Final = "➖"

# The reason labels of every 9-bit mask (bit i = REASON_CODES[i]), in the contract's order.
_MASK_LABELS: Final = np.array(
    [
        LIST_SEPARATOR.join(
            REASON_LABELS[code] for bit, code in enumerate(REASON_CODES) if mask >> bit & 1
        )
        for mask in range(1 << len(REASON_CODES))
    ],
    dtype=object,
)
_MASK_COMBINATIONS: Final = np.array(
    [label.replace(LIST_SEPARATOR, COMBINATION_SEPARATOR) for label in _MASK_LABELS],
    dtype=object,
)


def reason_bit(code: str) -> int:
    """The bit of ``code`` in the engine's reason mask."""
    return 1 << REASON_CODES.index(code)


def mask_codes(mask: int) -> tuple[str, ...]:
    """The reason codes of a mask, in the contract's order."""
    return tuple(code for bit, code in enumerate(REASON_CODES) if int(mask) >> bit & 1)


def combination_label(mask: int) -> str:
    return str(_MASK_COMBINATIONS[int(mask)])


# ---------------------------------------------------------------------------------------------
# Text helpers


def fold(text: str) -> str:
    """Lower case without accents, for matching what people type."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().strip()


def fold_series(series: pd.Series) -> pd.Series:
    """:func:`fold` over a column (nulls become empty text)."""
    return (
        series.astype("string").fillna("").astype(str)
        .str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii").str.lower()
    )


def digits_only(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna("").astype(str).str.replace(r"\D", "", regex=True)


def offset_label(days: int) -> str:
    """``-5`` → «5 dias antes do vencimento», ``0`` → «no vencimento», ``1`` → «1 dia depois»."""
    if days == 0:
        return "no dia do vencimento"
    unit = "dia" if abs(days) == 1 else "dias"
    side = "antes do" if days < 0 else "depois do"
    return f"{abs(days)} {unit} {side} vencimento"


def offset_labels(days: pd.Series) -> pd.Series:
    """:func:`offset_label` of a column, computed once per distinct value."""
    values = days.astype("Int64")
    names = {int(d): offset_label(int(d)) for d in values.dropna().unique()}
    return values.map(names).astype("string").fillna("—")


def yes_no(series: pd.Series) -> pd.Series:
    return series.map({True: "Sim", False: "Não"}).astype("string").fillna("—")


def customers_phrase(count: int) -> str:
    """«o cliente» / «os 12 clientes» (pt-BR agreement for button labels)."""
    return "o cliente" if count == 1 else f"os {fmt.integer(count)} clientes"


def signed_money(value: float) -> str:
    sign = "+" if value > 0 else "-" if value < 0 else ""
    return f"{sign}R$ {fmt.decimal(abs(value))}"


# ---------------------------------------------------------------------------------------------
# Labels for billing methods and service statuses


def method_labels(audit: Audit) -> pd.Series:
    """Billing-method label by id: its description, with the id when two share one."""
    methods = audit.billing_methods[[Method.ID, Method.DESCRIPTION]].copy()
    text = methods[Method.DESCRIPTION].astype("string").fillna("(sem descrição)")
    repeated = text.duplicated(keep=False)
    text = text.where(~repeated, text + " (id " + methods[Method.ID].astype("string") + ")")
    return pd.Series(text.to_numpy(), index=methods[Method.ID].astype("Int64"), dtype="string")


def invoice_method_labels(audit: Audit) -> pd.Series:
    """The billing-method label of every invoice in scope (missing and unknown ones named)."""
    ids = audit.invoices[Invoice.METHOD_ID].astype("Int64")
    labels = ids.map(method_labels(audit)).astype("string")
    unknown = ids.notna() & labels.isna()
    labels = labels.where(~unknown, "Forma de cobrança " + ids.astype("string") + " (inexistente)")
    return labels.fillna(NO_METHOD_LABEL)


def status_labels(audit: Audit) -> pd.Series:
    """Service-status description by normalised prefix (the first row of each prefix)."""
    statuses = audit.data.service_statuses.dropna(subset=[ServiceStatus.STATUS])
    statuses = statuses.drop_duplicates(ServiceStatus.STATUS)
    text = statuses[ServiceStatus.DESCRIPTION].astype("string").str.strip()
    text = text.where(text.fillna("") != "", statuses[ServiceStatus.STATUS])
    return pd.Series(text.to_numpy(), index=statuses[ServiceStatus.STATUS].to_numpy(),
                     dtype="string")


def invoice_status_labels(audit: Audit) -> pd.Series:
    """The service-status label of every invoice in scope."""
    inv = audit.invoices
    prefix = inv[Invoice.SERVICE_STATUS].astype("string")
    labels = prefix.map(status_labels(audit)).astype("string").fillna(prefix)
    labels = labels.fillna(UNKNOWN_STATUS_LABEL)
    return labels.where(~inv[SERVICE_MISSING].to_numpy(dtype=bool), NO_SERVICE_LABEL)


def sender_labels(audit: Audit) -> pd.Series:
    senders = audit.senders
    text = (senders[Sender.DESCRIPTION].astype("string").fillna("(sem descrição)")
            + " (id " + senders[Sender.ID].astype("string") + ")")
    return pd.Series(text.to_numpy(), index=senders[Sender.ID].astype("Int64"), dtype="string")


# ---------------------------------------------------------------------------------------------
# Cobertura: summary metrics and breakdowns


@dataclass(frozen=True)
class CoverageSummary:
    customers: int
    covered: int
    partial: int
    not_covered: int
    invoices: int
    eligible_invoices: int
    amount_without_notice: float

    @property
    def invoices_without_notice(self) -> int:
        return self.invoices - self.eligible_invoices

    @property
    def covered_share(self) -> float | None:
        return self.covered / self.customers if self.customers else None

    @property
    def eligible_share(self) -> float | None:
        return self.eligible_invoices / self.invoices if self.invoices else None


def coverage_summary(audit: Audit) -> CoverageSummary:
    status = audit.customers[CustomerAudit.STATUS].value_counts()
    return CoverageSummary(
        customers=len(audit.customers),
        covered=int(status.get("covered", 0)),
        partial=int(status.get("partial", 0)),
        not_covered=int(status.get("not_covered", 0)),
        invoices=len(audit.invoices),
        eligible_invoices=int(audit.invoices[Invoice.ELIGIBLE].sum()),
        amount_without_notice=round(
            float(audit.customers[CustomerAudit.AMOUNT_WITHOUT_NOTICE].sum()), 2),
    )


DeltaColor = Literal["normal", "inverse", "off"]


@dataclass(frozen=True)
class MetricView:
    """One ``st.metric``: every text already in pt-BR."""

    key: str
    label: str
    value: str
    delta: str | None
    delta_color: DeltaColor
    help: str


def _share_text(part: int, whole: int) -> str:
    return fmt.percent(part / whole) if whole else "—"


def coverage_metrics(current: CoverageSummary,
                     previous: CoverageSummary | None) -> list[MetricView]:
    """The Cobertura metrics, each with its change against the previous period of the same
    length (no delta when that period has no invoice in scope)."""
    p = previous if previous is not None and previous.invoices > 0 else None
    c = current
    specs: list[tuple[str, str, float, float | None, DeltaColor, str]] = [
        ("customers", "Clientes no período", c.customers, p and p.customers, "off",
         "Clientes com ao menos uma fatura não cancelada com vencimento no período."),
        ("covered", "Cobertos", c.covered, p and p.covered, "normal",
         f"{_share_text(c.covered, c.customers)} dos clientes: todas as faturas do período "
         "recebem aviso por e-mail."),
        ("partial", "Parciais", c.partial, p and p.partial, "inverse",
         f"{_share_text(c.partial, c.customers)} dos clientes: algumas faturas recebem aviso, "
         "outras não."),
        ("not_covered", "Sem cobertura", c.not_covered, p and p.not_covered, "inverse",
         f"{_share_text(c.not_covered, c.customers)} dos clientes: nenhuma fatura do período "
         "recebe aviso."),
        ("invoices", "Faturas no período", c.invoices, p and p.invoices, "off",
         "Faturas não canceladas com vencimento no período."),
        ("eligible_invoices", "Faturas com aviso", c.eligible_invoices,
         p and p.eligible_invoices, "normal",
         f"{_share_text(c.eligible_invoices, c.invoices)} das faturas passam nas "
         f"{CONDITIONS_IN_WORDS}."),
        ("invoices_without_notice", "Faturas sem aviso", c.invoices_without_notice,
         p and p.invoices_without_notice, "inverse",
         f"{_share_text(c.invoices_without_notice, c.invoices)} das faturas falham em ao menos "
         "uma condição."),
        ("amount_without_notice", "Em aberto sem aviso", c.amount_without_notice,
         p and p.amount_without_notice, "inverse",
         "Soma do valor das faturas não pagas que não recebem aviso por e-mail."),
    ]
    out: list[MetricView] = []
    for key, label, value, before, good, help_text in specs:
        money = key == "amount_without_notice"
        delta: str | None = None
        color: DeltaColor = good
        if p is not None and before is not None:
            change = round(value - before, 2)
            delta = signed_money(change) if money else fmt.signed_integer(change)
            color = "off" if change == 0 else good
        text = fmt.money(value) if money else fmt.integer(value)
        out.append(MetricView(key, label, text, delta, color, help_text))
    return out


class Breakdown:
    """Columns of the coverage breakdowns (by billing method, service status, due date)."""

    LABEL: Final = "label"
    INVOICES: Final = "invoices"
    ELIGIBLE: Final = "eligible"
    NOT_ELIGIBLE: Final = "not_eligible"
    SHARE: Final = "share"
    CUSTOMERS: Final = "customers"
    AMOUNT: Final = "amount_without_notice"
    DUE_DATE: Final = "due_date"


BREAKDOWN_LABELS: Final[dict[str, str]] = {
    Breakdown.INVOICES: "Faturas",
    Breakdown.ELIGIBLE: "Com aviso",
    Breakdown.NOT_ELIGIBLE: "Sem aviso",
    Breakdown.SHARE: "Cobertura",
    Breakdown.CUSTOMERS: "Clientes",
    Breakdown.AMOUNT: "Em aberto sem aviso",
    Breakdown.DUE_DATE: "Vencimento",
}


def _amount_without_notice(inv: pd.DataFrame) -> np.ndarray:
    return np.where(~inv[Invoice.ELIGIBLE].to_numpy(dtype=bool)
                    & inv[Invoice.UNPAID].to_numpy(dtype=bool),
                    inv[Invoice.AMOUNT].fillna(0.0).to_numpy(dtype=float), 0.0)


def _breakdown(audit: Audit, labels: pd.Series) -> pd.DataFrame:
    inv = audit.invoices
    frame = pd.DataFrame({
        Breakdown.LABEL: labels.to_numpy(),
        Breakdown.ELIGIBLE: inv[Invoice.ELIGIBLE].to_numpy(dtype=int),
        Breakdown.AMOUNT: _amount_without_notice(inv),
        "_customer": inv[Invoice.CUSTOMER_ID].to_numpy(),
    })
    grouped = frame.groupby(Breakdown.LABEL, sort=False).agg(
        **{Breakdown.INVOICES: (Breakdown.ELIGIBLE, "size"),
           Breakdown.ELIGIBLE: (Breakdown.ELIGIBLE, "sum"),
           Breakdown.CUSTOMERS: ("_customer", "nunique"),
           Breakdown.AMOUNT: (Breakdown.AMOUNT, "sum")}
    ).reset_index()
    grouped[Breakdown.NOT_ELIGIBLE] = grouped[Breakdown.INVOICES] - grouped[Breakdown.ELIGIBLE]
    grouped[Breakdown.SHARE] = grouped[Breakdown.ELIGIBLE] / grouped[Breakdown.INVOICES]
    grouped[Breakdown.AMOUNT] = grouped[Breakdown.AMOUNT].round(2)
    columns = [Breakdown.LABEL, Breakdown.INVOICES, Breakdown.ELIGIBLE, Breakdown.NOT_ELIGIBLE,
               Breakdown.SHARE, Breakdown.CUSTOMERS, Breakdown.AMOUNT]
    return (grouped[columns].sort_values([Breakdown.INVOICES, Breakdown.LABEL],
                                         ascending=[False, True])
            .reset_index(drop=True))


def coverage_by_method(audit: Audit) -> pd.DataFrame:
    """Invoices in scope per billing method: with and without notice, share, open amount."""
    return _breakdown(audit, invoice_method_labels(audit))


def coverage_by_service_status(audit: Audit) -> pd.DataFrame:
    """Invoices in scope per service status (by its ERP description)."""
    return _breakdown(audit, invoice_status_labels(audit))


def coverage_by_due_date(audit: Audit) -> pd.DataFrame:
    """Invoices with and without notice per due date, every day of the period present."""
    inv = audit.invoices
    days = pd.date_range(audit.period.start, audit.period.end, freq="D")
    eligible = inv[Invoice.ELIGIBLE].to_numpy(dtype=bool)
    due = pd.to_datetime(inv[Invoice.DUE_DATE]).dt.normalize()
    with_notice = due[eligible].value_counts().reindex(days, fill_value=0)
    without = due[~eligible].value_counts().reindex(days, fill_value=0)
    total = with_notice + without
    share = (with_notice / total.where(total > 0)).astype(float)
    return pd.DataFrame({
        Breakdown.DUE_DATE: days,
        Breakdown.ELIGIBLE: with_notice.to_numpy(dtype=int),
        Breakdown.NOT_ELIGIBLE: without.to_numpy(dtype=int),
        Breakdown.INVOICES: total.to_numpy(dtype=int),
        Breakdown.SHARE: share.to_numpy(),
    })


# ---------------------------------------------------------------------------------------------
# Motivos: funnel, reasons, combinations


class Funnel:
    STEP: Final = "step"
    CODE: Final = "code"
    LABEL: Final = "label"
    REMAINING: Final = "remaining"
    REMOVED: Final = "removed"


def funnel(audit: Audit) -> pd.DataFrame:
    """From invoices in scope to eligible: after each condition, in the contract's order, the
    invoices left once those failing it are removed (the last row is the eligible ones)."""
    inv = audit.invoices
    failing = np.column_stack([inv[c].to_numpy(dtype=bool) for c in REASON_CODES]) if len(
        inv) else np.zeros((0, len(REASON_CODES)), dtype=bool)
    failed_so_far = np.logical_or.accumulate(failing, axis=1) if len(inv) else failing
    remaining = [len(inv)] + [int((~failed_so_far[:, i]).sum()) for i in range(len(REASON_CODES))]
    labels = ["Faturas no período"] + [f"{r.number}. {r.label}" for r in REASONS]
    return pd.DataFrame({
        Funnel.STEP: range(len(remaining)),
        Funnel.CODE: [""] + list(REASON_CODES),
        Funnel.LABEL: labels,
        Funnel.REMAINING: remaining,
        Funnel.REMOVED: [0] + [remaining[i] - remaining[i + 1] for i in range(len(REASONS))],
    })


class ReasonRow:
    NUMBER: Final = "number"
    CODE: Final = "code"
    LABEL: Final = "label"
    CUSTOMERS: Final = "customers"
    INVOICES: Final = "invoices"
    EXPLANATION: Final = "explanation"
    MENU_PATH: Final = "menu_path"


REASON_TABLE_LABELS: Final[dict[str, str]] = {
    ReasonRow.NUMBER: "Nº",
    ReasonRow.LABEL: "Motivo",
    ReasonRow.CUSTOMERS: "Clientes",
    ReasonRow.INVOICES: "Faturas",
    ReasonRow.EXPLANATION: "O que significa",
    ReasonRow.MENU_PATH: "Onde corrigir no ERP",
}


def reason_table(audit: Audit) -> pd.DataFrame:
    """Every condition in the contract's order with the customers and invoices failing it."""
    counts = audit.reason_counts().set_index("code")
    return pd.DataFrame({
        ReasonRow.NUMBER: [r.number for r in REASONS],
        ReasonRow.CODE: list(REASON_CODES),
        ReasonRow.LABEL: [r.label for r in REASONS],
        ReasonRow.CUSTOMERS: counts.loc[list(REASON_CODES), "customers"].to_numpy(dtype=int),
        ReasonRow.INVOICES: counts.loc[list(REASON_CODES), "invoices"].to_numpy(dtype=int),
        ReasonRow.EXPLANATION: [r.explanation for r in REASONS],
        ReasonRow.MENU_PATH: [r.menu_path for r in REASONS],
    })


class Combination:
    MASK: Final = "mask"
    LABEL: Final = "label"
    SIZE: Final = "reasons"
    CUSTOMERS: Final = "customers"
    SHARE: Final = "share"
    AMOUNT: Final = "amount_without_notice"


COMBINATION_LABELS: Final[dict[str, str]] = {
    Combination.LABEL: "Combinação de motivos",
    Combination.SIZE: "Motivos",
    Combination.CUSTOMERS: "Clientes",
    Combination.SHARE: "Dos clientes afetados",
    Combination.AMOUNT: "Em aberto sem aviso",
}


def combinations(audit: Audit, limit: int | None = 15) -> pd.DataFrame:
    """The most frequent exact sets of reasons among customers failing anything (their union
    of reasons over their invoices), most frequent first."""
    customers = audit.customers
    failing = customers[customers[CustomerAudit.REASON_MASK] != 0]
    grouped = (failing.groupby(CustomerAudit.REASON_MASK)
               .agg(**{Combination.CUSTOMERS: (CustomerAudit.ID, "size"),
                       Combination.AMOUNT: (CustomerAudit.AMOUNT_WITHOUT_NOTICE, "sum")})
               .reset_index())
    masks = grouped[CustomerAudit.REASON_MASK].to_numpy(dtype=int)
    out = pd.DataFrame({
        Combination.MASK: masks,
        Combination.LABEL: pd.array(_MASK_COMBINATIONS[masks].tolist(), dtype="string"),
        Combination.SIZE: np.array([bin(m).count("1") for m in masks], dtype=int),
        Combination.CUSTOMERS: grouped[Combination.CUSTOMERS].to_numpy(dtype=int),
        Combination.SHARE: grouped[Combination.CUSTOMERS].to_numpy(dtype=float)
        / max(len(failing), 1),
        Combination.AMOUNT: grouped[Combination.AMOUNT].round(2).to_numpy(),
    })
    out = out.sort_values([Combination.CUSTOMERS, Combination.MASK],
                          ascending=[False, True]).reset_index(drop=True)
    return out if limit is None else out.head(limit)


# ---------------------------------------------------------------------------------------------
# Customer index (search) and the non-recipients table


class Cust:
    """Columns of the customer index and of the non-recipients table."""

    ID: Final = CustomerAudit.ID
    NAME: Final = CustomerAudit.NAME
    DOCUMENT: Final = CustomerAudit.DOCUMENT
    CITY: Final = CustomerAudit.CITY
    COVERAGE: Final = "coverage"
    INVOICES: Final = CustomerAudit.INVOICES
    ELIGIBLE: Final = CustomerAudit.ELIGIBLE_INVOICES
    PRIMARY: Final = "primary_reason_label"
    REASONS: Final = "reason_labels"
    METHODS: Final = "methods"
    STATUSES: Final = "service_statuses"
    AMOUNT: Final = CustomerAudit.AMOUNT_WITHOUT_NOTICE
    EMAILS: Final = "emails"
    # not shown
    MASK: Final = CustomerAudit.REASON_MASK
    COVERAGE_CODE: Final = "coverage_code"
    IN_SCOPE: Final = "in_scope"
    SEARCH: Final = "_search"
    DOC_DIGITS: Final = "_document_digits"


SUPPORT_COLUMNS: Final[tuple[str, ...]] = (
    Cust.ID, Cust.NAME, Cust.DOCUMENT, Cust.COVERAGE, Cust.PRIMARY, Cust.REASONS, Cust.AMOUNT,
    Cust.INVOICES, Cust.ELIGIBLE, Cust.METHODS, Cust.STATUSES, Cust.CITY, Cust.EMAILS,
)
SUPPORT_LABELS: Final[dict[str, str]] = {
    Cust.ID: "ID",
    Cust.NAME: "Cliente",
    Cust.DOCUMENT: "CPF/CNPJ",
    Cust.COVERAGE: "Situação",
    Cust.PRIMARY: "Motivo principal",
    Cust.REASONS: "Todos os motivos",
    Cust.AMOUNT: "Em aberto sem aviso (R$)",
    Cust.INVOICES: "Faturas",
    Cust.ELIGIBLE: "Com aviso",
    Cust.METHODS: "Formas de cobrança",
    Cust.STATUSES: "Status do serviço",
    Cust.CITY: "Cidade",
    Cust.EMAILS: "E-mails",
}


def _joined(keys: pd.Series, values: pd.Series, separator: str = LIST_SEPARATOR,
            sort: bool = True) -> pd.Series:
    """Distinct values per key, joined (sorted, or in their given order); keys with no value
    are absent. The join is one Arrow ``binary_join`` over list offsets (a groupby with a
    Python ``str.join`` per group took 27 s for a million customers)."""
    pairs = pd.DataFrame({"k": keys.to_numpy(), "v": values.astype("string").to_numpy()})
    pairs = pairs.dropna().drop_duplicates()
    pairs = pairs.sort_values(["k", "v"] if sort else ["k"], kind="stable")
    if pairs.empty:
        return pairs.groupby("k", sort=False)["v"].agg(separator.join)
    k = pairs["k"].to_numpy()
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    offsets = pa.array(np.r_[starts, len(k)].astype(np.int64), type=pa.int64())
    text = pa.array(pairs["v"].astype(object).to_numpy(), type=pa.large_string())
    joined = pc.binary_join(pa.LargeListArray.from_arrays(offsets, text),
                            pa.scalar(separator, pa.large_string()))
    index = pd.Index(pairs["k"].iloc[starts].to_numpy(), name="k")
    return pd.Series(joined.to_numpy(zero_copy_only=False), index=index, name="v",
                     dtype=object)


def customer_index(audit: Audit) -> pd.DataFrame:
    """Every customer of the ERP (in scope or not) with what search looks at: id, name,
    CPF/CNPJ, city and the addresses of its recipients; plus its coverage in the period."""
    customers = audit.data.customers
    recipients = audit.data.recipients
    ids = customers[CustomerIn.ID].astype("Int64")
    emails = _joined(recipients[Recipient.CUSTOMER_ID].astype("Int64"),
                     recipients[Recipient.EMAIL].astype("string").str.strip(), "; ")
    out = pd.DataFrame({
        Cust.ID: ids.to_numpy(),
        Cust.NAME: customers[CustomerIn.NAME].astype("string").to_numpy(),
        Cust.DOCUMENT: customers[CustomerIn.DOCUMENT].astype("string").to_numpy(),
        Cust.CITY: customers[CustomerIn.CITY].astype("string").to_numpy(),
    })
    out[Cust.ID] = out[Cust.ID].astype("Int64")
    out[Cust.EMAILS] = out[Cust.ID].map(emails).astype("string").fillna("")
    # Customers in scope whose record is missing (an invoice naming an unknown customer).
    audited = audit.customers
    extra = audited[~audited[CustomerAudit.ID].isin(out[Cust.ID])]
    if len(extra):
        out = pd.concat([out, pd.DataFrame({
            Cust.ID: extra[CustomerAudit.ID].astype("Int64").to_numpy(),
            Cust.NAME: pd.array([None] * len(extra), dtype="string"),
            Cust.DOCUMENT: pd.array([None] * len(extra), dtype="string"),
            Cust.CITY: pd.array([None] * len(extra), dtype="string"),
            Cust.EMAILS: "",
        })], ignore_index=True)
    coverage = audited.set_index(CustomerAudit.ID)[CustomerAudit.STATUS].astype("string")
    out[Cust.COVERAGE_CODE] = out[Cust.ID].map(coverage).astype("string")
    out[Cust.IN_SCOPE] = out[Cust.COVERAGE_CODE].notna().to_numpy(dtype=bool)
    out[Cust.SEARCH] = (
        fold_series(out[Cust.ID].astype("string")) + " " + fold_series(out[Cust.NAME]) + " "
        + fold_series(out[Cust.DOCUMENT]) + " " + fold_series(out[Cust.CITY]) + " "
        + fold_series(out[Cust.EMAILS])
    )
    out[Cust.DOC_DIGITS] = digits_only(out[Cust.DOCUMENT])
    return out


_DOCUMENT_LIKE = re.compile(r"^[\d.\-/]+$")


def search_mask(index: pd.DataFrame, query: str) -> np.ndarray:
    """Rows of a customer index (or table with its search columns) matching ``query``."""
    n = len(index)
    words = query.split()
    hit = np.ones(n, dtype=bool)
    if not words or n == 0:
        return hit
    haystack = index[Cust.SEARCH].astype(str)
    for word in words:
        folded = fold(word)
        match = haystack.str.contains(folded, regex=False).to_numpy(dtype=bool)
        digits = re.sub(r"\D", "", word)
        if len(digits) >= 3 and _DOCUMENT_LIKE.match(word):
            match = match | index[Cust.DOC_DIGITS].astype(str).str.contains(
                digits, regex=False).to_numpy(dtype=bool)
        hit = hit & match
    return hit


def search_customers(index: pd.DataFrame, query: str,
                     limit: int = SEARCH_RESULT_LIMIT) -> pd.DataFrame:
    """Customers of the ERP matching ``query``: an exact id first, then in scope, then by name."""
    if not query.strip():
        return index.iloc[0:0]
    found = index[search_mask(index, query)]
    text = query.strip()
    exact = (found[Cust.ID] == int(text)).fillna(False).to_numpy(dtype=bool) if (
        text.isdigit() and len(text) <= 18) else np.zeros(len(found), dtype=bool)
    order = pd.DataFrame({
        "exact": ~exact,
        "scope": ~found[Cust.IN_SCOPE].to_numpy(dtype=bool),
        "name": fold_series(found[Cust.NAME]).to_numpy(),
    }, index=found.index).sort_values(["exact", "scope", "name"], kind="stable")
    return found.loc[order.index].head(limit)


def customer_choice_label(row: Mapping[str, Any]) -> str:
    """«Nome — CPF/CNPJ — id N» for a select box of search results."""
    parts = [str(row.get(Cust.NAME) or "(cliente sem cadastro)")]
    if row.get(Cust.DOCUMENT) and not pd.isna(row.get(Cust.DOCUMENT)):
        parts.append(str(row[Cust.DOCUMENT]))
    parts.append(f"id {row[Cust.ID]}")
    if not row.get(Cust.IN_SCOPE):
        parts.append("sem faturas no período")
    return " — ".join(parts)


@dataclass(frozen=True)
class SupportData:
    """The non-recipients table (customers not covered or partial) and the per-invoice pairs
    its billing-method and service-status filters read."""

    table: pd.DataFrame
    methods: pd.DataFrame  # customer_id, label
    statuses: pd.DataFrame  # customer_id, label


def support_data(audit: Audit, index: pd.DataFrame | None = None) -> SupportData:
    """Build once per audit; :func:`apply_filters` then narrows it on every widget change."""
    index = customer_index(audit) if index is None else index
    customers = audit.customers
    affected = customers[customers[CustomerAudit.STATUS] != "covered"]
    inv = audit.invoices
    in_table = inv[Invoice.CUSTOMER_ID].isin(affected[CustomerAudit.ID]).to_numpy(dtype=bool)
    cust_ids = inv.loc[in_table, Invoice.CUSTOMER_ID].astype("Int64").reset_index(drop=True)
    method_pairs = pd.DataFrame({
        Cust.ID: cust_ids,
        "label": invoice_method_labels(audit)[in_table].reset_index(drop=True),
    }).drop_duplicates()
    status_pairs = pd.DataFrame({
        Cust.ID: cust_ids,
        "label": invoice_status_labels(audit)[in_table].reset_index(drop=True),
    }).drop_duplicates()

    masks = affected[CustomerAudit.REASON_MASK].to_numpy(dtype=int)
    ids = affected[CustomerAudit.ID].astype("Int64")
    primary = affected[CustomerAudit.PRIMARY_REASON].astype("string").map(REASON_LABELS)
    table = pd.DataFrame({
        Cust.ID: ids.to_numpy(),
        Cust.NAME: affected[CustomerAudit.NAME].astype("string").to_numpy(),
        Cust.DOCUMENT: affected[CustomerAudit.DOCUMENT].astype("string").to_numpy(),
        Cust.CITY: affected[CustomerAudit.CITY].astype("string").to_numpy(),
        Cust.COVERAGE: affected[CustomerAudit.STATUS].astype("string").map(COVERAGE_LABELS)
        .astype("string").to_numpy(),
        Cust.INVOICES: affected[CustomerAudit.INVOICES].to_numpy(dtype=int),
        Cust.ELIGIBLE: affected[CustomerAudit.ELIGIBLE_INVOICES].to_numpy(dtype=int),
        Cust.PRIMARY: primary.astype("string").to_numpy(),
        Cust.REASONS: pd.array(_MASK_LABELS[masks].tolist(), dtype="string"),
        Cust.METHODS: ids.map(_joined(method_pairs[Cust.ID], method_pairs["label"]))
        .astype("string").to_numpy(),
        Cust.STATUSES: ids.map(_joined(status_pairs[Cust.ID], status_pairs["label"]))
        .astype("string").to_numpy(),
        Cust.AMOUNT: affected[CustomerAudit.AMOUNT_WITHOUT_NOTICE].to_numpy(dtype=float),
        Cust.MASK: masks,
        Cust.COVERAGE_CODE: affected[CustomerAudit.STATUS].astype("string").to_numpy(),
    })
    table[Cust.ID] = table[Cust.ID].astype("Int64")
    keyed = index.set_index(Cust.ID)
    for column in (Cust.EMAILS, Cust.SEARCH, Cust.DOC_DIGITS):
        table[column] = table[Cust.ID].map(keyed[column]).astype("string").fillna("")
    order = pd.DataFrame({
        "coverage": table[Cust.COVERAGE_CODE].map(
            {code: -i for i, code in enumerate(COVERAGE_ORDER)}).to_numpy(),
        "amount": -table[Cust.AMOUNT].to_numpy(),
        "name": fold_series(table[Cust.NAME]).to_numpy(),
        "id": table[Cust.ID].to_numpy(),
    }).sort_values(["coverage", "amount", "name", "id"], kind="stable")
    table = table.iloc[order.index.to_numpy()].reset_index(drop=True)
    return SupportData(table=table, methods=method_pairs.reset_index(drop=True),
                       statuses=status_pairs.reset_index(drop=True))


@dataclass(frozen=True)
class Filters:
    """What the support analyst chose on the non-recipients page."""

    query: str = ""
    reasons: tuple[str, ...] = ()  # reason codes; any of them
    methods: tuple[str, ...] = ()  # billing-method labels
    statuses: tuple[str, ...] = ()  # service-status labels
    cities: tuple[str, ...] = ()  # NO_CITY_LABEL for customers without one
    coverage: tuple[str, ...] = ()  # coverage codes (partial, not_covered)
    combination: int | None = None  # exact reason mask (from the Motivos page)

    @property
    def active(self) -> bool:
        return bool(self.query.strip() or self.reasons or self.methods or self.statuses
                    or self.cities or self.coverage or self.combination is not None)


@dataclass(frozen=True)
class FilterOptions:
    reasons: tuple[str, ...]
    methods: tuple[str, ...]
    statuses: tuple[str, ...]
    cities: tuple[str, ...]
    coverage: tuple[str, ...]


def _sorted_text(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values), key=lambda v: (v.startswith("("), fold(v), v)))


def city_labels(cities: pd.Series) -> pd.Series:
    """One label per city whatever its spelling: «ALFENAS», «Alfenas » and «alfenas» are the
    same city, shown as its most frequent spelling (customers without one: «(sem cidade)»).
    Worked out once per distinct spelling and mapped back."""
    text = cities.astype("string").str.strip()
    text = text.where(text.fillna("") != "")
    codes, spellings = pd.factorize(text, use_na_sentinel=True)
    if len(spellings) == 0:
        return pd.Series(NO_CITY_LABEL, index=cities.index, dtype="string")
    counts = np.bincount(codes[codes >= 0], minlength=len(spellings))
    keys = fold_series(pd.Series(spellings)).to_numpy()
    ranked = (pd.DataFrame({"key": keys, "text": np.asarray(spellings, dtype=object),
                            "n": counts})
              .sort_values(["key", "n", "text"], ascending=[True, False, True])
              .drop_duplicates("key"))
    canonical = pd.Series(ranked["text"].to_numpy(), index=ranked["key"].to_numpy())
    labels = pd.Series(keys).map(canonical).to_numpy(dtype=object)
    out = np.where(codes >= 0, labels[np.clip(codes, 0, None)], NO_CITY_LABEL)
    return pd.Series(out, index=cities.index, dtype="string")


def filter_options(data: SupportData) -> FilterOptions:
    table = data.table
    present = int(np.bitwise_or.reduce(table[Cust.MASK].to_numpy(dtype=int))) if len(
        table) else 0
    return FilterOptions(
        reasons=tuple(c for c in REASON_CODES if present & reason_bit(c)),
        methods=_sorted_text(data.methods["label"].astype(str).tolist()),
        statuses=_sorted_text(data.statuses["label"].astype(str).tolist()),
        cities=_sorted_text(city_labels(table[Cust.CITY]).unique().tolist()),
        coverage=tuple(c for c in COVERAGE_ORDER
                       if c != "covered" and (table[Cust.COVERAGE_CODE] == c).any()),
    )


def apply_filters(data: SupportData, filters: Filters) -> pd.DataFrame:
    """The rows of the non-recipients table that pass every filter, in the table's order."""
    table = data.table
    keep = np.ones(len(table), dtype=bool)
    if filters.reasons:
        bits = 0
        for code in filters.reasons:
            bits |= reason_bit(code)
        keep &= (table[Cust.MASK].to_numpy(dtype=int) & bits) != 0
    if filters.combination is not None:
        keep &= table[Cust.MASK].to_numpy(dtype=int) == int(filters.combination)
    if filters.coverage:
        keep &= table[Cust.COVERAGE_CODE].isin(list(filters.coverage)).to_numpy(dtype=bool)
    if filters.cities:
        keep &= city_labels(table[Cust.CITY]).isin(list(filters.cities)).to_numpy(dtype=bool)
    for pairs, chosen in ((data.methods, filters.methods), (data.statuses, filters.statuses)):
        if chosen:
            ids = pairs.loc[pairs["label"].isin(list(chosen)), Cust.ID]
            keep &= table[Cust.ID].isin(ids).to_numpy(dtype=bool)
    if filters.query.strip():
        keep &= search_mask(table, filters.query)
    return table[keep]


def export_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The visible columns of the non-recipients table, as exported (headers via
    :data:`SUPPORT_LABELS`)."""
    return rows[list(SUPPORT_COLUMNS)].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Diagnóstico: one customer


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


INVOICE_LABELS: Final[dict[str, str]] = {
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


SEND_LABELS: Final[dict[str, str]] = {
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


RECIPIENT_LABELS: Final[dict[str, str]] = {
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
class Diagnosis:
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

    @property
    def failing(self) -> tuple[str, ...]:
        """The codes of the failing conditions, in the contract's order."""
        rows = self.checklist[self.checklist[Check.STATE] == STATE_FAIL]
        return tuple(rows[Check.CODE])


def _invoices_text(count: int) -> str:
    return f"{fmt.integer(count)} fatura" + ("" if count == 1 else "s")


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
        InvoiceView.STATUS: inv[Invoice.STATUS].astype("string").map(INVOICE_STATUS_LABELS)
        .astype("string").fillna(inv[Invoice.STATUS].astype("string")).to_numpy(),
        InvoiceView.PAID_ON: inv[Invoice.PAID_ON].to_numpy(),
        InvoiceView.METHOD: invoice_method_labels(audit)[selected].to_numpy(),
        InvoiceView.SERVICE_ID: inv[Invoice.SERVICE_ID].astype("Int64").to_numpy(),
        InvoiceView.SERVICE_STATUS: invoice_status_labels(audit)[selected].to_numpy(),
        InvoiceView.ELIGIBLE: np.where(inv[Invoice.ELIGIBLE].to_numpy(dtype=bool), ICON_OK,
                                       ICON_FAIL),
        InvoiceView.REASONS: _MASK_LABELS[masks].astype(str) if len(masks) else np.array(
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
        RecipientView.ORIGIN: rec[Recipient.ORIGIN].astype("string").map(ORIGIN_LABELS)
        .astype("string").fillna(rec[Recipient.ORIGIN].astype("string")).to_numpy(),
        RecipientView.NAME: rec[Recipient.NAME].astype("string").to_numpy(),
        RecipientView.EMAIL: rec[Recipient.EMAIL].astype("string").to_numpy(),
        RecipientView.ALLOWS: yes_no(allows).to_numpy(),
        RecipientView.VALID: yes_no(valid).to_numpy(),
        RecipientView.RECEIVES: np.where((allows & valid).to_numpy(), ICON_OK, ICON_FAIL),
    })


def diagnosis(audit: Audit, customer_id: int) -> Diagnosis:
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
    return Diagnosis(
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
    )


class LogView:
    SENT_AT: Final = EmailLogIn.SENT_AT
    ADDRESS: Final = EmailLogIn.ADDRESS
    DOCUMENT_TYPE: Final = EmailLogIn.DOCUMENT_TYPE
    INVOICE_ID: Final = EmailLogIn.INVOICE_ID
    ACCEPTED: Final = EmailLogIn.ACCEPTED
    ERROR: Final = EmailLogIn.ERROR


LOG_LABELS: Final[dict[str, str]] = {
    LogView.SENT_AT: "Enviado em",
    LogView.ADDRESS: "Destino",
    LogView.DOCUMENT_TYPE: "Documento",
    LogView.INVOICE_ID: "Fatura",
    LogView.ACCEPTED: "Aceito pelo servidor",
    LogView.ERROR: "Erro",
}
_TRUE_WORDS: Final = frozenset({"1", "s", "sim", "t", "true", "yes", "y"})
_FALSE_WORDS: Final = frozenset({"0", "n", "nao", "não", "f", "false", "no"})


def email_log_view(log: pd.DataFrame, limit: int = 20) -> pd.DataFrame:
    """The customer's latest e-mail log rows, newest first, with readable values."""
    sent = pd.to_datetime(log[EmailLogIn.SENT_AT], errors="coerce", format="mixed")
    accepted = log[EmailLogIn.ACCEPTED].astype("string").str.strip().str.lower()
    flag = pd.Series(pd.NA, index=log.index, dtype="boolean")
    flag = flag.mask(accepted.isin(_TRUE_WORDS).fillna(False), True)
    flag = flag.mask(accepted.isin(_FALSE_WORDS).fillna(False), False)
    out = pd.DataFrame({
        LogView.SENT_AT: sent.to_numpy(),
        LogView.ADDRESS: log[EmailLogIn.ADDRESS].astype("string").to_numpy(),
        LogView.DOCUMENT_TYPE: log[EmailLogIn.DOCUMENT_TYPE].astype("string").to_numpy(),
        LogView.INVOICE_ID: log[EmailLogIn.INVOICE_ID].astype("Int64").to_numpy(),
        LogView.ACCEPTED: yes_no(flag).to_numpy(),
        LogView.ERROR: log[EmailLogIn.ERROR].astype("string").to_numpy(),
    })
    out = out.sort_values(LogView.SENT_AT, ascending=False, na_position="last", kind="stable")
    return out.head(limit).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Configuração and Dados


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
    used = _joined(methods[Method.EFFECTIVE_SENDER_ID].astype("Int64"),
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
    chosen = _joined(send[SendStatus.METHOD_ID].astype("Int64"), chosen_labels, ", ")
    statuses = ids.map(chosen).astype("string").fillna(
        "Padrão: todos, exceto cancelado e inativo")
    rules = audit.data.email_rules
    active_rules = rules[rules[RuleIn.ACTIVE]].sort_values(RuleIn.DAYS)
    offsets = _joined(active_rules[RuleIn.METHOD_ID].astype("Int64"),
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
        "amount": _amount_without_notice(inv)[failing],
    })
    grouped = frame.groupby("Forma de cobrança").agg(
        Faturas=("customer", "size"), Clientes=("customer", "nunique"),
        **{"Em aberto sem aviso": ("amount", "sum")}).reset_index()
    return grouped.sort_values("Faturas", ascending=False).reset_index(drop=True)


def problem_summary(audit: Audit) -> pd.DataFrame:
    """Data problems counted per kind and table, most frequent first."""
    problems = audit.problems
    if problems.empty:
        return pd.DataFrame(columns=["Problema", "Tabela", "Ocorrências"])
    grouped = problems.groupby([Problem.KIND, Problem.TABLE]).size().reset_index(name="n")
    return pd.DataFrame({
        "Problema": grouped[Problem.KIND].map(PROBLEM_LABELS).fillna(grouped[Problem.KIND])
        .to_numpy(),
        "Tabela": grouped[Problem.TABLE].map(TABLE_LABELS).fillna(grouped[Problem.TABLE])
        .to_numpy(),
        "Ocorrências": grouped["n"].to_numpy(dtype=int),
    }).sort_values("Ocorrências", ascending=False).reset_index(drop=True)


def problems_view(audit: Audit, kinds: Sequence[str] = ()) -> pd.DataFrame:
    """The data problems, one per row, optionally only of some kinds (by their pt-BR label)."""
    problems = audit.problems
    kind = problems[Problem.KIND].map(PROBLEM_LABELS).fillna(problems[Problem.KIND])
    out = pd.DataFrame({
        "Problema": kind.astype("string").to_numpy(),
        "Tabela": problems[Problem.TABLE].map(TABLE_LABELS).fillna(problems[Problem.TABLE])
        .astype("string").to_numpy(),
        "Id": problems[Problem.ID].astype("string").to_numpy(),
        "Detalhe": problems[Problem.DETAIL].astype("string").to_numpy(),
    })
    if kinds:
        out = out[out["Problema"].isin(list(kinds))]
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Sender test (the widget itself is on the Configuração page)


def smtp_stage_rows(stages: Sequence[Any]) -> pd.DataFrame:
    """One row per SMTP stage of a test result (``carteiro.smtp_test.Stage``)."""
    return pd.DataFrame({
        "Etapa": [stage.label for stage in stages],
        "Resultado": [ICON_OK if stage.ok else ICON_FAIL for stage in stages],
        "Tempo": [f"{fmt.decimal(stage.elapsed_ms, 0)} ms" for stage in stages],
        "Código": [str(stage.code) if stage.code is not None else "" for stage in stages],
        "Resposta do servidor": [stage.text for stage in stages],
    })


def tls_rows(tls: Any) -> pd.DataFrame:
    """The TLS details of a test result (``carteiro.smtp_test.TlsInfo``), as label/value."""
    if tls is None:
        return pd.DataFrame(columns=["Campo", "Valor"])
    not_after = "—"
    if tls.not_after:
        try:
            not_after = fmt.date(dt.datetime.fromisoformat(tls.not_after))
        except ValueError:
            not_after = str(tls.not_after)
    pairs = [
        ("Protocolo", tls.protocol or "—"),
        ("Cifra", tls.cipher or "—"),
        ("Certificado emitido para", tls.subject or "—"),
        ("Emissor", tls.issuer or "—"),
        ("Válido até", not_after),
        ("Nomes no certificado", ", ".join(tls.names) or "—"),
        ("Certificado verificado", "Sim" if tls.verified else "Não"),
    ]
    return pd.DataFrame(pairs, columns=["Campo", "Valor"])


def sender_tests_view(history: pd.DataFrame, audit: Audit,
                      timezone: str = "America/Sao_Paulo") -> pd.DataFrame:
    """Recent sender tests (``StateStore.recent_sender_tests``) with readable values."""
    if history.empty:
        return pd.DataFrame(columns=["Quando", "Remetente", "Servidor", "Destinatário",
                                     "Resultado", "Etapa com falha", "Mensagem"])
    when = pd.to_datetime(history["tested_at"], utc=True).dt.tz_convert(timezone)
    sender = history["sender_id"].astype("Int64")
    return pd.DataFrame({
        "Quando": when.dt.strftime("%d/%m/%Y %H:%M:%S").to_numpy(),
        "Remetente": sender.map(sender_labels(audit)).astype("string").fillna(
            "remetente " + sender.astype("string")).fillna("(digitado à mão)").to_numpy(),
        "Servidor": (history["host"].astype(str) + ":" + history["port"].astype(str)
                     + " (" + history["security"].astype(str) + ")").to_numpy(),
        "Destinatário": history["recipient"].astype("string").to_numpy(),
        "Resultado": np.where(history["success"].to_numpy(dtype=bool), f"{ICON_OK} enviado",
                              f"{ICON_FAIL} falhou"),
        "Etapa com falha": history["failed_stage"].astype("string").fillna("").to_numpy(),
        "Mensagem": history["message"].astype("string").to_numpy(),
    })


# ---------------------------------------------------------------------------------------------
# pt-BR table display


def pt_br_styler(frame: pd.DataFrame, *, money: Sequence[str] = (),
                 integers: Sequence[str] = (), percent: Sequence[str] = (),
                 dates: Sequence[str] = ()) -> Styler:
    """A Styler that shows numbers as ``1.234``, ``R$ 1.234,56``, ``12,5%`` and dates as
    ``31/03/2024`` while the values underneath stay numbers (so columns sort right)."""
    formats: dict[str, Any] = {}
    formats.update(dict.fromkeys(money, fmt.money))
    formats.update(dict.fromkeys(integers, fmt.integer))
    formats.update(dict.fromkeys(percent, fmt.percent))
    formats.update(dict.fromkeys(dates, fmt.date))
    present = {k: v for k, v in formats.items() if k in frame.columns}
    return frame.style.format(present, na_rep="—")

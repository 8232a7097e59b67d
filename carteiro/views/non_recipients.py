"""Não recebem (support): the customers not covered or partial, the customer index that search
reads (also on Diagnóstico), the filters and the frame that is exported.

Choices the issue leaves open:

* **Filters on the non-recipients table** (customers not covered or partial): a customer
  matches a billing-method or service-status filter when *any* of its invoices in scope has
  that method or status; it matches the reason filter when it fails *any* of the chosen
  reasons. Several values in one filter are OR-ed, different filters are AND-ed.
* **Search** splits the query in words; every word must match the customer's id, name,
  CPF/CNPJ (as written, or its digits when the word is made of digits and punctuation), city
  or the address of any of its recipients. Case and accents are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from carteiro.columns import CustomerAudit, CustomerIn, Invoice, Recipient
from carteiro.rules.catalogue import COVERAGE_LABELS, COVERAGE_ORDER, REASON_CODES, REASON_LABELS
from carteiro.rules.engine import Audit
from carteiro.views.labels import (
    MASK_LABELS,
    digits_only,
    fold,
    fold_series,
    invoice_method_labels,
    invoice_status_labels,
    joined,
    labelled,
    reason_bit,
)

SEARCH_RESULT_LIMIT: Final = 50

NO_CITY_LABEL: Final = "(sem cidade)"


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
    FIRST_DUE: Final = "first_due_without_notice"
    EMAILS: Final = "emails"
    # not shown
    MASK: Final = CustomerAudit.REASON_MASK
    COVERAGE_CODE: Final = "coverage_code"
    IN_SCOPE: Final = "in_scope"
    SEARCH: Final = "_search"
    DOC_DIGITS: Final = "_document_digits"


# The table's (and the export's) columns: what support reads first, then the rest.
SUPPORT_KEY_COLUMNS: Final[tuple[str, ...]] = (
    Cust.NAME, Cust.COVERAGE, Cust.PRIMARY, Cust.AMOUNT, Cust.ID,
)
SUPPORT_COLUMNS: Final[tuple[str, ...]] = SUPPORT_KEY_COLUMNS + (
    Cust.FIRST_DUE, Cust.DOCUMENT, Cust.REASONS, Cust.INVOICES, Cust.ELIGIBLE, Cust.METHODS,
    Cust.STATUSES, Cust.CITY, Cust.EMAILS,
)
SUPPORT_HEADERS: Final[dict[str, str]] = {
    Cust.ID: "ID",
    Cust.NAME: "Cliente",
    Cust.DOCUMENT: "CPF/CNPJ",
    Cust.COVERAGE: "Situação",
    Cust.PRIMARY: "Motivo principal",
    Cust.REASONS: "Todos os motivos",
    Cust.AMOUNT: "Em aberto sem aviso (R$)",
    Cust.FIRST_DUE: "1º vencimento sem aviso",
    Cust.INVOICES: "Faturas",
    Cust.ELIGIBLE: "Com aviso",
    Cust.METHODS: "Formas de cobrança",
    Cust.STATUSES: "Status do serviço",
    Cust.CITY: "Cidade",
    Cust.EMAILS: "E-mails",
}


def customer_index(audit: Audit) -> pd.DataFrame:
    """Every customer of the ERP (in scope or not) with what search looks at: id, name,
    CPF/CNPJ, city and the addresses of its recipients; plus its coverage in the period."""
    customers = audit.data.customers
    recipients = audit.data.recipients
    ids = customers[CustomerIn.ID].astype("Int64")
    emails = joined(recipients[Recipient.CUSTOMER_ID].astype("Int64"),
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
        text.isascii() and text.isdigit() and len(text) <= 18) else np.zeros(len(found), dtype=bool)
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


class Pair:
    """Columns of the (customer, label) pairs the billing-method and service-status filters
    read: one per distinct label among a customer's invoices in scope."""

    ID: Final = Cust.ID
    LABEL: Final = "label"


@dataclass(frozen=True)
class SupportData:
    """The non-recipients table (customers not covered or partial) and the per-invoice pairs
    its billing-method and service-status filters read."""

    table: pd.DataFrame
    methods: pd.DataFrame  # Pair columns
    statuses: pd.DataFrame  # Pair columns


def _pairs(customer_ids: pd.Series, labels: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({Pair.ID: customer_ids, Pair.LABEL: labels.reset_index(drop=True)}
                        ).drop_duplicates().reset_index(drop=True)


def _first_due_without_notice(inv: pd.DataFrame) -> pd.Series:
    """Per customer, the earliest due date among its invoices in scope that get no notice."""
    without = inv[~inv[Invoice.ELIGIBLE].to_numpy(dtype=bool)]
    due = pd.to_datetime(without[Invoice.DUE_DATE]).astype("datetime64[ns]")
    return due.groupby(without[Invoice.CUSTOMER_ID].astype("Int64").to_numpy()).min()


def support_data(audit: Audit, index: pd.DataFrame | None = None) -> SupportData:
    """Build once per audit; :func:`apply_filters` then narrows it on every widget change."""
    index = customer_index(audit) if index is None else index
    customers = audit.customers
    affected = customers[customers[CustomerAudit.STATUS] != "covered"]
    inv = audit.invoices
    in_table = inv[Invoice.CUSTOMER_ID].isin(affected[CustomerAudit.ID]).to_numpy(dtype=bool)
    cust_ids = inv.loc[in_table, Invoice.CUSTOMER_ID].astype("Int64").reset_index(drop=True)
    method_pairs = _pairs(cust_ids, invoice_method_labels(audit)[in_table])
    status_pairs = _pairs(cust_ids, invoice_status_labels(audit)[in_table])

    masks = affected[CustomerAudit.REASON_MASK].to_numpy(dtype=int)
    ids = affected[CustomerAudit.ID].astype("Int64")
    primary = affected[CustomerAudit.PRIMARY_REASON].astype("string").map(REASON_LABELS)
    table = pd.DataFrame({
        Cust.ID: ids.to_numpy(),
        Cust.NAME: affected[CustomerAudit.NAME].astype("string").to_numpy(),
        Cust.DOCUMENT: affected[CustomerAudit.DOCUMENT].astype("string").to_numpy(),
        Cust.CITY: affected[CustomerAudit.CITY].astype("string").to_numpy(),
        Cust.COVERAGE: labelled(affected[CustomerAudit.STATUS], COVERAGE_LABELS).to_numpy(),
        Cust.INVOICES: affected[CustomerAudit.INVOICES].to_numpy(dtype=int),
        Cust.ELIGIBLE: affected[CustomerAudit.ELIGIBLE_INVOICES].to_numpy(dtype=int),
        Cust.PRIMARY: primary.astype("string").to_numpy(),
        Cust.REASONS: pd.array(MASK_LABELS[masks].tolist(), dtype="string"),
        Cust.METHODS: ids.map(joined(method_pairs[Pair.ID], method_pairs[Pair.LABEL]))
        .astype("string").to_numpy(),
        Cust.STATUSES: ids.map(joined(status_pairs[Pair.ID], status_pairs[Pair.LABEL]))
        .astype("string").to_numpy(),
        Cust.AMOUNT: affected[CustomerAudit.AMOUNT_WITHOUT_NOTICE].to_numpy(dtype=float),
        Cust.FIRST_DUE: _first_due_without_notice(inv).reindex(ids).to_numpy(),
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
    return SupportData(table=table, methods=method_pairs, statuses=status_pairs)


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
        methods=_sorted_text(data.methods[Pair.LABEL].astype(str).tolist()),
        statuses=_sorted_text(data.statuses[Pair.LABEL].astype(str).tolist()),
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
            ids = pairs.loc[pairs[Pair.LABEL].isin(list(chosen)), Pair.ID]
            keep &= table[Cust.ID].isin(ids).to_numpy(dtype=bool)
    if filters.query.strip():
        keep &= search_mask(table, filters.query)
    return table[keep]


def export_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The visible columns of the non-recipients table, as exported (headers via
    :data:`SUPPORT_HEADERS`)."""
    return rows[list(SUPPORT_COLUMNS)].reset_index(drop=True)

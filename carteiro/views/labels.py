"""Shared words of the dashboard: icons, the labels of reason masks, billing methods, service
statuses and senders as people read them, and small pt-BR text helpers (folding for search,
rule offsets, yes/no, joined lists)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carteiro import formatting as fmt
from carteiro.columns import Invoice, Method, Sender, ServiceStatus
from carteiro.rules.catalogue import REASON_CODES, REASON_LABELS
from carteiro.rules.engine import Audit

SERVICE_MISSING: Final = "service_missing"
assert SERVICE_MISSING in REASON_CODES

NO_METHOD_LABEL: Final = "(sem forma de cobrança)"
NO_SERVICE_LABEL: Final = "(sem serviço)"
UNKNOWN_STATUS_LABEL: Final = "(status desconhecido)"

LIST_SEPARATOR: Final = " · "
COMBINATION_SEPARATOR: Final = " + "

ICON_OK: Final = "✅"
ICON_FAIL: Final = "❌"
ICON_NOT_EVALUATED: Final = "➖"
YES_NO: Final[dict[bool, str]] = {True: "Sim", False: "Não"}

# The reason labels of every 9-bit mask (bit i = REASON_CODES[i]), in the contract's order.
MASK_LABELS: Final = np.array(
    [
        LIST_SEPARATOR.join(
            REASON_LABELS[code] for bit, code in enumerate(REASON_CODES) if mask >> bit & 1
        )
        for mask in range(1 << len(REASON_CODES))
    ],
    dtype=object,
)
MASK_COMBINATIONS: Final = np.array(
    [label.replace(LIST_SEPARATOR, COMBINATION_SEPARATOR) for label in MASK_LABELS],
    dtype=object,
)


def reason_bit(code: str) -> int:
    """The bit of ``code`` in the engine's reason mask."""
    return 1 << REASON_CODES.index(code)


def mask_codes(mask: int) -> tuple[str, ...]:
    """The reason codes of a mask, in the contract's order."""
    return tuple(code for bit, code in enumerate(REASON_CODES) if int(mask) >> bit & 1)


def combination_label(mask: int) -> str:
    return str(MASK_COMBINATIONS[int(mask)])


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
    """«Sim» / «Não» of a flag column («—» where it is unknown)."""
    return series.map(YES_NO).astype("string").fillna("—")


def icons(flags: pd.Series | np.ndarray) -> np.ndarray:
    """✅ / ❌ of a flag column."""
    return np.where(np.asarray(flags, dtype=bool), ICON_OK, ICON_FAIL)


def labelled(values: pd.Series, names: Mapping[Any, str] | pd.Series) -> pd.Series:
    """The name of each value as people read it, or the value itself when it has none (a code
    the dictionary does not know is shown as written; nulls stay NA)."""
    text = values.astype("string")
    return text.map(names).astype("string").fillna(text)


def customers_phrase(count: int) -> str:
    """«o cliente» / «os 12 clientes» (pt-BR agreement for button labels)."""
    return "o cliente" if count == 1 else f"os {fmt.plural(count, 'cliente')}"


def signed_money(value: float) -> str:
    sign = "+" if value > 0 else "-" if value < 0 else ""
    return f"{sign}R$ {fmt.decimal(abs(value))}"


# ---------------------------------------------------------------------------------------------
# Labels for billing methods, service statuses and senders


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
    labels = labelled(inv[Invoice.SERVICE_STATUS], status_labels(audit))
    labels = labels.fillna(UNKNOWN_STATUS_LABEL)
    return labels.where(~inv[SERVICE_MISSING].to_numpy(dtype=bool), NO_SERVICE_LABEL)


def sender_labels(audit: Audit) -> pd.Series:
    senders = audit.senders
    text = (senders[Sender.DESCRIPTION].astype("string").fillna("(sem descrição)")
            + " (id " + senders[Sender.ID].astype("string") + ")")
    return pd.Series(text.to_numpy(), index=senders[Sender.ID].astype("Int64"), dtype="string")


# ---------------------------------------------------------------------------------------------
# Lists


def joined(keys: pd.Series, values: pd.Series, separator: str = LIST_SEPARATOR,
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
    lists = pc.binary_join(pa.LargeListArray.from_arrays(offsets, text),
                           pa.scalar(separator, pa.large_string()))
    index = pd.Index(pairs["k"].iloc[starts].to_numpy(), name="k")
    return pd.Series(lists.to_numpy(zero_copy_only=False), index=index, name="v", dtype=object)

"""Motivos: why invoices get no notice — the funnel of the nine conditions, the customers and
invoices failing each one, and the most frequent exact combinations of reasons."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from carteiro.columns import CustomerAudit
from carteiro.rules.catalogue import REASON_CODES, REASONS
from carteiro.rules.engine import Audit
from carteiro.views.labels import MASK_COMBINATIONS


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


REASON_HEADERS: Final[dict[str, str]] = {
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


COMBINATION_HEADERS: Final[dict[str, str]] = {
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
        Combination.LABEL: pd.array(MASK_COMBINATIONS[masks].tolist(), dtype="string"),
        Combination.SIZE: np.array([bin(m).count("1") for m in masks], dtype=int),
        Combination.CUSTOMERS: grouped[Combination.CUSTOMERS].to_numpy(dtype=int),
        Combination.SHARE: grouped[Combination.CUSTOMERS].to_numpy(dtype=float)
        / max(len(failing), 1),
        Combination.AMOUNT: grouped[Combination.AMOUNT].round(2).to_numpy(),
    })
    out = out.sort_values([Combination.CUSTOMERS, Combination.MASK],
                          ascending=[False, True]).reset_index(drop=True)
    return out if limit is None else out.head(limit)

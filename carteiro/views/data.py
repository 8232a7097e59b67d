"""Dados: the data problems found while reading the ERP, counted per kind and table and listed
one per row, so they can be fixed in the ERP."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from carteiro.columns import Problem
from carteiro.erp.problems import PROBLEM_LABELS, TABLE_LABELS
from carteiro.rules.engine import Audit


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

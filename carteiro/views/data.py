"""Dados: the data problems found while reading the ERP, counted per kind and table and listed
one per row, so they can be fixed in the ERP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pandas as pd

from carteiro.columns import Problem
from carteiro.erp.problems import PROBLEM_LABELS, TABLE_LABELS
from carteiro.rules.engine import Audit
from carteiro.views.labels import labelled


class ProblemRow:
    """Columns of :func:`problem_summary` (kind, table, count) and :func:`problems_view`
    (kind, table, id, detail)."""

    KIND: Final = Problem.KIND
    TABLE: Final = Problem.TABLE
    ID: Final = Problem.ID
    DETAIL: Final = Problem.DETAIL
    COUNT: Final = "count"


PROBLEM_HEADERS: Final[dict[str, str]] = {
    ProblemRow.KIND: "Problema",
    ProblemRow.TABLE: "Tabela",
    ProblemRow.ID: "Id",
    ProblemRow.DETAIL: "Detalhe",
    ProblemRow.COUNT: "Ocorrências",
}


def problem_summary(audit: Audit) -> pd.DataFrame:
    """Data problems counted per kind and table, most frequent first."""
    problems = audit.problems
    if problems.empty:
        return pd.DataFrame(columns=[ProblemRow.KIND, ProblemRow.TABLE, ProblemRow.COUNT])
    grouped = problems.groupby([Problem.KIND, Problem.TABLE]).size().reset_index(name="n")
    return pd.DataFrame({
        ProblemRow.KIND: labelled(grouped[Problem.KIND], PROBLEM_LABELS).to_numpy(),
        ProblemRow.TABLE: labelled(grouped[Problem.TABLE], TABLE_LABELS).to_numpy(),
        ProblemRow.COUNT: grouped["n"].to_numpy(dtype=int),
    }).sort_values(ProblemRow.COUNT, ascending=False).reset_index(drop=True)


def problems_view(audit: Audit, kinds: Sequence[str] = ()) -> pd.DataFrame:
    """The data problems, one per row, optionally only of some kinds (by their pt-BR label)."""
    problems = audit.problems
    out = pd.DataFrame({
        ProblemRow.KIND: labelled(problems[Problem.KIND], PROBLEM_LABELS).to_numpy(),
        ProblemRow.TABLE: labelled(problems[Problem.TABLE], TABLE_LABELS).to_numpy(),
        ProblemRow.ID: problems[Problem.ID].astype("string").to_numpy(),
        ProblemRow.DETAIL: problems[Problem.DETAIL].astype("string").to_numpy(),
    })
    if kinds:
        out = out[out[ProblemRow.KIND].isin(list(kinds))]
    return out.reset_index(drop=True)

"""Data problems: what kind of problem a row of the ERP has, in pt-BR, and the log that
collects them while the tables are normalised. Nothing is dropped silently: every problem is
counted and listed (kind, Carteiro table, id, detail) so a user can fix the ERP data."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

import numpy as np
import pandas as pd

from carteiro.columns import Problem

PROBLEM_COLUMNS: Final = (Problem.KIND, Problem.TABLE, Problem.ID, Problem.DETAIL)


class ProblemKind(StrEnum):
    DUPLICATE_ID = "duplicate_id"
    MISSING_ID = "missing_id"
    UNREADABLE_ID = "unreadable_id"
    UNKNOWN_ID = "unknown_id"
    MISSING_DATE = "missing_date"
    UNREADABLE_DATE = "unreadable_date"
    UNKNOWN_VALUE = "unknown_value"
    NULL_FLAG = "null_flag"
    PAID_WITHOUT_DATE = "paid_without_date"
    FOREIGN_SERVICE = "service_of_other_customer"


PROBLEM_LABELS: Final[dict[str, str]] = {
    ProblemKind.DUPLICATE_ID: "Id duplicado",
    ProblemKind.MISSING_ID: "Id ausente",
    ProblemKind.UNREADABLE_ID: "Id ilegível",
    ProblemKind.UNKNOWN_ID: "Id inexistente",
    ProblemKind.MISSING_DATE: "Data ausente",
    ProblemKind.UNREADABLE_DATE: "Data ilegível",
    ProblemKind.UNKNOWN_VALUE: "Valor desconhecido",
    ProblemKind.NULL_FLAG: "Indicador ativo nulo",
    ProblemKind.PAID_WITHOUT_DATE: "Paga sem data de pagamento",
    ProblemKind.FOREIGN_SERVICE: "Serviço de outro cliente",
}

# Carteiro's table names (the query files) and the ERP screen or table they come from.
TABLE_LABELS: Final[dict[str, str]] = {
    "customers": "Clientes (cliente)",
    "recipients": "Contatos (cliente_contato / cliente)",
    "services": "Serviços (cliente_servico)",
    "service_statuses": "Status do serviço (servico_status)",
    "billing_methods": "Formas de cobrança (forma_cobranca)",
    "email_rules": "Regras de e-mail (forma_cobranca_regra_email)",
    "send_statuses": "Status do Serviço para Envio (forma_cobranca_status_envio)",
    "routines": "Rotinas (rotina)",
    "senders": "Remetentes de e-mail (remetente_email)",
    "invoices": "Faturas (fatura)",
    "send_log": "Envios de e-mail (email_enviado)",
}


class ProblemLog:
    """Collects data problems as small frames (kind, table, id, detail)."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(self, kind: ProblemKind, table: str, ids: Any, detail: Any) -> None:
        ids = pd.Series(ids).reset_index(drop=True)
        if ids.empty:
            return
        details = (
            pd.Series(detail).reset_index(drop=True)
            if isinstance(detail, pd.Series | np.ndarray | list)
            else pd.Series([detail] * len(ids))
        )
        self._parts.append(
            pd.DataFrame(
                {
                    Problem.KIND: str(kind),
                    Problem.TABLE: table,
                    Problem.ID: ids.astype("string").fillna("(nulo)"),
                    Problem.DETAIL: details.astype("string"),
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype="string") for c in PROBLEM_COLUMNS})
        return pd.concat(self._parts, ignore_index=True)

"""The sender test of the Configuração page, as tables: the stages of the SMTP dialogue, the TLS
session and the recent tests of the history (the widget itself is in ``pages/``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from carteiro import formatting as fmt
from carteiro.rules.engine import Audit
from carteiro.views.labels import ICON_FAIL, ICON_OK, sender_labels

if TYPE_CHECKING:  # the SMTP dialogue is imported only when a test runs
    from carteiro.sender.smtp import Stage, TlsInfo


def smtp_stage_rows(stages: Sequence[Stage]) -> pd.DataFrame:
    """One row per SMTP stage of a test result."""
    return pd.DataFrame({
        "Etapa": [stage.label for stage in stages],
        "Resultado": [ICON_OK if stage.ok else ICON_FAIL for stage in stages],
        "Tempo": [f"{fmt.decimal(stage.elapsed_ms, 0)} ms" for stage in stages],
        "Código": [str(stage.code) if stage.code is not None else "" for stage in stages],
        "Resposta do servidor": [stage.text for stage in stages],
    })


def tls_rows(tls: TlsInfo | None) -> pd.DataFrame:
    """The TLS details of a test result, as label/value."""
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

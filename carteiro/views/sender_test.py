"""The sender test of the Configuração page, as tables: the stages of the SMTP dialogue, the TLS
session and the recent tests of the history (the widget itself is in ``pages/``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from carteiro import formatting as fmt
from carteiro.rules.engine import Audit
from carteiro.sender.history import (
    COL_FAILED_STAGE,
    COL_HOST,
    COL_MESSAGE,
    COL_PORT,
    COL_RECIPIENT,
    COL_SECURITY,
    COL_SENDER_ID,
    COL_SUCCESS,
    COL_TESTED_AT,
)
from carteiro.views.labels import ICON_FAIL, ICON_OK, YES_NO, icons, sender_labels

if TYPE_CHECKING:  # the SMTP dialogue is imported only when a test runs
    from carteiro.sender.smtp import Stage, TlsInfo


class StageRow:
    """Columns of :func:`smtp_stage_rows`."""

    STAGE: Final = "stage"
    RESULT: Final = "ok"
    ELAPSED: Final = "elapsed"
    CODE: Final = "code"
    REPLY: Final = "reply"


STAGE_HEADERS: Final[dict[str, str]] = {
    StageRow.STAGE: "Etapa",
    StageRow.RESULT: "Resultado",
    StageRow.ELAPSED: "Tempo",
    StageRow.CODE: "Código",
    StageRow.REPLY: "Resposta do servidor",
}


def smtp_stage_rows(stages: Sequence[Stage]) -> pd.DataFrame:
    """One row per SMTP stage of a test result."""
    return pd.DataFrame({
        StageRow.STAGE: [stage.label for stage in stages],
        StageRow.RESULT: icons([stage.ok for stage in stages]),
        StageRow.ELAPSED: [f"{fmt.decimal(stage.elapsed_ms, 0)} ms" for stage in stages],
        StageRow.CODE: [str(stage.code) if stage.code is not None else "" for stage in stages],
        StageRow.REPLY: [stage.text for stage in stages],
    })


class TlsRow:
    """Columns of :func:`tls_rows`: one row per detail of the TLS session."""

    FIELD: Final = "field"
    VALUE: Final = "value"


TLS_HEADERS: Final[dict[str, str]] = {TlsRow.FIELD: "Campo", TlsRow.VALUE: "Valor"}


def tls_rows(tls: TlsInfo | None) -> pd.DataFrame:
    """The TLS details of a test result, as field/value."""
    if tls is None:
        return pd.DataFrame(columns=[TlsRow.FIELD, TlsRow.VALUE])
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
        ("Certificado verificado", YES_NO[bool(tls.verified)]),
    ]
    return pd.DataFrame(pairs, columns=[TlsRow.FIELD, TlsRow.VALUE])


class SenderTestRow:
    """Columns of :func:`sender_tests_view`."""

    WHEN: Final = COL_TESTED_AT
    SENDER: Final = "sender"
    SERVER: Final = "server"
    RECIPIENT: Final = COL_RECIPIENT
    RESULT: Final = "result"
    FAILED_STAGE: Final = COL_FAILED_STAGE
    MESSAGE: Final = COL_MESSAGE


SENDER_TEST_HEADERS: Final[dict[str, str]] = {
    SenderTestRow.WHEN: "Quando",
    SenderTestRow.SENDER: "Remetente",
    SenderTestRow.SERVER: "Servidor",
    SenderTestRow.RECIPIENT: "Destinatário",
    SenderTestRow.RESULT: "Resultado",
    SenderTestRow.FAILED_STAGE: "Etapa com falha",
    SenderTestRow.MESSAGE: "Mensagem",
}


def sender_tests_view(history: pd.DataFrame, audit: Audit,
                      timezone: str = "America/Sao_Paulo") -> pd.DataFrame:
    """Recent sender tests (``StateStore.recent_sender_tests``) with readable values."""
    if history.empty:
        return pd.DataFrame(columns=list(SENDER_TEST_HEADERS))
    when = pd.to_datetime(history[COL_TESTED_AT], utc=True).dt.tz_convert(timezone)
    sender = history[COL_SENDER_ID].astype("Int64")
    return pd.DataFrame({
        SenderTestRow.WHEN: when.dt.strftime("%d/%m/%Y %H:%M:%S").to_numpy(),
        SenderTestRow.SENDER: sender.map(sender_labels(audit)).astype("string").fillna(
            "remetente " + sender.astype("string")).fillna("(digitado à mão)").to_numpy(),
        SenderTestRow.SERVER: (history[COL_HOST].astype(str) + ":"
                               + history[COL_PORT].astype(str) + " ("
                               + history[COL_SECURITY].astype(str) + ")").to_numpy(),
        SenderTestRow.RECIPIENT: history[COL_RECIPIENT].astype("string").to_numpy(),
        SenderTestRow.RESULT: np.where(history[COL_SUCCESS].to_numpy(dtype=bool),
                                       f"{ICON_OK} enviado", f"{ICON_FAIL} falhou"),
        SenderTestRow.FAILED_STAGE: history[COL_FAILED_STAGE].astype("string").fillna("")
        .to_numpy(),
        SenderTestRow.MESSAGE: history[COL_MESSAGE].astype("string").to_numpy(),
    })

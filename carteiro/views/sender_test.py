"""The sender test of the Configuração page, as tables and sentences: the stages of the SMTP
dialogue, the TLS session, the recent tests of the history with whether each counts for
condition 2 and why, and what a failed test changes in the audit (the widget itself is in
``pages/``; the CLI prints the same words)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from carteiro import formatting as fmt
from carteiro.columns import Invoice
from carteiro.localtime import provider_timezone
from carteiro.rules.configuration import sender_active
from carteiro.rules.engine import Audit
from carteiro.rules.sender_tests import blocked_if_failing
from carteiro.sender.history import (
    COL_COUNTS,
    COL_DECIDES,
    COL_FAILED_STAGE,
    COL_FAILURE_KIND,
    COL_HOST,
    COL_MESSAGE,
    COL_PORT,
    COL_REACH_CONFIRMED,
    COL_RECIPIENT,
    COL_SECURITY,
    COL_SENDER_ID,
    COL_SPEAKS_FROM,
    COL_SUCCESS,
    COL_TESTED_AT,
    FAILURE_UNREACHABLE,
    RecordedTest,
)
from carteiro.views.labels import ICON_FAIL, ICON_OK, YES_NO, icons, method_labels, sender_labels

if TYPE_CHECKING:  # the SMTP dialogue is imported only when a test runs
    from carteiro.sender.smtp import Stage, TlsInfo

SENDER_UNAVAILABLE: Final = "sender_unavailable"  # condition 2's column in the audit


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


# What a test means for condition 2 (the history's column, the CLI's report).
COUNTS_FROM: Final = "conta a partir de "
COUNTS_CONFIRMED: Final = " (falha de conexão confirmada)"
COUNTS_SUCCESS: Final = "conta: remetente disponível"
NOT_COUNTING_MANUAL: Final = "não conta: servidor digitado à mão"
NOT_COUNTING_UNCONFIRMED: Final = "não conta: falha de conexão não confirmada"
NOT_COUNTING_SUPERSEDED: Final = "não conta mais: há um teste mais recente que conta"


def condition_2_label(record: RecordedTest, decides: bool = True) -> str:
    """Whether ``record`` counts for condition 2, and why (``decides``: it is still its
    sender's latest counting test)."""
    if record.sender_id is None:
        return NOT_COUNTING_MANUAL
    if record.awaits_confirmation:
        return NOT_COUNTING_UNCONFIRMED
    if not decides:
        return NOT_COUNTING_SUPERSEDED
    if record.ok:
        return COUNTS_SUCCESS
    return COUNTS_FROM + fmt.date(record.day) + (COUNTS_CONFIRMED if record.unreachable else "")


def _condition_2_labels(history: pd.DataFrame) -> np.ndarray:
    """:func:`condition_2_label` for every row of a history frame, vectorised."""
    manual = history[COL_SENDER_ID].isna().to_numpy(dtype=bool)
    success = history[COL_SUCCESS].to_numpy(dtype=bool)
    reach = (history[COL_FAILURE_KIND] == FAILURE_UNREACHABLE).fillna(False).to_numpy(bool)
    confirmed = history[COL_REACH_CONFIRMED].to_numpy(dtype=bool)
    decides = history[COL_DECIDES].to_numpy(dtype=bool)
    day = pd.to_datetime(history[COL_SPEAKS_FROM]).dt.strftime("%d/%m/%Y").fillna("—")
    failed_from = (COUNTS_FROM + day + np.where(reach, COUNTS_CONFIRMED, "")).to_numpy()
    return np.select(
        [manual, reach & ~success & ~confirmed, ~decides, success],
        [NOT_COUNTING_MANUAL, NOT_COUNTING_UNCONFIRMED, NOT_COUNTING_SUPERSEDED, COUNTS_SUCCESS],
        failed_from,
    )


class SenderTestRow:
    """Columns of :func:`sender_tests_view`."""

    WHEN: Final = COL_TESTED_AT
    SENDER: Final = "sender"
    SERVER: Final = "server"
    RECIPIENT: Final = COL_RECIPIENT
    RESULT: Final = "result"
    CONDITION_2: Final = COL_COUNTS
    FAILED_STAGE: Final = COL_FAILED_STAGE
    MESSAGE: Final = COL_MESSAGE


SENDER_TEST_HEADERS: Final[dict[str, str]] = {
    SenderTestRow.WHEN: "Quando",
    SenderTestRow.SENDER: "Remetente",
    SenderTestRow.SERVER: "Servidor",
    SenderTestRow.RECIPIENT: "Destinatário",
    SenderTestRow.RESULT: "Resultado",
    SenderTestRow.CONDITION_2: "Condição 2",
    SenderTestRow.FAILED_STAGE: "Etapa com falha",
    SenderTestRow.MESSAGE: "Mensagem",
}


def sender_tests_view(history: pd.DataFrame, audit: Audit) -> pd.DataFrame:
    """Recent sender tests (``StateStore.recent_sender_tests``) with readable values, the
    moment in the provider's time zone, and whether each counts for condition 2 and why."""
    if history.empty:
        return pd.DataFrame(columns=list(SENDER_TEST_HEADERS))
    when = pd.to_datetime(history[COL_TESTED_AT], utc=True).dt.tz_convert(
        provider_timezone())
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
        SenderTestRow.CONDITION_2: _condition_2_labels(history),
        SenderTestRow.FAILED_STAGE: history[COL_FAILED_STAGE].astype("string").fillna("")
        .to_numpy(),
        SenderTestRow.MESSAGE: history[COL_MESSAGE].astype("string").to_numpy(),
    })


# ---------------------------------------------------------------------------------------------
# What a failed test changes in condition 2


@dataclass(frozen=True)
class FailureEffect:
    """What a failed test of one sender on ``day`` does to condition 2 in an audit."""

    day: dt.date
    per_method: dict[str, int]  # invoices it makes fail condition 2, by billing method
    freed: int  # invoices that stop failing (an earlier counting failure no longer decides)
    sender_active: bool

    @property
    def blocked(self) -> int:
        return sum(self.per_method.values())


def failure_effect(audit: Audit, sender_id: int, day: dt.date, *, counted: bool) -> FailureEffect:
    """The effect of a failed test of ``sender_id`` speaking from ``day``.

    ``counted=False``: the test does not count yet (an unconfirmed reach failure: ``audit`` is
    computed without it): the invoices that would start, or stop, failing condition 2 if it
    were confirmed. ``counted=True``: ``audit`` already includes it: the invoices it blocks."""
    inv = audit.invoices
    mine = (inv[Invoice.SENDER_ID].astype("Int64") == sender_id).fillna(False).to_numpy(bool)
    active = sender_active(audit.senders, sender_id)
    blocked = blocked_if_failing(inv, audit.data.email_rules, sender_id, day)
    current = inv[SENDER_UNAVAILABLE].to_numpy(dtype=bool)
    if counted:
        changed, freed = blocked & active, np.zeros(len(inv), dtype=bool)
    else:
        after = mine & (blocked | (not active))
        changed, freed = after & ~current, mine & current & ~after
    names = inv.loc[changed, Invoice.METHOD_ID].astype("Int64").map(method_labels(audit))
    counts = names.astype("string").fillna("?").value_counts()
    per_method = {str(name): int(count) for name, count in counts.sort_index().items()}
    return FailureEffect(day, per_method, int(freed.sum()), active)


def _and_list(items: Sequence[str]) -> str:
    """«A», «A e B», «A, B e C»."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} e {items[-1]}"


def _invoices_phrase(effect: FailureEffect) -> tuple[str, str]:
    """«as 1.234 faturas da forma de cobrança Boleto com envio a partir de 29/11/2026» and
    the verb's ending («passa»/«passam»)."""
    total = effect.blocked
    if len(effect.per_method) == 1:
        methods = f"da forma de cobrança {next(iter(effect.per_method))}"
    else:
        methods = "das formas de cobrança " + _and_list(
            [f"{name} ({fmt.integer(count)})" for name, count in effect.per_method.items()])
    subject = fmt.plural(total, "fatura") if total == 1 else f"as {fmt.plural(total, 'fatura')}"
    return (f"{subject} {methods} com envio a partir de {fmt.date(effect.day)}",
            "passa" if total == 1 else "passam")


def confirmation_sentence(effect: FailureEffect) -> str:
    """What confirming a reach failure will change, in one pt-BR sentence (or two)."""
    day = fmt.date(effect.day)
    if effect.blocked:
        phrase, verb = _invoices_phrase(effect)
        text = f"Se confirmar, {phrase} {verb} a contar como sem aviso (condição 2)."
    elif not effect.sender_active:
        text = ("Se confirmar, nada muda na condição 2: o remetente não está ativo no ERP, e "
                "as faturas dele já contam como sem aviso.")
    else:
        text = ("Se confirmar, nenhuma fatura do período passa a contar como sem aviso "
                f"(condição 2): nenhuma fatura deste remetente tem envio a partir de {day} que "
                "ainda conte como com aviso.")
    if effect.freed:
        verb = "deixa" if effect.freed == 1 else "deixam"
        text += (f" E {fmt.plural(effect.freed, 'fatura')} com envio só antes de {day} {verb} "
                 "de contar como sem aviso: vale o teste mais recente.")
    return text


def refusal_sentence(effect: FailureEffect) -> str:
    """What a failure that counts (a refusal, or a confirmed reach failure) changes."""
    if effect.blocked:
        phrase, verb = _invoices_phrase(effect)
        return f"Com esta falha, {phrase} {verb} a contar como sem aviso (condição 2)."
    if not effect.sender_active:
        return ("Esta falha conta para a condição 2, mas o remetente não está ativo no ERP: as "
                "faturas dele já contam como sem aviso.")
    return (f"Esta falha conta para a condição 2 a partir de {fmt.date(effect.day)}, mas "
            "nenhuma fatura do período deste remetente tem envio a partir desse dia.")

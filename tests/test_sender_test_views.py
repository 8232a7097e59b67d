"""The words of the sender test about condition 2: what a failed test changes (the sentence the
widget shows before and after it counts), the history's «Condição 2» column and the senders
table. Counts are checked against the engine run with and without the test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from carteiro.columns import Invoice
from carteiro.rules.engine import Audit
from carteiro.sender.history import StateStore
from carteiro.views import sender_test as view
from carteiro.views import settings as settings_view
from tests.erp_builder import Erp
from tests.test_sender_history import at, reach_failure
from tests.test_sender_state_engine import three_methods, window_erp
from tests.test_state import ERP

DAY = dt.date(2024, 3, 12)


def failing_ids(audit: Audit, sender_id: int) -> set[int]:
    inv = audit.invoices
    mine = inv[Invoice.SENDER_ID] == sender_id
    return set(inv.loc[inv["sender_unavailable"] & mine, Invoice.ID])


def test_confirming_names_every_method_and_counts_what_the_engine_then_blocks(run):
    erp = three_methods()  # sender 1: Boleto (default) and Cartão (by name); all due 10/03
    before = run(erp)
    effect = view.failure_effect(before, 1, dt.date(2024, 3, 10), counted=False)
    after = run(erp, failed={1: dt.date(2024, 3, 10)})
    newly = failing_ids(after, 1) - failing_ids(before, 1)
    assert effect.blocked == len(newly) == 3
    assert effect.per_method == {"Boleto": 2, "Cartão": 1}
    assert view.confirmation_sentence(effect) == (
        "Se confirmar, as 3 faturas das formas de cobrança Boleto (2) e Cartão (1) com envio a "
        "partir de 10/03/2024 passam a contar como sem aviso (condição 2).")
    # Once it counts, the same invoices are the ones it blocks.
    counted = view.failure_effect(after, 1, dt.date(2024, 3, 10), counted=True)
    assert counted.per_method == effect.per_method
    assert view.refusal_sentence(counted).startswith("Com esta falha, as 3 faturas das formas")


def test_a_later_failure_frees_what_only_the_earlier_one_blocked(run):
    """Sender 1 already fails since 01/03; confirming a reach failure of 12/03 makes the later
    test decide: the invoices whose firing sends are all before the 12th stop failing."""
    erp = window_erp()
    before = run(erp, failed={1: dt.date(2024, 3, 1)})
    after = run(erp, failed={1: DAY})
    effect = view.failure_effect(before, 1, DAY, counted=False)
    assert effect.blocked == len(failing_ids(after, 1) - failing_ids(before, 1)) == 0
    assert effect.freed == len(failing_ids(before, 1) - failing_ids(after, 1)) == 3
    assert view.confirmation_sentence(effect) == (
        "Se confirmar, nenhuma fatura do período passa a contar como sem aviso (condição 2): "
        "nenhuma fatura deste remetente tem envio a partir de 12/03/2024 que ainda conte como "
        "com aviso. E 3 faturas com envio só antes de 12/03/2024 deixam de contar como sem "
        "aviso: vale o teste mais recente.")


def test_one_invoice_is_singular(run):
    effect = view.failure_effect(run(window_erp()), 1, dt.date(2024, 3, 23), counted=False)
    assert view.confirmation_sentence(effect) == (
        "Se confirmar, 1 fatura da forma de cobrança Boleto com envio a partir de 23/03/2024 "
        "passa a contar como sem aviso (condição 2).")


def test_nothing_to_block(run):
    audit = run(window_erp(), failed={1: dt.date(2024, 3, 24)})
    effect = view.failure_effect(audit, 1, dt.date(2024, 3, 24), counted=True)
    assert effect.blocked == 0
    assert view.refusal_sentence(effect) == (
        "Esta falha conta para a condição 2 a partir de 24/03/2024, mas nenhuma fatura do "
        "período deste remetente tem envio a partir desse dia.")


def test_an_inactive_sender_changes_nothing(run):
    erp: Erp = window_erp()
    erp.set("forma_cobranca", "id_forma_cobranca", 1, id_remetente_email=1)
    erp.set("remetente_email", "id_remetente_email", 1, ativo=False)
    audit = run(erp)
    effect = view.failure_effect(audit, 1, DAY, counted=False)
    assert (effect.blocked, effect.freed, effect.sender_active) == (0, 0, False)
    assert view.confirmation_sentence(effect).startswith(
        "Se confirmar, nada muda na condição 2: o remetente não está ativo no ERP")
    assert "não está ativo" in view.refusal_sentence(
        view.failure_effect(audit, 1, DAY, counted=True))


def test_history_column_says_which_tests_count_and_why(run, tmp_path: Path):
    store = StateStore(tmp_path / "s.sqlite")
    noon = dt.datetime(2024, 3, 12, 15, 0, tzinfo=dt.UTC)
    hour = dt.timedelta(hours=1)
    store.record_sender_test(at(noon), source=ERP, sender_id=1)
    store.record_sender_test(at(noon + hour, ok=True), source=ERP, sender_id=1)
    confirmed = store.record_sender_test(reach_failure(noon + 2 * hour), source=ERP,
                                         sender_id=1, reach_confirmed=True)
    store.record_sender_test(reach_failure(noon + 3 * hour), source=ERP, sender_id=1)
    store.record_sender_test(at(noon + 4 * hour), source=ERP, sender_id=None)
    store.record_sender_test(at(noon + 5 * hour, ok=True), source=ERP, sender_id=2)
    shown = view.sender_tests_view(store.recent_sender_tests(ERP), run(three_methods()))
    assert shown[view.SenderTestRow.CONDITION_2].tolist() == [
        "conta: remetente disponível",
        "não conta: servidor digitado à mão",
        "não conta: falha de conexão não confirmada",
        "conta a partir de 12/03/2024 (falha de conexão confirmada)",
        "não conta mais: há um teste mais recente que conta",
        "não conta mais: há um teste mais recente que conta",
    ]
    # The CLI's words for one record are the same.
    assert view.condition_2_label(confirmed) == shown[view.SenderTestRow.CONDITION_2].iloc[3]
    # Moments are shown in the provider's time zone.
    assert shown[view.SenderTestRow.WHEN].iloc[-1] == "12/03/2024 12:00:00"


@pytest.mark.parametrize("zone", ["UTC", "America/Manaus"])
def test_history_moments_follow_the_providers_time_zone(
        run: Callable[..., Audit], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        zone: str) -> None:
    store = StateStore(tmp_path / "s.sqlite")
    store.record_sender_test(at(dt.datetime(2024, 3, 12, 15, 0, tzinfo=dt.UTC)), source=ERP,
                             sender_id=1)
    monkeypatch.setenv("CARTEIRO_TIMEZONE", zone)
    shown = view.sender_tests_view(store.recent_sender_tests(ERP), run(three_methods()))
    hour = {"UTC": "15", "America/Manaus": "11"}[zone]
    assert shown[view.SenderTestRow.WHEN].iloc[0] == f"12/03/2024 {hour}:00:00"


def test_senders_table_says_when_the_test_failed(run):
    audit = run(three_methods(), failed={2: DAY})
    rows = settings_view.senders_view(audit).set_index(settings_view.SenderRow.ID)
    assert rows[settings_view.SenderRow.LAST_TEST_FAILED].to_dict() == {
        1: "Não", 2: "Sim, em 12/03/2024"}

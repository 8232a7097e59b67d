"""Condition 2 end to end: a failed sender test recorded in Carteiro's state store makes
``sender_unavailable`` hold for exactly the invoices of the billing methods using that sender.

The audit runs through :func:`carteiro.audit.run_audit`, which reads the failed senders of the
data source from :class:`~carteiro.state.StateStore` (``CARTEIRO_STATE_DB`` points to a temp
file for every test, see ``tests/conftest.py``). The failure is a real one: a sender test run
by :func:`carteiro.smtp_test.run_smtp_test` against a closed port on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from carteiro.columns import Invoice, Sender
from carteiro.erp.source import DataSource
from carteiro.rules.audit import run_audit
from carteiro.sender.history import StateStore
from carteiro.sender.smtp import STAGE_CONNECT, SmtpTestResult, run_smtp_test
from tests.conftest import MARCH
from tests.erp_builder import Erp

# Invoice ids per billing method (customer id + 1000; see Erp.customer).
BOLETO = [1001, 1002]  # method 1 «Boleto»: names no sender → default sender 1
PIX = [1003, 1004, 1005]  # method 2 «Pix»: names sender 2
CARTAO = [1006]  # method 3 «Cartão»: names sender 1
NO_METHOD = [1007]  # no billing method: checked against the default sender (condition 3 fails)
ALL = sorted(BOLETO + PIX + CARTAO + NO_METHOD)


def three_methods() -> Erp:
    erp = Erp.baseline()  # sender 1 «Principal» (default), method 1 «Boleto», customer 1
    erp.add("remetente_email", id_remetente_email=2, descricao="Secundário",
            host="smtp.secundario.com.br", porta=587, seguranca="tls",
            usuario="avisos@secundario.com.br", email_origem="avisos@secundario.com.br",
            intervalo_segundos=5, padrao=False, ativo=True)
    erp.add("forma_cobranca", id_forma_cobranca=2, descricao="Pix", id_remetente_email=2,
            ativo=True)
    erp.add("forma_cobranca", id_forma_cobranca=3, descricao="Cartão", id_remetente_email=1,
            ativo=True)
    for rid, method in [(4, 2), (5, 3)]:
        erp.add("forma_cobranca_regra_email", id_regra_email=rid, id_forma_cobranca=method,
                dias=0, assunto="Fatura", ativo=True)
    erp.customer(2)
    for cid in (3, 4, 5):
        erp.customer(cid, method=2)
    erp.customer(6, method=3)
    erp.customer(7, method=None)
    return erp


@pytest.fixture
def source(write_db: Callable[..., str]) -> DataSource:
    return DataSource(write_db(three_methods()), "test")


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def failed_test() -> SmtpTestResult:
    result = run_smtp_test("127.0.0.1", closed_port(), "nenhuma",
                           to_addr="teste@provedor.com.br",
                           from_addr="avisos@secundario.com.br", timeout=5)
    assert not result.ok
    assert result.failed_stage == STAGE_CONNECT
    return result


def later_success(after: SmtpTestResult, minutes: int = 1) -> SmtpTestResult:
    moment = datetime.fromisoformat(after.started_at) + timedelta(minutes=minutes)
    return dataclasses.replace(after, ok=True, failed_stage=None, message="aceito",
                               started_at=moment.isoformat())


def unavailable(source: DataSource) -> list[int]:
    audit = run_audit(source, MARCH)
    inv = audit.invoices
    assert sorted(inv[Invoice.ID]) == ALL
    return sorted(inv.loc[inv["sender_unavailable"], Invoice.ID])


def test_never_tested_senders_are_available(source):
    audit = run_audit(source, MARCH)
    assert not audit.invoices["sender_unavailable"].any()
    assert not audit.senders[Sender.LAST_TEST_FAILED].any()
    assert audit.alerts == []
    # Everything but the invoice without a billing method is eligible.
    eligible = audit.invoices.loc[audit.invoices[Invoice.ELIGIBLE], Invoice.ID]
    assert sorted(eligible) == sorted(BOLETO + PIX + CARTAO)


def test_failed_test_blocks_exactly_the_methods_using_that_sender(source, failed_test):
    StateStore().record_sender_test(failed_test, source=source.url, sender_id=2)
    audit = run_audit(source, MARCH)
    inv = audit.invoices
    assert sorted(inv.loc[inv["sender_unavailable"], Invoice.ID]) == PIX
    assert inv.set_index(Invoice.ID).loc[PIX, Invoice.PRIMARY_REASON].tolist() == [
        "sender_unavailable"] * len(PIX)
    assert inv.set_index(Invoice.ID).loc[BOLETO + CARTAO, Invoice.ELIGIBLE].all()
    failed = audit.senders.set_index(Sender.ID)[Sender.LAST_TEST_FAILED]
    assert failed.to_dict() == {1: False, 2: True}
    (alert,) = audit.alerts
    assert alert.code == "sender_unavailable"
    assert alert.title == (
        "O remetente de e-mail «Secundário» (id 2) falhou no último teste de envio"
    )
    assert alert.invoices == len(PIX)
    assert alert.detail == "Faturas afetadas por forma de cobrança: Pix (3 faturas)."
    assert alert.menu_path == "Configuração > Geral > Remetente de Email > Ações > Testar"


def test_failed_default_sender_blocks_its_methods_and_invoices_without_one(source, failed_test):
    """Sender 1 serves «Boleto» (as default), «Cartão» (by name) and the method-less invoice."""
    StateStore().record_sender_test(failed_test, source=source.url, sender_id=1)
    assert unavailable(source) == sorted(BOLETO + CARTAO + NO_METHOD)
    (alert,) = run_audit(source, MARCH).alerts
    assert "«Principal» (id 1)" in alert.title
    assert "Boleto (2 faturas)" in alert.detail
    assert "Cartão (1 fatura)" in alert.detail
    assert "(sem forma de cobrança) (1 fatura)" in alert.detail
    assert alert.invoices == 4


def test_a_later_success_clears_the_failure(source, failed_test):
    store = StateStore()
    store.record_sender_test(failed_test, source=source.url, sender_id=2)
    assert unavailable(source) == PIX
    store.record_sender_test(later_success(failed_test), source=source.url, sender_id=2)
    assert unavailable(source) == []
    assert run_audit(source, MARCH).alerts == []
    # …and a newer failure blocks again.
    newer = dataclasses.replace(failed_test, started_at=(
        datetime.fromisoformat(failed_test.started_at) + timedelta(minutes=2)).isoformat())
    store.record_sender_test(newer, source=source.url, sender_id=2)
    assert unavailable(source) == PIX


def test_an_older_success_recorded_late_does_not_clear_it(source, failed_test):
    store = StateStore()
    earlier = later_success(failed_test, minutes=-5)
    store.record_sender_test(failed_test, source=source.url, sender_id=2)
    store.record_sender_test(earlier, source=source.url, sender_id=2)
    assert unavailable(source) == PIX


def test_a_failure_under_another_source_does_not_count(source, failed_test, tmp_path):
    store = StateStore()
    other = f"sqlite:///{tmp_path / 'outro-erp.sqlite'}"
    store.record_sender_test(failed_test, source=other, sender_id=2)
    store.record_sender_test(failed_test, source=other, sender_id=1)
    assert unavailable(source) == []
    # The same failure under this source does count.
    store.record_sender_test(failed_test, source=source.url, sender_id=2)
    assert unavailable(source) == PIX


def test_a_success_under_another_source_does_not_clear_it(source, failed_test, tmp_path):
    store = StateStore()
    store.record_sender_test(failed_test, source=source.url, sender_id=2)
    store.record_sender_test(later_success(failed_test), source=f"sqlite:///{tmp_path / 'x'}",
                             sender_id=2)
    assert unavailable(source) == PIX


def test_tests_without_an_erp_sender_or_of_unknown_senders_do_not_count(source, failed_test):
    store = StateStore()
    store.record_sender_test(failed_test, source=source.url, sender_id=None)  # typed by hand
    store.record_sender_test(failed_test, source=source.url, sender_id=99)  # not in the ERP
    assert unavailable(source) == []

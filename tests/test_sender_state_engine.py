"""Condition 2 end to end: a failed sender test recorded in Carteiro's state store makes
``sender_unavailable`` hold for exactly the invoices of the billing methods using that sender
that have a firing send date on or after the day of the test.

The audit runs through :func:`carteiro.rules.audit.run_audit`, which reads the failing senders
of the data source from :class:`~carteiro.sender.history.StateStore` (``CARTEIRO_STATE_DB``
points to a temp file for every test, see ``tests/conftest.py``). The failures are real ones,
run by :func:`carteiro.sender.smtp.run_smtp_test`: a server that refuses AUTH (it answered:
counts) and a closed port on 127.0.0.1 (it could not be reached: counts only once confirmed);
their moment is then set to a chosen day of March 2024.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest

from carteiro.columns import Invoice, Sender
from carteiro.erp.source import DataSource
from carteiro.rules.audit import run_audit
from carteiro.rules.engine import Audit
from carteiro.sender.history import StateStore
from carteiro.sender.smtp import STAGE_AUTH, STAGE_CONNECT, SmtpTestResult, run_smtp_test
from tests.conftest import MARCH
from tests.erp_builder import Erp
from tests.smtp_server import (
    LOCALHOST,
    SMTP_USER,
    Authenticator,
    closed_port,
    smtp_server,
)

# Invoice ids per billing method (customer id + 1000; see Erp.customer). All due 2024-03-10.
BOLETO = [1001, 1002]  # method 1 «Boleto» (rules -3, 0, +3): no sender → default sender 1
PIX = [1003, 1004, 1005]  # method 2 «Pix» (rule 0): names sender 2
CARTAO = [1006]  # method 3 «Cartão» (rule 0): names sender 1
NO_METHOD = [1007]  # no billing method: default sender 1, no rule, so no send date
ALL = sorted(BOLETO + PIX + CARTAO + NO_METHOD)
BEFORE_MARCH = dt.datetime(2024, 2, 20, 15, 0, tzinfo=dt.UTC)  # 20/02/2024 in São Paulo


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


def on(result: SmtpTestResult, moment: dt.datetime) -> SmtpTestResult:
    return dataclasses.replace(result, started_at=moment.isoformat())


@pytest.fixture(scope="module")
def refused() -> SmtpTestResult:
    """A real refusal: the server answers and rejects the password (535)."""
    with smtp_server(authenticator=Authenticator(), auth_require_tls=False) as (server, _):
        result = run_smtp_test(LOCALHOST, server.port, "nenhuma", to_addr="t@provedor.com.br",
                               user=SMTP_USER, password="senha-errada", timeout=5)
    assert result.failed_stage == STAGE_AUTH
    return on(result, BEFORE_MARCH)


@pytest.fixture(scope="module")
def unreachable() -> SmtpTestResult:
    """A real reach failure: nothing listens on the port."""
    result = run_smtp_test(LOCALHOST, closed_port(), "nenhuma", to_addr="t@provedor.com.br",
                           from_addr="avisos@secundario.com.br", timeout=5)
    assert result.failed_stage == STAGE_CONNECT
    return on(result, BEFORE_MARCH)


def later(result: SmtpTestResult, minutes: int = 1, ok: bool | None = None) -> SmtpTestResult:
    moment = dt.datetime.fromisoformat(result.started_at) + dt.timedelta(minutes=minutes)
    if ok:
        result = dataclasses.replace(result, ok=True, failed_stage=None, message="aceito")
    return on(result, moment)


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


def test_a_refusal_blocks_exactly_the_methods_using_that_sender(source, refused):
    StateStore().record_sender_test(refused, source=source.url, sender_id=2)
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
        "O remetente de e-mail «Secundário» (id 2) falhou no teste de envio de 20/02/2024"
    )
    assert alert.invoices == len(PIX)
    assert alert.detail == ("Faturas com envio a partir de 20/02/2024 (data do teste), por forma "
                            "de cobrança: Pix (3 faturas).")
    assert alert.menu_path == "Configuração > Geral > Remetente de Email > Ações > Testar"


def test_a_failed_default_sender_blocks_its_methods_but_not_invoices_without_rules(
        source, refused):
    """Sender 1 serves «Boleto» (as default), «Cartão» (by name) and the method-less invoice;
    that one has no send date, so the test does not speak for it."""
    StateStore().record_sender_test(refused, source=source.url, sender_id=1)
    assert unavailable(source) == sorted(BOLETO + CARTAO)
    (alert,) = run_audit(source, MARCH).alerts
    assert "«Principal» (id 1)" in alert.title
    assert "Boleto (2 faturas)" in alert.detail
    assert "Cartão (1 fatura)" in alert.detail
    assert "sem forma de cobrança" not in alert.detail
    assert alert.invoices == 3


def test_a_later_success_clears_the_failure(source, refused):
    store = StateStore()
    store.record_sender_test(refused, source=source.url, sender_id=2)
    assert unavailable(source) == PIX
    store.record_sender_test(later(refused, ok=True), source=source.url, sender_id=2)
    assert unavailable(source) == []
    assert run_audit(source, MARCH).alerts == []
    # …and a newer failure blocks again.
    store.record_sender_test(later(refused, 2), source=source.url, sender_id=2)
    assert unavailable(source) == PIX


def test_an_older_success_recorded_late_does_not_clear_it(source, refused):
    store = StateStore()
    store.record_sender_test(refused, source=source.url, sender_id=2)
    store.record_sender_test(later(refused, -5, ok=True), source=source.url, sender_id=2)
    assert unavailable(source) == PIX


def test_a_reach_failure_counts_only_when_confirmed(source, unreachable):
    store = StateStore()
    record = store.record_sender_test(unreachable, source=source.url, sender_id=2)
    assert unavailable(source) == []
    assert run_audit(source, MARCH).alerts == []
    store.confirm_reach_failure(record.test_id)
    assert unavailable(source) == PIX
    (alert,) = run_audit(source, MARCH).alerts
    assert alert.title.endswith("falhou no teste de envio de 20/02/2024")


def test_a_reach_failure_confirmed_when_recorded_counts(source, unreachable):
    StateStore().record_sender_test(unreachable, source=source.url, sender_id=2,
                                    reach_confirmed=True)
    assert unavailable(source) == PIX


def test_an_unconfirmed_reach_failure_does_not_clear_an_earlier_refusal(
        source, refused, unreachable):
    store = StateStore()
    store.record_sender_test(refused, source=source.url, sender_id=2)
    store.record_sender_test(later(unreachable, 60 * 24 * 30), source=source.url, sender_id=2)
    assert unavailable(source) == PIX
    (alert,) = run_audit(source, MARCH).alerts
    assert alert.title.endswith("de 20/02/2024")  # the refusal's day, not the later test's
    # Nor does it undo a success.
    store.record_sender_test(later(refused, 60 * 24 * 31, ok=True), source=source.url,
                             sender_id=2)
    store.record_sender_test(later(unreachable, 60 * 24 * 32), source=source.url, sender_id=2)
    assert unavailable(source) == []


def test_a_failure_under_another_source_does_not_count(source, refused, tmp_path):
    store = StateStore()
    other = f"sqlite:///{tmp_path / 'outro-erp.sqlite'}"
    store.record_sender_test(refused, source=other, sender_id=2)
    store.record_sender_test(refused, source=other, sender_id=1)
    assert unavailable(source) == []
    # The same failure under this source does count.
    store.record_sender_test(refused, source=source.url, sender_id=2)
    assert unavailable(source) == PIX


def test_a_success_under_another_source_does_not_clear_it(source, refused, tmp_path):
    store = StateStore()
    store.record_sender_test(refused, source=source.url, sender_id=2)
    store.record_sender_test(later(refused, ok=True), source=f"sqlite:///{tmp_path / 'x'}",
                             sender_id=2)
    assert unavailable(source) == PIX


def test_tests_without_an_erp_sender_or_of_unknown_senders_do_not_count(source, refused):
    store = StateStore()
    store.record_sender_test(refused, source=source.url, sender_id=None)  # typed by hand
    store.record_sender_test(refused, source=source.url, sender_id=99)  # not in the ERP
    assert unavailable(source) == []


# --------------------------------------------------------------------------------------------
# The test speaks from its day on: invoices built by hand around a test on 12/03/2024

# invoice id → (due, paid) for «Boleto», whose rules send at due -3, due and due +3; the
# firing send dates are worked out by hand.
WINDOW = {
    2001: ("2024-03-05", None),  # sends 02, 05, 08/03: all before the 12th
    2002: ("2024-03-08", None),  # sends 05, 08, 11/03: the last one the day before
    2003: ("2024-03-09", None),  # sends 06, 09, 12/03: the last one on the day itself
    2004: ("2024-03-20", None),  # sends 17, 20, 23/03
    2005: ("2024-03-20", "2024-03-16"),  # paid before its first send (17/03): none fires
    2006: ("2024-03-14", "2024-03-11"),  # only 11/03 fires (14 and 17 come after payment)
    2007: ("2024-03-12", "2024-03-15"),  # paid on 15/03: 09, 12 and 15/03 all fire
}
WINDOW_PIX = 2008  # «Pix», sender 2 (never tested), due 20/03
WINDOW_NO_METHOD = 2009  # no billing method (default sender 1), due 20/03: no send date


def window_erp() -> Erp:
    erp = three_methods()
    for cid, (invoice, (due, paid)) in enumerate(WINDOW.items(), start=20):
        erp.customer(cid, due=due, paid=paid, status="pago" if paid else "aberto",
                     invoice_id=invoice)
    erp.customer(40, method=2, due="2024-03-20", invoice_id=WINDOW_PIX)
    erp.customer(41, method=None, due="2024-03-20", invoice_id=WINDOW_NO_METHOD)
    for cid in range(1, 8):  # only the window's invoices
        erp.delete("fatura", id_cliente=cid)
    return erp


def blocked(audit: Audit) -> list[int]:
    inv = audit.invoices
    return sorted(inv.loc[inv["sender_unavailable"], Invoice.ID])


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # before every send date of the period: every invoice with a firing send date
        (dt.date(2024, 2, 1), [2001, 2002, 2003, 2004, 2006, 2007]),
        # inside: only those with a firing send date on or after the 12th
        (dt.date(2024, 3, 12), [2003, 2004, 2007]),
        (dt.date(2024, 3, 11), [2002, 2003, 2004, 2006, 2007]),
        # after the last send date of the period's invoices (23/03): none
        (dt.date(2024, 3, 24), []),
    ],
)
def test_a_failed_test_blocks_only_invoices_sent_on_or_after_its_day(run, day, expected):
    audit = run(window_erp(), failed={1: day})
    assert blocked(audit) == expected
    inv = audit.invoices.set_index(Invoice.ID)
    assert not inv.loc[[WINDOW_PIX, WINDOW_NO_METHOD], "sender_unavailable"].any()
    if not expected:
        assert audit.alerts == []
        return
    (alert,) = audit.alerts
    when = f"{day:%d/%m/%Y}"
    assert alert.title == (
        f"O remetente de e-mail «Principal» (id 1) falhou no teste de envio de {when}")
    assert alert.invoices == len(expected)
    plural = "" if len(expected) == 1 else "s"
    assert alert.detail == (f"Faturas com envio a partir de {when} (data do teste), por forma "
                            f"de cobrança: Boleto ({len(expected)} fatura{plural}).")
    # The invoices the test does not speak for are judged as if the sender were untested.
    untested = run(window_erp()).invoices.set_index(Invoice.ID)
    spared = [i for i in WINDOW if i not in expected]
    assert (inv.loc[spared, Invoice.REASONS] == untested.loc[spared, Invoice.REASONS]).all()


def test_an_inactive_sender_fails_whatever_the_dates(run):
    erp = window_erp()
    erp.set("forma_cobranca", "id_forma_cobranca", 1, id_remetente_email=1)
    erp.set("remetente_email", "id_remetente_email", 1, ativo=False)
    audit = run(erp, failed={1: dt.date(2024, 3, 24)})  # a test after every send date
    assert blocked(audit) == sorted(WINDOW)
    alert = next(a for a in audit.alerts if "«Principal»" in a.title)
    assert alert.title.endswith("está inativo")
    assert alert.invoices == len(WINDOW)


def test_the_day_is_the_providers(source_window, refused, monkeypatch):
    """A test at 01:00 UTC on the 12th is the 11th in São Paulo: 2002 (last send 11/03) is
    blocked; read in UTC the day is the 12th, and it is not."""
    night = on(refused, dt.datetime(2024, 3, 12, 1, 0, tzinfo=dt.UTC))
    StateStore().record_sender_test(night, source=source_window.url, sender_id=1)
    assert blocked(run_audit(source_window, MARCH)) == [2002, 2003, 2004, 2006, 2007]
    monkeypatch.setenv("CARTEIRO_STATE_DB", str(StateStore().path) + ".utc")
    monkeypatch.setenv("CARTEIRO_TIMEZONE", "UTC")
    StateStore().record_sender_test(night, source=source_window.url, sender_id=1)
    assert blocked(run_audit(source_window, MARCH)) == [2003, 2004, 2007]


@pytest.fixture
def source_window(write_db: Callable[..., str]) -> DataSource:
    return DataSource(write_db(window_erp()), "test")

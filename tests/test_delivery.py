"""The send-log reconciliation (domain.md, "What actually happened"), on small ERPs whose
expected values are worked out by hand.

The baseline (``tests/erp_builder.py``): customer 1's invoice 1001 is due 2024-03-10, unpaid and
eligible; its billing method has active rules at -3, 0 and +3 days, so its expected sends are
2024-03-07, 2024-03-10 and 2024-03-13.
"""

from __future__ import annotations

import pandas as pd
import pytest

from carteiro.erp.load import load_data
from carteiro.rules.engine import evaluate
from tests.delivery_helpers import MARCH, deliver, error_kind_of, log, status_of
from tests.erp_builder import Erp

OK_AT_7 = "2024-03-07 08:00:00"


def baseline() -> Erp:
    return Erp.baseline()


def ineligible() -> Erp:
    """Invoice 1001 fails condition 8 (no recipient allows e-mail)."""
    return Erp.baseline().set("cliente", "id_cliente", 1, permite_enviar_email=False)


# Each delivery status alone ----------------------------------------------------------------------
def test_sent():
    assert status_of(deliver(log(baseline(), 1001, OK_AT_7), "2024-03-15")) == "sent"


def test_scheduled():
    assert status_of(deliver(baseline(), "2024-03-05")) == "scheduled"


def test_failed():
    erp = log(baseline(), 1001, OK_AT_7, False, "552 5.2.2 Mailbox full")
    delivery = deliver(erp, "2024-03-15")
    assert status_of(delivery) == "failed"
    assert error_kind_of(delivery) == "mailbox_full"


def test_missing():
    assert status_of(deliver(baseline(), "2024-03-08")) == "missing"


def test_sent_while_ineligible():
    delivery = deliver(log(ineligible(), 1001, OK_AT_7), "2024-03-15")
    assert status_of(delivery) == "sent_while_ineligible"
    assert delivery.sent_while_ineligible()["reasons"].tolist() == ["no_contact_allows_email"]


def test_not_expected():
    assert status_of(deliver(ineligible(), "2024-03-15")) == "not_expected"


def test_error_kind_is_empty_unless_failed():
    erp = log(ineligible(), 1001, OK_AT_7, False, "552 5.2.2 Mailbox full")
    delivery = deliver(erp, "2024-03-15")
    assert status_of(delivery) == "not_expected"
    assert error_kind_of(delivery) is None


# The precedence of the table ----------------------------------------------------------------------
def test_an_accepted_row_wins_over_failed_ones():
    erp = log(baseline(), 1001, OK_AT_7, False, "421 4.7.0 Try again later")
    log(erp, 1001, "2024-03-10 08:00:00", True)
    log(erp, 1001, "2024-03-13 08:00:00", False, "Connection timed out")
    assert status_of(deliver(erp, "2024-03-20")) == "sent"


def test_sent_before_any_send_was_due():
    """A counted accepted row dated before the first expected send: 1 (sent) before 2."""
    erp = log(baseline(), 1001, "2024-03-05 09:00:00", True)
    assert status_of(deliver(erp, "2024-03-06")) == "sent"


def test_scheduled_wins_over_failed_rows():
    """A failed attempt before the first expected send: nothing was due yet (2 before 3)."""
    erp = log(baseline(), 1001, "2024-03-05 09:00:00", False, "552 5.2.2 Mailbox full")
    delivery = deliver(erp, "2024-03-06")
    assert status_of(delivery) == "scheduled"
    assert error_kind_of(delivery) is None


def test_ineligible_with_accepted_and_failed_rows():
    erp = log(ineligible(), 1001, OK_AT_7, False, "552 5.2.2 Mailbox full")
    log(erp, 1001, "2024-03-10 08:00:00", True)
    assert status_of(deliver(erp, "2024-03-15")) == "sent_while_ineligible"


def test_delivery_never_changes_eligibility(write_db):
    """The same audit with and without a send log; a failed invoice stays eligible and a sent
    ineligible one stays ineligible."""
    erp = Erp.baseline().customer(2, allows=False)
    with_log = erp.copy()
    log(with_log, 1001, OK_AT_7, False, "550 5.1.1 User unknown")
    log(with_log, 1002, OK_AT_7, True)
    delivery = deliver(with_log, "2024-03-15")
    plain = evaluate(load_data(write_db(erp), MARCH), MARCH)
    pd.testing.assert_frame_equal(delivery.audit.invoices, plain.invoices)
    assert delivery.invoices["eligible"].tolist() == [True, False]
    assert delivery.invoices["delivery"].astype(str).tolist() == [
        "failed", "sent_while_ineligible"]


# The as-of boundary -------------------------------------------------------------------------------
def test_a_send_date_equal_to_as_of_is_scheduled():
    delivery = deliver(baseline(), "2024-03-07")
    assert status_of(delivery) == "scheduled"
    assert delivery.invoices["due_sends"].tolist() == [0]
    assert deliver(baseline(), "2024-03-08").invoices["due_sends"].tolist() == [1]


def test_a_log_row_dated_on_as_of_is_ignored():
    erp = log(baseline(), 1001, "2024-03-07 08:00:00", True)
    assert status_of(deliver(erp, "2024-03-07")) == "scheduled"
    erp = log(baseline(), 1001, "2024-03-08 00:00:00", True)
    assert status_of(deliver(erp, "2024-03-08")) == "missing"  # 03-07 due, the row not known
    assert status_of(deliver(erp, "2024-03-09")) == "sent"


def test_a_row_late_on_the_day_before_as_of_counts():
    erp = log(baseline(), 1001, "2024-03-07 23:59:59", True)
    assert status_of(deliver(erp, "2024-03-08")) == "sent"


def test_the_date_part_is_taken_as_written():
    """A time zone offset is ignored: 23:30 at -03:00 is still 7 March."""
    erp = log(baseline(), 1001, "2024-03-07T23:30:00-03:00", True)
    assert status_of(deliver(erp, "2024-03-08")) == "sent"


# Which log rows count ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["fatura", "Fatura", " FATURA ", "fatura\t"])
def test_billing_rows_in_any_spelling_count(kind):
    assert status_of(deliver(log(baseline(), 1001, OK_AT_7, kind=kind), "2024-03-15")) == "sent"


@pytest.mark.parametrize("kind", ["boleto", "nota_fiscal", "Aviso de Suspensão", "faturas",
                                  "fatura_avulsa"])
def test_rows_of_other_types_are_ignored_without_a_problem(kind):
    delivery = deliver(log(baseline(), 1001, OK_AT_7, kind=kind), "2024-03-15")
    assert status_of(delivery) == "missing"
    assert delivery.log_problems.empty


@pytest.mark.parametrize(("kind", "fragment"), [(None, "tipo_documento nulo"),
                                                ("   ", "tipo_documento ilegível")])
def test_null_or_empty_type_is_a_problem_and_ignored(kind, fragment):
    delivery = deliver(log(baseline(), 1001, OK_AT_7, kind=kind, log_id=7), "2024-03-15")
    assert status_of(delivery) == "missing"
    problems = delivery.log_problems
    assert problems[["kind", "table", "id"]].values.tolist() == [
        ["unknown_value", "send_log", "7"]]
    assert fragment in problems["detail"].iloc[0] and "1001" in problems["detail"].iloc[0]


@pytest.mark.parametrize("when", ["lixo", "07/03/2024", "2024/03/07", "2024-3-7", "2024-02-30",
                                  "20240307"])
def test_unreadable_send_date_is_a_problem_and_ignored(when):
    delivery = deliver(log(baseline(), 1001, when, log_id=8), "2024-03-15")
    assert status_of(delivery) == "missing"
    assert delivery.log_problems[["kind", "table", "id"]].values.tolist() == [
        ["unreadable_date", "send_log", "8"]]


@pytest.mark.parametrize("when", ["2024-03-07 lixo", "2024-03-07T25:00"])
def test_text_after_the_date_must_be_a_time(when):
    delivery = deliver(log(baseline(), 1001, when, log_id=8), "2024-03-15")
    assert status_of(delivery) == "missing"
    assert delivery.log_problems["kind"].tolist() == ["unreadable_date"]


def test_null_send_date_is_a_problem_and_ignored():
    delivery = deliver(log(baseline(), 1001, None, log_id=9), "2024-03-15")
    assert status_of(delivery) == "missing"
    assert delivery.log_problems[["kind", "id"]].values.tolist() == [["missing_date", "9"]]


def test_null_sent_flag_counts_as_not_sent_and_is_a_problem():
    delivery = deliver(log(baseline(), 1001, OK_AT_7, None, log_id=3), "2024-03-15")
    assert status_of(delivery) == "failed"
    assert error_kind_of(delivery) == "other"  # no message
    assert delivery.log_problems[["kind", "id"]].values.tolist() == [["unknown_value", "3"]]
    assert "enviado nulo" in delivery.log_problems["detail"].iloc[0]


@pytest.mark.parametrize(("flag", "status"), [("S", "sent"), ("sim", "sent"), ("1", "sent"),
                                              ("N", "failed"), ("não", "failed")])
def test_sent_flag_spellings(flag, status):
    delivery = deliver(log(baseline(), 1001, OK_AT_7, flag, "x"), "2024-03-15")
    assert status_of(delivery) == status
    assert delivery.log_problems.empty


def test_unknown_sent_flag_spelling_counts_as_not_sent_and_is_reported():
    delivery = deliver(log(baseline(), 1001, OK_AT_7, "talvez", log_id=4), "2024-03-15")
    assert status_of(delivery) == "failed"
    assert delivery.log_problems[["kind", "id"]].values.tolist() == [["unknown_value", "4"]]


def test_a_row_without_id_is_kept_and_reported():
    delivery = deliver(log(baseline(), 1001, OK_AT_7, log_id=None), "2024-03-15", keys=False)
    assert status_of(delivery) == "sent"
    assert delivery.log_problems[["kind", "table", "id"]].values.tolist() == [
        ["missing_id", "send_log", "(nulo)"]]


def test_a_duplicated_id_keeps_its_first_row():
    erp = log(baseline(), 1001, OK_AT_7, False, "552 5.2.2 Mailbox full", log_id=5)
    log(erp, 1001, "2024-03-10 08:00:00", True, log_id=5)
    delivery = deliver(erp, "2024-03-15", keys=False)
    assert status_of(delivery) == "failed"
    assert error_kind_of(delivery) == "mailbox_full"
    assert delivery.log_problems[["kind", "id"]].values.tolist() == [["duplicate_id", "5"]]


def test_only_the_log_of_invoices_in_scope_is_read():
    """Invoice 1002 is cancelled, 1003 due in April: their rows are neither counted nor
    checked (a null flag there is no problem of this period)."""
    erp = baseline().customer(2, status="cancelado").customer(3, due="2024-04-05")
    log(erp, 1001, OK_AT_7)
    log(erp, 1002, OK_AT_7, None)
    log(erp, 1003, OK_AT_7, None)
    delivery = deliver(erp, "2024-03-15")
    assert delivery.invoices["invoice_id"].tolist() == [1001]
    assert sorted(delivery.log["invoice_id"]) == [1001]
    assert delivery.log_problems.empty


# Expected sends ----------------------------------------------------------------------------------
def test_expected_sends_are_the_distinct_dates_of_firing_active_rules():
    erp = baseline()
    erp.add("forma_cobranca_regra_email", id_regra_email=4, id_forma_cobranca=1, dias=0,
            assunto="Duplicada", ativo=True)  # same day as rule 2: one send
    erp.add("forma_cobranca_regra_email", id_regra_email=5, id_forma_cobranca=1, dias=8,
            assunto="Inativa", ativo=False)
    erp.customer(2, paid="2024-03-08", status="pago")  # open on 03-07 only
    delivery = deliver(erp, "2024-03-11")
    by_id = delivery.invoices.set_index("invoice_id")
    assert by_id.loc[1001, "expected_sends"] == "2024-03-07;2024-03-10;2024-03-13"
    assert by_id.loc[1001, "due_sends"] == 2
    assert by_id.loc[1002, "expected_sends"] == "2024-03-07"
    assert by_id.loc[1002, "delivery"] == "missing"


def test_an_ineligible_invoice_has_no_expected_send():
    delivery = deliver(ineligible(), "2024-03-15")
    assert delivery.expected.empty
    assert delivery.invoices["expected_sends"].tolist() == [""]


# The error kind comes from the latest counted row ------------------------------------------------
def test_latest_row_by_day_then_highest_id():
    erp = log(baseline(), 1001, "2024-03-10 07:00:00", False, "535 5.7.8 auth", log_id=3)
    log(erp, 1001, "2024-03-10 06:00:00", False, "552 5.2.2 Mailbox full", log_id=4)
    log(erp, 1001, "2024-03-07 23:00:00", False, "Connection timed out", log_id=9)
    delivery = deliver(erp, "2024-03-12")
    assert error_kind_of(delivery) == "mailbox_full"  # same day as id 3, higher id; not the time
    assert delivery.invoices["last_log_message"].tolist() == ["552 5.2.2 Mailbox full"]
    assert str(delivery.invoices["last_log_date"].iloc[0])[:10] == "2024-03-10"


def test_a_row_without_id_ranks_below_the_ids_of_its_day():
    erp = log(baseline(), 1001, "2024-03-10 08:00:00", False, "552 5.2.2 Mailbox full",
              log_id=1)
    log(erp, 1001, "2024-03-10 09:00:00", False, "550 5.1.1 User unknown", log_id=None)
    assert error_kind_of(deliver(erp, "2024-03-12", keys=False)) == "mailbox_full"


def test_rows_from_as_of_on_do_not_decide_the_error_kind():
    erp = log(baseline(), 1001, OK_AT_7, False, "552 5.2.2 Mailbox full")
    log(erp, 1001, "2024-03-10 08:00:00", False, "550 5.1.1 User unknown")
    assert error_kind_of(deliver(erp, "2024-03-10")) == "mailbox_full"
    assert error_kind_of(deliver(erp, "2024-03-11")) == "recipient_unknown"


# A day without sends ---------------------------------------------------------------------------
def two_invoices() -> Erp:
    """Invoices 1001 and 1002, both due 2024-03-10: sends due on 03-07, 03-10 and 03-13."""
    return baseline().customer(2)


def test_a_day_without_sends():
    erp = two_invoices()
    log(erp, 1001, OK_AT_7)
    log(erp, 1002, OK_AT_7, False, "421 4.7.0 Try again later")
    log(erp, 1001, "2024-03-13 08:00:00")
    log(erp, 1002, "2024-03-10 08:00:00", kind="nota_fiscal")  # another e-mail: not a try
    delivery = deliver(erp, "2024-03-14")
    silent = delivery.days_without_sends()
    assert [str(d)[:10] for d in silent["day"]] == ["2024-03-10"]
    assert silent["expected"].tolist() == [2]
    alert = [a for a in delivery.alerts if a.code == "day_without_sends"]
    assert len(alert) == 1 and "10/03/2024" in alert[0].title and alert[0].invoices == 2
    days = delivery.days.set_index(delivery.days["day"].astype(str).str[:10])
    assert days.loc["2024-03-07", ["expected", "sent", "failed"]].tolist() == [2, 1, 1]
    assert days.loc["2024-03-13", ["expected", "sent", "failed"]].tolist() == [2, 1, 0]


def test_a_failed_attempt_or_an_ineligible_invoice_row_is_not_a_day_without_sends():
    erp = two_invoices().customer(3, allows=False)
    log(erp, 1001, "2024-03-10 08:00:00", False, "Connection timed out")
    log(erp, 1003, "2024-03-07 08:00:00", True)
    delivery = deliver(erp, "2024-03-11")
    assert delivery.days_without_sends().empty


def test_days_from_as_of_on_are_not_days_without_sends():
    erp = two_invoices()
    log(erp, 1001, OK_AT_7)
    assert deliver(erp, "2024-03-10").days_without_sends().empty
    assert len(deliver(erp, "2024-03-11").days_without_sends()) == 1


def test_no_expected_send_no_day_without_sends():
    """Without eligible invoices nothing is due: no day without sends, whatever the log."""
    delivery = deliver(ineligible(), "2024-03-31")
    assert delivery.days_without_sends().empty and delivery.days.empty


# Questions a page asks ----------------------------------------------------------------------------
def test_addresses_that_keep_failing():
    erp = two_invoices().customer(3)
    for day in ("07", "10", "13"):
        log(erp, 1001, f"2024-03-{day} 08:00:00", False, "550 5.1.1 User unknown",
            address="Sumiu@Exemplo.com.br ")
    log(erp, 1002, OK_AT_7, False, "552 5.2.2 Mailbox full", address="cheia@exemplo.com.br")
    log(erp, 1003, OK_AT_7, False, "421 4.7.0 Try again later", address="ok@exemplo.com.br")
    log(erp, 1003, "2024-03-10 08:00:00", True, address="ok@exemplo.com.br")
    delivery = deliver(erp, "2024-03-14")
    failing = delivery.failing_addresses()
    assert failing["address"].tolist() == ["sumiu@exemplo.com.br"]
    assert failing[["failures", "invoices", "customers"]].values.tolist() == [[3, 1, 1]]
    assert str(failing["last_error_kind"].iloc[0]) == "recipient_unknown"
    assert delivery.failing_addresses(1)["address"].tolist() == [
        "sumiu@exemplo.com.br", "cheia@exemplo.com.br"]


def test_invoice_detail_and_counts():
    erp = log(two_invoices(), 1001, OK_AT_7)
    log(erp, 1001, "2024-03-20 08:00:00", False, "x")  # after as-of: kept, not counted
    delivery = deliver(erp, "2024-03-11")
    expected, rows = delivery.invoice_detail(1001)
    assert [str(d)[:10] for d in expected["send_date"]] == ["2024-03-07", "2024-03-10",
                                                             "2024-03-13"]
    assert expected["due"].tolist() == [True, True, False]
    assert rows["counted"].tolist() == [True, False]
    assert delivery.status_counts().to_dict() == {
        "sent": 1, "scheduled": 0, "failed": 0, "missing": 1, "sent_while_ineligible": 0,
        "not_expected": 0}
    assert delivery.due_notices() == 2 and delivery.sent_share() == 0.5


def test_invoices_and_log_rows_without_a_readable_invoice_id_stop_nothing():
    """Invoices whose id is null or not a number are nobody's: no log row finds them (a log
    row naming one is no invoice's), and the others are reconciled as usual."""
    erp = baseline()
    for bad in (None, "x7"):
        erp.add("fatura", id_fatura=bad, id_cliente=1, id_cliente_servico=101,
                id_forma_cobranca=1, data_vencimento="2024-03-12", valor=5, status="aberto")
        log(erp, 1001, OK_AT_7, True, log_id=None).rows["email_enviado"][-1]["id_fatura"] = bad
    log(erp, 1001, OK_AT_7, True, log_id=50)
    delivery = deliver(erp, "2024-03-15", keys=False)
    assert status_of(delivery) == "sent"
    assert delivery.log["invoice_id"].tolist() == [1001]
    assert delivery.log_problems.empty

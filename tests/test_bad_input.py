"""The contract's "Values and bad input" rules, one by one, through SQL and the engine."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from carteiro.columns import Invoice, Problem
from carteiro.erp.normalise import parse_days
from carteiro.period import Period
from tests.test_conditions import failing, invoice


def problems(audit, kind: str | None = None) -> pd.DataFrame:
    frame = audit.problems
    return frame if kind is None else frame[frame[Problem.KIND] == kind]


# Flags ------------------------------------------------------------------------------------------
# Every spelling the contract lists, in several cases and with white space around.
TRUE_SPELLINGS = [True, 1, "1", "S", "s", "sim", "SIM", "Sim", "t", "T", "true", "TRUE", "True",
                  "yes", "Yes", "YES", "y", "Y", "verdadeiro", "Verdadeiro", "VERDADEIRO",
                  " sim ", "\tS\n", "\u00a0true "]
FALSE_SPELLINGS = [False, 0, "0", "N", "n", "não", "Não", "NÃO", "nao", "NAO", "Nao", "f", "F",
                   "false", "FALSE", "False", "no", "No", "NO", "falso", "Falso", "FALSO",
                   " não ", "\tN\n", "na\u0303o"]
UNKNOWN_SPELLINGS = ["v", "V", "talvez", "sím", "2", -1, "", "x", "ok", "oui", "ja", "s i m",
                     "ｓｉｍ", "yes!", "sim.", "verdade", "nope", "1 0"]


@pytest.mark.parametrize("flag", TRUE_SPELLINGS)
def test_true_spellings(run, erp, flag):
    erp.set("cliente", "id_cliente", 1, permite_enviar_email=flag)
    erp.set("rotina", "id_rotina", 1, ativo=flag)
    audit = run(erp)
    assert failing(audit) == []
    assert audit.problems.empty


@pytest.mark.parametrize("flag", FALSE_SPELLINGS)
def test_false_spellings(run, erp, flag):
    erp.set("cliente", "id_cliente", 1, permite_enviar_email=flag)
    erp.set("rotina", "id_rotina", 2, ativo=flag)
    audit = run(erp)
    assert failing(audit) == ["no_contact_allows_email"]
    assert audit.problems.empty


@pytest.mark.parametrize("flag", UNKNOWN_SPELLINGS)
def test_unknown_flag_spelling_is_reported_and_not_allowed(run, erp, flag):
    erp.set("cliente", "id_cliente", 1, permite_enviar_email=flag)
    audit = run(erp)
    assert failing(audit) == ["no_contact_allows_email"]
    assert problems(audit, "unknown_value")[Problem.ID].tolist() == ["1"]


@pytest.mark.parametrize("flag", UNKNOWN_SPELLINGS)
def test_unknown_active_spelling_counts_as_inactive(run, erp, flag):
    erp.set("rotina", "id_rotina", 1, ativo=flag)
    audit = run(erp)
    assert failing(audit) == ["no_email_routine"]
    assert problems(audit, "unknown_value")[Problem.ID].tolist() == ["1"]
    assert problems(audit, "null_flag").empty  # reported once, as what it is


@pytest.mark.parametrize(("table", "key", "key_value", "expected"), [
    ("forma_cobranca_regra_email", "id_regra_email", 1, []),
    ("rotina", "id_rotina", 1, ["no_email_routine"]),
    ("remetente_email", "id_remetente_email", 1, ["sender_unavailable"]),
    ("forma_cobranca", "id_forma_cobranca", 1, []),
])
def test_null_active_flag_means_inactive_and_is_reported(run, erp, table, key, key_value,
                                                         expected):
    erp.set(table, key, key_value, ativo=None)
    audit = run(erp)
    assert failing(audit) == expected
    reported = problems(audit, "null_flag")
    assert reported[Problem.ID].tolist() == [str(key_value)]


def test_null_active_rule_is_inactive(run, erp):
    for rid in (1, 2, 3):
        erp.set("forma_cobranca_regra_email", "id_regra_email", rid, ativo=None)
    audit = run(erp)
    assert failing(audit) == ["method_without_rules"]
    assert len(problems(audit, "null_flag")) == 3


# Dates ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("due", ["2024-03-31 23:59:59", "2024-03-31T23:59:59-03:00",
                                 "2024-03-31T02:00:00+09:00", "2024-03-01 00:00:00",
                                 "2024-03-15"])
def test_datetimes_and_offsets_in_period(run, erp, due):
    erp.set("fatura", "id_fatura", 1001, data_vencimento=due)
    audit = run(erp)
    assert failing(audit) == []
    assert invoice(audit)[Invoice.DUE_DATE].date() == dt.date.fromisoformat(due[:10])


@pytest.mark.parametrize("due", ["2024-04-01 00:00:00", "2024-02-29 23:59:59", "2024-04-01",
                                 "2000-02-29", "2024-05-10T08:00:00-03:00", "1999-12-31"])
def test_datetimes_outside_period(run, erp, due):
    erp.set("fatura", "id_fatura", 1001, data_vencimento=due)
    audit = run(erp)
    assert audit.invoices.empty
    assert audit.problems.empty


@pytest.mark.parametrize("due", [
    "lixo", "31/03/2024", "2024-02-30", "", "2024-13-01", "20240310", "2024-03-10 lixo",
    "2024-03-10T25:00", "2024-03-10T10:60", "2024-03-10T24:00", "2024-03-10T10:00:60",
    "2024/03/10", "2024-3-9", "2024-03-9", "2024-03-10Z", "2024-03-10  10:00",
    "2024-03-10t10:00", "2024-03-10T10", "2024-03-10 10:00 -03:00", "2024-03-10T10:00+3",
    "2024-03-10T10:00+03", "2024-03-10T10:00z", "2024-03-10T10:00:00,5",
    "2024-03-10\t10:00", "2024-03-10T", "2024-03-10\u200b", " ", "10 de março de 2024",
    "+2024-03-10", "2024-03-10T10:00:00.", "2024-03-10T1:00",
    # outside the period too: found through the due-date index (unreadable_due_dates.sql)
    "2024-05-10 lixo", "\uff12\uff10\uff12\uff14-03-10", "2023-02-29", "2100-02-29",
    "0000-03-10", "20a4-03-10", "2024/05/10", "2024-05-10T25:00", "1999-02-29 10:00",
])
def test_unreadable_due_date_is_reported_with_its_id(run, erp, due):
    erp.customer(2)
    erp.set("fatura", "id_fatura", 1001, data_vencimento=due)
    audit = run(erp)
    assert audit.invoices[Invoice.ID].tolist() == [1002]  # the rest is still computed
    reported = problems(audit, "unreadable_date")
    assert reported[Problem.ID].tolist() == ["1001"]


@pytest.mark.parametrize("due", [
    " 2024-03-10 ", "\t2024-03-10\n", "2024-03-10T10:00", "2024-03-10 10:00:59.999",
    "2024-03-10T10:00Z", "2024-03-10T10:00:00-0300", "2024-03-10T23:59:59+14:00",
    "2024-03-10 00:00", "2024-03-10T10:00:00.123456789Z", "\u00a02024-03-10T08:00-03:00\u3000",
])
def test_iso_due_dates_are_read_as_written(run, erp, due):
    erp.set("fatura", "id_fatura", 1001, data_vencimento=due)
    audit = run(erp)
    assert failing(audit) == []
    assert invoice(audit)[Invoice.DUE_DATE].date() == dt.date(2024, 3, 10)
    assert audit.problems.empty


@pytest.mark.parametrize("paid", ["2024-03-07 lixo", "2024-03-07T25:00", "07/03/2024"])
def test_unreadable_payment_dates_count_as_none(run, erp, paid):
    erp.set("fatura", "id_fatura", 1001, status="aberto", data_pagamento=paid)
    audit = run(erp)
    assert failing(audit) == []
    assert bool(invoice(audit)[Invoice.UNPAID])
    assert problems(audit, "unreadable_date")[Problem.ID].tolist() == ["1001"]


@pytest.mark.parametrize(("text", "day"), [
    ("2024-02-29", "2024-02-29"), ("2023-02-29", None), ("2100-02-29", None),
    ("2000-02-29", "2000-02-29"), ("0000-01-01", None), ("0001-01-01", "0001-01-01"),
    ("9999-12-31T23:59:59.999999+23:59", "9999-12-31"), ("2024-04-31", None),
    ("2024-00-10", None), ("2024-03-00", None), ("2024-03-32", None),
    ("2024-12-31T00:00-00:00", "2024-12-31"), ("2024-12-31T00:00+24:00", None),
    ("2024-12-31T00:00+03:60", None), ("2024-12-31 23:59:59-03:00", "2024-12-31"),
    ("２０２４-03-10", None), ("2024-03-10 lixo", None), ("2024-05-10T25:00", None),
])
def test_the_iso_grammar_and_the_calendar(text, day):
    """Dates the period filter of the query may not return, checked where they are read."""
    days, unreadable = parse_days(pd.Series([text, None], dtype=object))
    expected = None if day is None else dt.date.fromisoformat(day)
    assert (None if pd.isna(days.iloc[0]) else days.iloc[0].date()) == expected
    assert unreadable.tolist() == [day is None, False]


def test_dates_of_any_python_type_are_read_as_written():
    values = [dt.date(2024, 3, 1), dt.datetime(2024, 3, 2, 23, 59),
              pd.Timestamp("2024-03-03 23:30", tz="America/Sao_Paulo"),
              dt.datetime(2024, 3, 4, 1, tzinfo=dt.timezone(dt.timedelta(hours=9))),
              np.datetime64("2024-03-05T12:00"), "2024-03-06", 20240307, 2024.0, True,
              b"2024-03-08", None]
    days, unreadable = parse_days(pd.Series(values, dtype=object))
    assert [None if pd.isna(d) else d.day for d in days] == [1, 2, 3, 4, 5, 6] + [None] * 5
    assert unreadable.tolist() == [False] * 6 + [True] * 4 + [False]


def test_unreadable_due_date_stored_as_number_is_reported(run, erp):
    erp.set("fatura", "id_fatura", 1001, data_vencimento=20240310)
    assert problems(run(erp), "unreadable_date")[Problem.ID].tolist() == ["1001"]


def test_missing_due_date_is_reported(run, erp):
    erp.customer(2)
    erp.set("fatura", "id_fatura", 1001, data_vencimento=None)
    audit = run(erp)
    assert audit.invoices[Invoice.ID].tolist() == [1002]
    assert problems(audit, "missing_date")[Problem.ID].tolist() == ["1001"]


def test_unreadable_payment_date_counts_as_none(run, erp):
    erp.set("fatura", "id_fatura", 1001, status="aberto", data_pagamento="ontem")
    audit = run(erp)
    assert failing(audit) == []
    assert bool(invoice(audit)[Invoice.UNPAID])
    assert problems(audit, "unreadable_date")[Problem.ID].tolist() == ["1001"]


def test_payment_datetime_on_send_day_keeps_that_days_routine(run, erp):
    erp.set("fatura", "id_fatura", 1001, status="pago", data_pagamento="2024-03-07 18:30:00")
    assert failing(run(erp)) == []


# Invoice status words ---------------------------------------------------------------------------
@pytest.mark.parametrize("word", ["aberto", "Aberta", "Em aberto", "EM-ABERTO", "vencido",
                                  "Vencida "])
def test_open_words(run, erp, word):
    erp.set("fatura", "id_fatura", 1001, status=word)
    audit = run(erp)
    assert failing(audit) == []
    assert audit.problems.empty


@pytest.mark.parametrize("word", ["Em - Aberto", "em\taberto", "EM\u00a0ABERTO", "\nVencida\t",
                                  "vencído"])
def test_open_words_in_any_spacing(run, erp, word):
    erp.set("fatura", "id_fatura", 1001, status=word)
    audit = run(erp)
    assert failing(audit) == []
    assert audit.problems.empty


@pytest.mark.parametrize("word", ["pago", "PAGA", "Quitado", "\tQuitado\n", "Pagá"])
def test_paid_words_with_date(run, erp, word):
    erp.set("fatura", "id_fatura", 1001, status=word, data_pagamento="2024-03-01")
    audit = run(erp)
    assert failing(audit) == ["invoice_outside_rules"]
    assert audit.problems.empty


@pytest.mark.parametrize("word", ["cancelado", "Cancelada ", "CANCELADO", "\tcancelado\n",
                                  "Cancelâda"])
def test_cancelled_invoices_are_out_of_scope(run, erp, word):
    erp.customer(2)
    erp.set("fatura", "id_fatura", 1001, status=word)
    audit = run(erp)
    assert audit.invoices[Invoice.ID].tolist() == [1002]
    assert 1 not in audit.customers["customer_id"].tolist()


@pytest.mark.parametrize("word", ["estornado", None, "em aberto!", "pago-", "", "aberto x"])
def test_unknown_or_null_status_counts_as_open_and_is_reported(run, erp, word):
    erp.set("fatura", "id_fatura", 1001, status=word)
    audit = run(erp)
    assert failing(audit) == []
    assert problems(audit, "unknown_value")[Problem.ID].tolist() == ["1001"]


# Ids ----------------------------------------------------------------------------------------------
def test_duplicate_invoice_id_first_row_used(run, erp):
    erp.add("fatura", id_fatura=1001, id_cliente=1, id_cliente_servico=101,
            id_forma_cobranca=None, data_vencimento="2024-03-11", valor=1, status="aberto")
    audit = run(erp, keys=False)
    assert failing(audit) == []
    assert invoice(audit)[Invoice.DUE_DATE].day == 10
    assert problems(audit, "duplicate_id")[Problem.ID].tolist() == ["1001"]


def test_duplicate_customer_and_contact_ids(run, erp):
    erp.add("cliente", id_cliente=1, nome_razaosocial="Duplicado", email_principal="x",
            permite_enviar_email=False)
    erp.add("cliente_contato", id_cliente_contato=5, id_cliente=1, email="a@gmail.com",
            permite_enviar_email=False)
    erp.add("cliente_contato", id_cliente_contato=5, id_cliente=1, email="b@gmail.com",
            permite_enviar_email=True)
    audit = run(erp, keys=False)
    assert failing(audit) == []  # the first customer row (valid, allowed) is used
    dup = problems(audit, "duplicate_id")
    assert sorted(zip(dup[Problem.TABLE], dup[Problem.ID], strict=True)) == [
        ("customers", "1"), ("recipients", "5")]
    assert audit.customers["name"].tolist() == ["Cliente 1"]


def test_invoice_of_unknown_customer_is_kept_without_recipients(run, erp):
    erp.add("fatura", id_fatura=3001, id_cliente=77, id_cliente_servico=101,
            id_forma_cobranca=1, data_vencimento="2024-03-15", valor=10, status="aberto")
    erp.add("cliente_contato", id_cliente_contato=9, id_cliente=77, email="orfao@gmail.com",
            permite_enviar_email=True)
    audit = run(erp)
    assert "no_contact_allows_email" in failing(audit, 3001)
    ids = problems(audit, "unknown_id")
    assert {"3001", "9"} <= set(ids[Problem.ID])
    customers = audit.customers.set_index("customer_id")
    assert customers.loc[77, "status"] == "not_covered"
    assert pd.isna(customers.loc[77, "name"])


def test_service_of_another_customer_is_used_and_reported(run, erp):
    erp.customer(2, service_status=3)
    erp.set("fatura", "id_fatura", 1001, id_cliente_servico=102)
    audit = run(erp)
    assert failing(audit, 1001) == ["service_status_excluded"]
    foreign = problems(audit, "service_of_other_customer")
    assert foreign[Problem.ID].tolist() == ["1001"]


def test_other_period(run, erp):
    erp.customer(2, due="2024-04-05")
    audit = run(erp, period=Period(dt.date(2024, 4, 1), dt.date(2024, 4, 30)))
    assert audit.invoices[Invoice.ID].tolist() == [1002]

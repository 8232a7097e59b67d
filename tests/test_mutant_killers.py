"""Tests that kill the planted bugs which survived the suite (issue 15), one per bug.

Each expected value is written by hand from the contract (``shared/docs/domain.md``) or taken
from an independent implementation (Python's ``csv`` module), never from the code under test.
The mutations themselves live in ``bench/mutations.toml`` (ids ``issue15-*``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from carteiro.erp.load import load_data
from carteiro.erp.normalise import flag_value
from carteiro.export import neutralise_formulas, to_excel_csv, to_machine_csv, to_xlsx
from carteiro.rules.engine import evaluate
from tests.conftest import MARCH
from tests.erp_builder import COLUMNS, DDL, Erp
from tests.test_conditions import failing


def _machine_csv(frame: pd.DataFrame) -> str:
    sink = io.BytesIO()
    to_machine_csv(frame, sink)
    return sink.getvalue().decode("utf-8")


def _python_csv(rows: list[list[str]]) -> str:
    """The same rows written by Python's csv module (minimal quoting, ``\\n`` lines)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


# 1. the machine CSV does not quote `"` ----------------------------------------------------------
@pytest.mark.parametrize("name", ['"Bia" Ana', 'Ana "Bia"', '"', 'a""b', '"a,b"'])
def test_machine_csv_quotes_double_quotes_like_python_csv(name):
    frame = pd.DataFrame({"id": [1, 2], "name": pd.array([name, "plain"], dtype="string")})
    text = _machine_csv(frame)
    assert text == _python_csv([["id", "name"], ["1", name], ["2", "plain"]])
    assert list(csv.reader(io.StringIO(text)))[1] == ["1", name]


# 2. condition 6 evaluated when 5 fails ----------------------------------------------------------
@pytest.mark.parametrize("service", [None, 999], ids=["no-service", "unknown-service"])
def test_missing_service_is_only_service_missing_under_an_explicit_selection(run, erp, service):
    # The method selects only "servico_habilitado" (status 1): an explicit selection.
    erp.add("forma_cobranca_status_envio", id_forma_cobranca=1, id_servico_status=1)
    erp.set("fatura", "id_fatura", 1001, id_cliente_servico=service)
    assert failing(run(erp)) == ["service_missing"]


def test_missing_service_is_only_service_missing_when_it_blocks_nothing(run, erp):
    # Same with the default selection (a missing service has no status at all).
    erp.set("fatura", "id_fatura", 1001, id_cliente_servico=None)
    assert failing(run(erp)) == ["service_missing"]


# 3. people exports write dates mm/dd ------------------------------------------------------------
def test_people_csv_writes_day_first():
    frame = pd.DataFrame({"due": pd.to_datetime(["2024-03-05", "2024-12-13"]),
                          "paid": [dt.date(2024, 2, 1), dt.date(2024, 11, 30)]})
    text = to_excel_csv(frame).decode("utf-8-sig")
    assert text.splitlines() == ["due;paid", "05/03/2024;01/02/2024", "13/12/2024;30/11/2024"]


def test_people_xlsx_keeps_real_dates():
    from openpyxl import load_workbook

    frame = pd.DataFrame({"due": pd.to_datetime(["2024-03-05"])})
    sheet = load_workbook(io.BytesIO(to_xlsx(frame))).active
    cell = sheet["A2"]
    assert cell.value == dt.datetime(2024, 3, 5)
    assert cell.number_format == "dd/mm/yyyy"


# 4. verdadeiro / falso dropped from the yes/no words --------------------------------------------
@pytest.mark.parametrize(("word", "value"), [
    ("verdadeiro", True), ("VERDADEIRO", True), (" Verdadeiro\t", True),
    ("falso", False), ("FALSO", False), ("\nFalso ", False),
])
def test_verdadeiro_and_falso_are_yes_no_words(word, value):
    assert flag_value(word) is value


@pytest.mark.parametrize("word", ["verdadeiro", "Verdadeiro"])
def test_verdadeiro_allows_email_without_a_problem(run, erp, word):
    erp.set("cliente", "id_cliente", 1, permite_enviar_email=word)
    audit = run(erp)
    assert failing(audit) == []
    assert audit.problems.empty


@pytest.mark.parametrize("word", ["falso", "FALSO"])
def test_falso_refuses_email_without_a_problem(run, erp, word):
    erp.set("cliente", "id_cliente", 1, permite_enviar_email=word)
    audit = run(erp)
    assert failing(audit) == ["no_contact_allows_email"]
    assert audit.problems.empty


# 5. a service of another customer not reported when the invoice's customer is null ---------------
def write_loose(erp: Erp, path: Path) -> str:
    """The ERP without NOT NULL constraints (an ERP that lost them), so a null customer id fits."""
    with sqlite3.connect(path) as conn:
        conn.executescript(DDL.replace(" NOT NULL", ""))
        for table, rows in erp.rows.items():
            columns = COLUMNS[table]
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})",
                [tuple(row[c] for c in columns) for row in rows])
    return f"sqlite:///{path}"


def test_service_of_a_customer_on_an_invoice_without_customer_is_reported(erp, tmp_path):
    erp.set("fatura", "id_fatura", 1001, id_cliente=None)  # service 101 belongs to customer 1
    audit = evaluate(load_data(write_loose(erp, tmp_path / "erp.sqlite"), MARCH), MARCH)
    problems = audit.problems
    foreign = problems[problems["kind"] == "service_of_other_customer"]
    assert foreign["id"].tolist() == ["1001"]
    # and the invoice is still evaluated with that service: no recipient (null customer)
    assert failing(audit) == ["no_contact_allows_email"]


# 6. categorical columns not neutralised in exports ----------------------------------------------
DANGEROUS = ["=1+1", "+55 49", "-2", "@SUM(A1)", " =HYPERLINK(\"x\")"]


def test_categorical_text_is_neutralised():
    values = ["ok", *DANGEROUS]
    frame = pd.DataFrame({"city": pd.Categorical(values)})
    out = neutralise_formulas(frame)
    assert [str(v) for v in out["city"]] == ["ok", *("'" + v for v in DANGEROUS)]


def test_categorical_text_is_neutralised_in_both_csvs():
    frame = pd.DataFrame({"city": pd.Categorical(["=1+1", "Chapecó"])})
    assert _machine_csv(frame).splitlines() == ["city", "'=1+1", "Chapecó"]
    assert to_excel_csv(frame).decode("utf-8-sig").splitlines() == ["city", "'=1+1", "Chapecó"]


# Survivors of the bench/mutations.toml run, killed ---------------------------------------------
def test_unknown_service_status_is_allowed_under_the_default_selection(run, erp):
    """conditions-unknown-status-default: the contract allows it there, and reports it."""
    erp.set("cliente_servico", "id_cliente_servico", 101, id_servico_status=9)
    audit = run(erp)
    assert failing(audit) == []
    assert "unknown_id" in set(audit.problems["kind"])


def test_unknown_service_status_is_excluded_under_an_explicit_selection(run, erp):
    erp.add("forma_cobranca_status_envio", id_forma_cobranca=1, id_servico_status=1)
    erp.set("cliente_servico", "id_cliente_servico", 101, id_servico_status=9)
    assert failing(run(erp)) == ["service_status_excluded"]


def test_a_send_on_the_payment_day_is_expected():
    """expected-paid-on-send-day: paid on the due date (a rule's send date) later that day:
    the routine of that day still sends (open on D when paid on or after D). Rules -3, 0, +3."""
    from tests.delivery_helpers import deliver

    erp = Erp.baseline()
    erp.set("fatura", "id_fatura", 1001, status="pago", data_pagamento="2024-03-10 17:00:00")
    delivery = deliver(erp, "2024-03-31")
    sends = delivery.expected
    assert [str(d)[:10] for d in sends["send_date"]] == ["2024-03-07", "2024-03-10"]
    assert str(delivery.invoices["expected_sends"].iloc[0]) == "2024-03-07;2024-03-10"


def _plan_steps(erp: Erp, tmp_path: Path) -> list:
    from carteiro.plan.greedy import build_plan
    from carteiro.plan.simulator import Simulator

    url = erp.write_sqlite(tmp_path / "plan.sqlite")
    sim = Simulator(evaluate(load_data(url, MARCH), MARCH, {}), {})
    return list(build_plan(sim).steps)


def _method_without_rules(erp: Erp, mid: int) -> None:
    erp.add("forma_cobranca", id_forma_cobranca=mid, descricao=f"Forma {mid}", ativo=True)


def test_the_plan_ranks_customers_before_invoices(tmp_path):
    """plan-rank-invoices-first: method 2 (no rules) bills one customer's 3 invoices, method
    3 (no rules) two customers' one invoice each; covering 2 customers comes first."""
    erp = Erp.baseline()
    _method_without_rules(erp, 2)
    _method_without_rules(erp, 3)
    erp.customer(2, method=2)
    for extra in (2001, 2002):
        erp.add("fatura", id_fatura=extra, id_cliente=2, id_cliente_servico=102,
                id_forma_cobranca=2, data_vencimento="2024-03-12", valor=99.9, status="aberto")
    erp.customer(3, method=3).customer(4, method=3)
    steps = _plan_steps(erp, tmp_path)
    gains = [(s.correction.object_id, s.impact.customers, s.impact.invoices) for s in steps]
    assert gains[:2] == [(3, 2, 2), (2, 1, 3)]


def test_the_plan_breaks_ties_by_the_correction_key(tmp_path):
    """plan-ties-last: methods 2 and 3 without rules, one equal invoice each: method 2 first."""
    erp = Erp.baseline()
    _method_without_rules(erp, 3)
    _method_without_rules(erp, 2)
    erp.customer(2, method=3).customer(3, method=2)
    steps = _plan_steps(erp, tmp_path)
    gains = [(s.correction.object_id, s.impact.customers, s.impact.invoices) for s in steps]
    assert gains[:2] == [(2, 1, 1), (3, 1, 1)]

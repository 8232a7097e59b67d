"""Ids, references, a rule's ``dias`` and duplicates, exactly as the contract's "Values and bad
input" says, through real SQLite files (both readers) and the engine.

* Ids are integers; a row whose own id is null or unreadable is reported, kept where nothing
  finds it by id (a contact, a rule, a routine) and left out elsewhere; a null reference means
  "none", an unreadable one is an unknown id; a null never matches a null.
* A rule's ``dias`` is an integer within ±3650, else the rule is reported and ignored.
* A duplicated id keeps its first row (for invoices: among the rows due in the period).

The databases are written without primary keys and NOT NULL constraints (a messy ERP has
neither), so every shape reaches the queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from carteiro.columns import Invoice, Method, Problem, RuleIn, SendDate
from carteiro.erp.dataset import ErpData
from carteiro.erp.load import load_data
from carteiro.erp.normalise import integer_value, parse_integers
from carteiro.erp.readers import READER_ENV, SQLALCHEMY
from carteiro.rules.engine import Audit, evaluate
from carteiro.rules.send_dates import send_dates
from tests.conftest import MARCH
from tests.erp_builder import COLUMNS, DDL_WITHOUT_KEYS, Erp
from tests.test_conditions import failing, invoice

LOOSE_DDL = DDL_WITHOUT_KEYS.replace(" NOT NULL", "")


def write_loose(erp: Erp, path: Path) -> str:
    """The ERP as a SQLite file without keys or NOT NULL constraints."""
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in LOOSE_DDL.split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
        for table, rows in erp.rows.items():
            if rows:
                conn.execute(sa.table(table, *map(sa.column, COLUMNS[table])).insert(), rows)
    engine.dispose()
    return url


@pytest.fixture(params=["adbc", SQLALCHEMY])
def loose(request: pytest.FixtureRequest, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Callable[..., Audit]:
    """Write the ERP loosely and audit March 2024 through either reader."""
    if request.param == SQLALCHEMY:
        monkeypatch.setenv(READER_ENV, SQLALCHEMY)
    else:
        monkeypatch.delenv(READER_ENV, raising=False)
    count = iter(range(1_000))

    def audit(erp: Erp, failed: frozenset[int] = frozenset()) -> Audit:
        data: ErpData = load_data(write_loose(erp, tmp_path / f"e{next(count)}.sqlite"), MARCH)
        return evaluate(data, MARCH, failed)

    return audit


def problems(audit: Audit, kind: str, table: str | None = None) -> list[str]:
    frame = audit.problems
    hit = frame[Problem.KIND] == kind
    if table is not None:
        hit &= frame[Problem.TABLE] == table
    return frame.loc[hit, Problem.ID].tolist()


def second_customer_is_fine(audit: Audit) -> None:
    """The rest is still computed: customer 2's invoice is evaluated and eligible."""
    assert failing(audit, 1002) == []


# The integer grammar --------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [
    (7, 7), (-3, -3), (0, 0), (7.0, 7), ("7", 7), (" 7 ", 7), ("\t7\n", 7), ("+7", 7),
    ("-7", -7), ("7.0", 7), ("7.", 7), ("0007", 7), ("7e0", 7), ("1e3", 1000),
    ("9223372036854775807", 2**63 - 1), ("-9223372036854775808", -(2**63)),
    (0.6, None), ("0.6", None), ("0x1", None), ("7 a", None), ("", None), ("  ", None),
    ("7,0", None), ("1 000", None), ("1_000", None), ("nan", None), ("inf", None),
    (float("nan"), None), (float("inf"), None), (1e20, None), ("1e20", None),
    ("9223372036854775808", None), (True, None), (False, None), ("７", None), (b"7", None),
    ("1e999999999", None), (dt.date(2024, 1, 1), None),
])
def test_integer_grammar(value: Any, expected: int | None) -> None:
    assert integer_value(value) == expected


@pytest.mark.parametrize("dtype", ["object", "str", "float", "Int64"])
def test_parse_integers_agrees_with_the_grammar_for_every_column_type(dtype: str) -> None:
    values: list[Any] = {
        "object": [1, "2", 3.0, " 4 ", "0.6", "0x1", None, "7 a", "+8", "9.0", 1e20, "1e3"],
        "str": ["1", " 2", "3.0", "x", None, "", "-4", "99999999999999999999", "+5", "0006"],
        "float": [1.0, 2.5, np.nan, -3.0, 1e20, 9.007199254740992e15],
        "Int64": [1, None, -2],
    }[dtype]
    series = pd.Series(values, dtype=dtype, index=np.arange(len(values)) * 10)
    parsed, unreadable = parse_integers(series)
    expected = [None if pd.isna(v) else integer_value(v) for v in series.astype(object)]
    assert parsed.dtype == "Int64"
    assert [None if pd.isna(v) else int(v) for v in parsed] == expected
    assert unreadable.tolist() == [e is None and not pd.isna(v)
                                   for v, e in zip(series.astype(object), expected, strict=True)]
    assert parsed.index.equals(series.index) and unreadable.index.equals(series.index)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(
    st.integers(-(2**64), 2**64), st.floats(allow_nan=True), st.none(),
    st.text(st.sampled_from(list("0123456789+-.eE x")), max_size=8),
    st.builds(str, st.integers(-(2**64), 2**64))), max_size=20))
def test_parse_integers_is_the_grammar_value_by_value(values: list[Any]) -> None:
    series = pd.Series(values, dtype=object)
    parsed, unreadable = parse_integers(series)
    for value, got, bad in zip(values, parsed, unreadable, strict=True):
        expected = None if value is None or value != value else integer_value(value)
        assert (None if pd.isna(got) else int(got)) == expected
        assert bad == (expected is None and value is not None and value == value)


# Two rows without an id do not crash the audit ------------------------------------------------
@pytest.mark.parametrize(("table", "key", "extra"), [
    ("servico_status", "id_servico_status", {"descricao": "X", "prefixo": "servico_habilitado"}),
    ("forma_cobranca", "id_forma_cobranca", {"descricao": "X", "id_remetente_email": 99,
                                              "ativo": True}),
    ("remetente_email", "id_remetente_email", {"descricao": "X", "host": "h", "porta": 25,
                                                "seguranca": "tls", "email_origem": "a@b.com",
                                                "padrao": True, "ativo": True}),
    ("cliente_servico", "id_cliente_servico", {"id_cliente": 1, "id_servico_status": 3}),
    ("cliente", "id_cliente", {"nome_razaosocial": "X", "email_principal": "x@gmail.com",
                                "permite_enviar_email": True}),
])
@pytest.mark.parametrize("bad_id", [None, "x", "1 a", 0.6])
def test_rows_without_a_readable_id_are_reported_and_left_out(loose, erp, table, key, extra,
                                                               bad_id):
    erp.customer(2)
    for _ in range(2):
        erp.add(table, **{key: bad_id}, **extra)
    audit = loose(erp)
    assert failing(audit) == []  # nothing finds them: they are not there
    second_customer_is_fine(audit)
    kind = "missing_id" if bad_id is None else "unreadable_id"
    assert problems(audit, kind) == ["(nulo)" if bad_id is None else str(bad_id)] * 2


def test_a_contact_rule_and_routine_without_id_are_still_used(loose, erp):
    erp.set("cliente", "id_cliente", 1, permite_enviar_email=False)
    erp.add("cliente_contato", id_cliente_contato=None, id_cliente=1, email="c@gmail.com",
            permite_enviar_email=True)
    erp.delete("forma_cobranca_regra_email", id_regra_email=1)
    erp.delete("forma_cobranca_regra_email", id_regra_email=3)
    erp.set("forma_cobranca_regra_email", "id_regra_email", 2, id_regra_email="r2")
    erp.set("rotina", "id_rotina", 1, id_rotina=None)
    audit = loose(erp)
    assert failing(audit) == []
    assert problems(audit, "missing_id") == ["(nulo)", "(nulo)"]
    assert problems(audit, "unreadable_id") == ["r2"]
    assert send_dates(audit)[SendDate.DAYS].tolist() == [0]


# A null never matches a null ------------------------------------------------------------------
def test_invoice_without_method_does_not_match_a_method_without_id(loose, erp):
    erp.set("fatura", "id_fatura", 1001, id_forma_cobranca=None)
    erp.add("forma_cobranca", id_forma_cobranca=None, descricao="Sem id",
            id_remetente_email=99, ativo=True)
    erp.add("forma_cobranca_regra_email", id_regra_email=9, id_forma_cobranca=None, dias=0,
            ativo=True)
    audit = loose(erp)
    assert failing(audit) == ["method_without_rules"]  # default sender: available
    assert invoice(audit)[Invoice.SENDER_ID] == 1
    assert send_dates(audit).empty
    assert audit.alerts == []


def test_invoice_without_service_does_not_match_a_service_without_id(loose, erp):
    erp.set("fatura", "id_fatura", 1001, id_cliente_servico=None)
    erp.add("cliente_servico", id_cliente_servico=None, id_cliente=1, id_servico_status=1)
    assert failing(loose(erp)) == ["service_missing"]


def test_service_without_status_does_not_match_a_status_without_id(loose, erp):
    erp.add("forma_cobranca_status_envio", id_forma_cobranca=1, id_servico_status=1)
    erp.set("cliente_servico", "id_cliente_servico", 101, id_servico_status=None)
    erp.add("servico_status", id_servico_status=None, descricao="Sem id",
            prefixo="servico_habilitado")
    audit = loose(erp)
    assert failing(audit) == ["service_status_excluded"]  # explicit selection, no status
    assert pd.isna(invoice(audit)[Invoice.SERVICE_STATUS])


def test_invoice_without_customer_does_not_match_a_customer_without_id(loose, erp):
    erp.set("fatura", "id_fatura", 1001, id_cliente=None)
    erp.set("cliente_servico", "id_cliente_servico", 101, id_cliente=None)
    erp.add("cliente", id_cliente=None, nome_razaosocial="Sem id",
            email_principal="semid@gmail.com", permite_enviar_email=True)
    erp.add("cliente_contato", id_cliente_contato=7, id_cliente=None, email="c@gmail.com",
            permite_enviar_email=True)
    audit = loose(erp)
    assert failing(audit) == ["no_contact_allows_email"]


def test_method_without_sender_does_not_match_a_sender_without_id(loose, erp):
    erp.set("remetente_email", "id_remetente_email", 1, ativo=False)
    erp.add("remetente_email", id_remetente_email=None, descricao="Sem id", host="h",
            porta=25, seguranca="tls", email_origem="a@b.com", padrao=True, ativo=True)
    audit = loose(erp)
    assert failing(audit) == ["sender_unavailable"]


# References -----------------------------------------------------------------------------------
@pytest.mark.parametrize("ref", ["1 a", "0x1", 0.6, "um"])
def test_unreadable_method_of_an_invoice_is_an_unknown_id(loose, erp, ref):
    erp.customer(2)
    erp.set("fatura", "id_fatura", 1001, id_forma_cobranca=ref)
    audit = loose(erp)
    assert failing(audit) == ["method_without_rules"]
    assert problems(audit, "unknown_id", "invoices") == ["1001"]
    detail = audit.problems.loc[audit.problems[Problem.KIND] == "unknown_id", Problem.DETAIL]
    assert str(ref) in detail.iloc[0]
    second_customer_is_fine(audit)


@pytest.mark.parametrize("ref", ["101 a", "0x65", 101.5])
def test_unreadable_service_of_an_invoice_is_an_unknown_id(loose, erp, ref):
    erp.set("fatura", "id_fatura", 1001, id_cliente_servico=ref)
    audit = loose(erp)
    assert failing(audit) == ["service_missing"]
    assert problems(audit, "unknown_id", "invoices") == ["1001"]


def test_unreadable_customer_of_an_invoice_is_an_unknown_id(loose, erp):
    erp.set("fatura", "id_fatura", 1001, id_cliente="1 a")
    audit = loose(erp)
    assert failing(audit) == ["no_contact_allows_email"]
    assert "1001" in problems(audit, "unknown_id", "invoices")


def test_unreadable_sender_of_a_method_gets_no_default_sender(loose, erp):
    erp.set("forma_cobranca", "id_forma_cobranca", 1, id_remetente_email="um")
    audit = loose(erp)
    assert failing(audit) == ["sender_unavailable"]
    assert problems(audit, "unknown_id", "billing_methods") == ["1"]
    assert not audit.billing_methods[Method.SENDER_AVAILABLE].iloc[0]
    assert [a.code for a in audit.alerts] == ["sender_unavailable"]
    assert "ilegível" in audit.alerts[0].title


def test_unreadable_status_of_a_service_is_unknown(loose, erp):
    erp.set("cliente_servico", "id_cliente_servico", 101, id_servico_status="1 a")
    audit = loose(erp)
    assert failing(audit) == []  # unknown status: allowed under the default selection
    assert problems(audit, "unknown_id", "services") == ["101"]


def test_integral_real_ids_are_integers(loose, erp):
    erp.set("fatura", "id_fatura", 1001, id_forma_cobranca=1.0, id_cliente_servico="101.0",
            id_cliente=" 1 ")
    audit = loose(erp)
    assert failing(audit) == []
    assert audit.problems.empty


# A rule's dias ----------------------------------------------------------------------------------
@pytest.mark.parametrize("days", ["3 dias", 2.5, 99999999999, 1e20, 3651, -3651, None, "",
                                  "0x3", "três"])
def test_a_rule_with_bad_days_is_reported_and_ignored(loose, erp, days):
    erp.customer(2)
    erp.set("forma_cobranca_regra_email", "id_regra_email", 2, dias=days)
    audit = loose(erp)
    assert failing(audit) == []  # rules 1 and 3 still fire
    assert problems(audit, "unknown_value", "email_rules") == ["2"]
    assert 2 not in audit.data.email_rules[RuleIn.ID].tolist()  # as if it did not exist
    assert sorted(send_dates(audit, [1001])[SendDate.DAYS]) == [-3, 3]
    second_customer_is_fine(audit)


@pytest.mark.parametrize(("days", "offset"), [(3650, 3650), (-3650, -3650), ("7", 7),
                                              (" -2 ", -2), (4.0, 4), ("5.0", 5)])
def test_days_within_ten_years_are_read(loose, erp, days, offset):
    erp.set("forma_cobranca_regra_email", "id_regra_email", 2, dias=days)
    audit = loose(erp)
    assert audit.problems.empty
    assert offset in send_dates(audit, [1001])[SendDate.DAYS].tolist()


def test_every_rule_with_bad_days_leaves_the_method_without_rules(loose, erp):
    for rid, days in ((1, 1e20), (2, "x"), (3, None)):
        erp.set("forma_cobranca_regra_email", "id_regra_email", rid, dias=days)
    audit = loose(erp)
    assert failing(audit) == ["method_without_rules"]
    assert problems(audit, "unknown_value", "email_rules") == ["1", "2", "3"]


# Duplicates ------------------------------------------------------------------------------------
def test_duplicate_invoice_first_row_due_in_the_period_wins(loose, erp):
    erp.rows["fatura"].insert(0, {**erp.rows["fatura"][0], "data_vencimento": "lixo",
                                  "status": "cancelado"})
    audit = loose(erp)
    assert failing(audit) == []  # the readable row, not the cancelled unreadable one
    assert problems(audit, "unreadable_date") == ["1001"]
    assert problems(audit, "duplicate_id") == []


def test_duplicate_invoice_both_in_the_period_first_wins(loose, erp):
    erp.add("fatura", id_fatura=1001, id_cliente=1, id_cliente_servico=101,
            id_forma_cobranca=None, data_vencimento="2024-03-20", valor=1, status="aberto")
    audit = loose(erp)
    assert invoice(audit)[Invoice.DUE_DATE].day == 10
    assert problems(audit, "duplicate_id") == ["1001"]


@pytest.mark.parametrize("table", ["servico_status", "forma_cobranca", "remetente_email"])
def test_duplicate_reference_rows_first_wins(loose, erp, table):
    first = erp.rows[table][0]
    if table == "servico_status":
        erp.rows[table].append({**first, "prefixo": "cancelado"})
    elif table == "forma_cobranca":
        erp.rows[table].append({**first, "id_remetente_email": 99})
    else:
        erp.rows[table].append({**first, "ativo": False})
    audit = loose(erp)
    assert failing(audit) == []
    assert problems(audit, "duplicate_id") == ["1"]


# Both readers --------------------------------------------------------------------------------
def test_both_readers_normalise_messy_ids_identically(tmp_path, monkeypatch):
    """Text ids mixed with integers are text on the fast reader and Python objects on the
    reference one: the normalised tables (problems included) are the same."""
    from tests.test_fast_reader import assert_same_data, assert_same_results, read_data

    erp = Erp.baseline()
    for cid in range(2, 40):
        erp.customer(cid, method=(1, "1 a", None, 1.0, " 1 ")[cid % 5])
    erp.add("fatura", id_fatura="1003 a", id_cliente=3, id_cliente_servico=103,
            id_forma_cobranca=1, data_vencimento="2024-03-10", valor=1, status="aberto")
    erp.add("fatura", id_fatura=None, id_cliente=3, id_cliente_servico=103,
            id_forma_cobranca=1, data_vencimento="2024-03-10T25:00", valor=1, status="aberto")
    erp.add("cliente_servico", id_cliente_servico="x", id_cliente=2, id_servico_status="1 a")
    erp.add("cliente_contato", id_cliente_contato=None, id_cliente=2, email="a@gmail.com",
            permite_enviar_email="v")
    erp.add("cliente_contato", id_cliente_contato=0.5, id_cliente="2.0", email="b@gmail.com",
            permite_enviar_email=1)
    erp.add("forma_cobranca_regra_email", id_regra_email="r", id_forma_cobranca="1",
            dias=1e20, ativo=True)
    erp.add("forma_cobranca_regra_email", id_regra_email=None, id_forma_cobranca=1.0,
            dias="7", ativo="sim")
    erp.add("servico_status", id_servico_status=None, descricao="G", prefixo="x")
    erp.add("remetente_email", id_remetente_email="s", descricao="G", host="h", porta=1,
            seguranca="tls", email_origem="g@g.com", padrao=True, ativo=True)
    url = write_loose(erp, tmp_path / "messy.sqlite")
    reference = read_data(url, MARCH, SQLALCHEMY, monkeypatch)
    fast = read_data(url, MARCH, "adbc-sqlite", monkeypatch)
    assert_same_data(reference, fast)
    assert_same_results(reference, fast, MARCH)
    kinds = set(fast.problems[Problem.KIND])
    assert {"missing_id", "unreadable_id", "unknown_id", "unknown_value"} <= kinds

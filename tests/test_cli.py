"""The ``audit`` command: CSV columns, values equal to the engine's, and clear failures."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from carteiro.erp.load import load_data
from carteiro.erp.source import resolve_source
from carteiro.rules.engine import evaluate
from tests.cli_helpers import assert_one_line_error, carteiro
from tests.conftest import MARCH
from tests.erp_builder import Erp

PERIOD = ("--start", "2024-03-01", "--end", "2024-03-31")


@pytest.fixture
def mixed_db(write_db) -> str:
    erp = Erp.baseline()
    erp.customer(2, allows=None).customer(3, email="x@x").customer(4, service_status=3)
    erp.customer(5, method=None, name="=HYPERLINK(\"http://x\")")
    erp.customer(6, notice="somente_sms", paid="2024-03-01", status="pago")
    erp.customer(7, due="lixo")
    return write_db(erp)


def test_invoice_level_csv_matches_engine(mixed_db, tmp_path):
    out = tmp_path / "faturas.csv"
    result = carteiro("audit", "--db", mixed_db, *PERIOD, "--output", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith(
        "invoice_id,customer_id,eligible,primary_reason,reasons,")
    csv = pd.read_csv(out, dtype=str, keep_default_na=False)
    audit = evaluate(load_data(mixed_db, MARCH), MARCH)
    expected = audit.invoices
    assert csv["invoice_id"].tolist() == expected["invoice_id"].astype(str).tolist()
    assert csv["eligible"].tolist() == [
        "true" if e else "false" for e in expected["eligible"]]
    assert csv["reasons"].tolist() == expected["reasons"].astype(str).tolist()
    assert csv["primary_reason"].tolist() == (
        expected["primary_reason"].astype("string").fillna("").tolist())
    assert set(csv["eligible"]) == {"true", "false"}
    # and independently of the engine: each invoice of mixed_db worked out by hand
    assert dict(zip(csv["invoice_id"], csv["reasons"], strict=True)) == {
        "1001": "",
        "1002": "no_contact_allows_email",  # permite_enviar_email null: not allowed
        "1003": "no_valid_email",  # x@x: no valid address
        "1004": "service_status_excluded",  # cancelado, default selection
        "1005": "method_without_rules",  # no billing method (default sender is fine)
        "1006": "invoice_outside_rules;service_blocks_email",  # paid 03-01, first send 03-07
    }  # 1007: unreadable due date, out of scope
    assert csv.set_index("invoice_id")["primary_reason"].to_dict() == {
        "1001": "", "1002": "no_contact_allows_email", "1003": "no_valid_email",
        "1004": "service_status_excluded", "1005": "method_without_rules",
        "1006": "invoice_outside_rules"}
    # the summary on stderr counts reasons and data problems
    assert "no_valid_email: 1 clientes / 1 faturas" in result.stderr
    assert "Problemas nos dados: 1" in result.stderr
    assert "unreadable_date: 1" in result.stderr


def test_customer_level_csv_to_stdout(mixed_db):
    result = carteiro("audit", "--db", mixed_db, *PERIOD, "--level", "customer")
    assert result.returncode == 0, result.stderr
    csv = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    assert list(csv.columns[:4]) == ["customer_id", "status", "primary_reason", "reasons"]
    by_id = csv.set_index("customer_id")
    assert by_id.loc["1", "status"] == "covered"
    assert by_id.loc["1", "reasons"] == ""
    assert by_id.loc["2", "status"] == "not_covered"
    assert by_id.loc["2", "reasons"] == "no_contact_allows_email"
    assert by_id.loc["6", "reasons"] == "invoice_outside_rules;service_blocks_email"
    assert "7" not in by_id.index  # its only invoice has an unreadable due date
    assert by_id.loc["5", "name"].startswith("'=")  # neutralised formula


def test_default_period_is_current_month(write_db):
    import datetime as dt
    from zoneinfo import ZoneInfo

    today = dt.datetime.now(ZoneInfo("America/Sao_Paulo")).date()  # the provider's day
    erp = Erp.baseline()
    erp.set("fatura", "id_fatura", 1001, data_vencimento=today.isoformat())
    result = carteiro("audit", "--db", write_db(erp))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("1001,1,true")


@pytest.mark.parametrize(("args", "fragment"), [
    (("--start", "2024-31-01"), "--start: data inválida '2024-31-01'"),
    (("--end", "amanhã"), "--end: data inválida 'amanhã'"),
    (("--start", "2024-03-10", "--end", "2024-03-01"), "período inválido"),
])
def test_bad_dates(mixed_db, args, fragment):
    assert_one_line_error(carteiro("audit", "--db", mixed_db, *args), fragment)


def test_bad_url():
    assert_one_line_error(carteiro("audit", "--db", "isto não é uma url"), "URL do banco")


def test_unsupported_driver():
    assert_one_line_error(carteiro("audit", "--db", "oracle+nada://x/y"), "não suportada")


def test_missing_sqlite_file(tmp_path):
    missing = tmp_path / "nao_existe.sqlite"
    assert_one_line_error(carteiro("audit", "--db", f"sqlite:///{missing}"), str(missing))
    assert not missing.exists()  # read-only: nothing created


def test_missing_table_names_the_query_file(write_db):
    url = write_db(Erp.baseline())
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute("DROP TABLE rotina")
    assert_one_line_error(carteiro("audit", "--db", url, *PERIOD),
                          "rotina", "queries/routines.sql")


def test_missing_column_names_the_file_and_column(write_db):
    url = write_db(Erp.baseline())
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute("ALTER TABLE fatura DROP COLUMN data_pagamento")
    assert_one_line_error(carteiro("audit", "--db", url, *PERIOD),
                          "data_pagamento", "queries/invoices.sql")


def test_unreachable_server():
    line = assert_one_line_error(
        carteiro("audit", "--db", "postgresql+psycopg://u:segredo@127.0.0.1:9/erp"))
    assert "segredo" not in line


def test_output_to_unwritable_place(mixed_db, tmp_path):
    target = tmp_path / "nao" / "existe" / "x.csv"
    assert_one_line_error(carteiro("audit", "--db", mixed_db, *PERIOD, "--output", str(target)),
                          "não foi possível gravar")


def test_url_resolution_order(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[connections.erp]\ndialect = "postgresql"\ndriver = "psycopg"\n'
                       'host = "db.provedor"\nport = 5432\ndatabase = "erp"\n'
                       'username = "leitura"\npassword = "s3nh@"\n', encoding="utf-8")
    from_secrets = resolve_source(None, secrets)
    assert from_secrets.origin == "secrets.toml"
    assert from_secrets.url.startswith("postgresql+psycopg://leitura:")
    assert "s3nh" not in from_secrets.display
    monkeypatch.setenv("CARTEIRO_DB_URL", "sqlite:///env.sqlite")
    assert resolve_source(None, secrets).url == "sqlite:///env.sqlite"
    assert resolve_source("sqlite:///arg.sqlite", secrets).url == "sqlite:///arg.sqlite"
    monkeypatch.delenv("CARTEIRO_DB_URL")
    assert resolve_source(None, tmp_path / "absent.toml").is_demo


def test_secrets_url_form(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[connections.erp]\nurl = "mysql+pymysql://r@h/erp"\n', encoding="utf-8")
    assert resolve_source(None, Path(secrets)).url == "mysql+pymysql://r@h/erp"

"""End to end: demo database → CLI → CSV, checked against the engine's own tables.

These are plumbing tests (the CSV carries what the engine computed). The independent
expectations for the same demo, invoice and customer level, come from a per-row oracle of the
contract that imports no carteiro code: tests/test_contract_oracle.py."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from carteiro import demo
from carteiro.erp.load import load_data
from carteiro.period import Period
from carteiro.rules.catalogue import REASON_CODES
from carteiro.rules.engine import evaluate
from tests.cli_helpers import carteiro

PERIOD = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31))
ARGS = ("--start", "2024-03-01", "--end", "2024-03-31")
COUNT_LINE = re.compile(r"^  (\w+): ([\d.]+) clientes / ([\d.]+) faturas", re.M)


def _generate(path: Path, with_routine: bool = True) -> str:
    url = f"sqlite:///{path}"
    demo.generate(url, customers=2_000, months=3, seed=7, with_routine=with_routine,
                  end_month=dt.date(2024, 3, 1), as_of=dt.date(2024, 3, 31))
    return url


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    return _generate(tmp_path_factory.mktemp("demo") / "demo.sqlite")


def summary_counts(stderr: str) -> dict[str, tuple[int, int]]:
    return {code: (int(c.replace(".", "")), int(i.replace(".", "")))
            for code, c, i in COUNT_LINE.findall(stderr)}


def test_invoice_csv_equals_engine_tables(demo_url, tmp_path):
    out = tmp_path / "faturas.csv"
    result = carteiro("audit", "--db", demo_url, *ARGS, "--output", str(out))
    assert result.returncode == 0, result.stderr
    csv = pd.read_csv(out, dtype=str, keep_default_na=False)
    audit = evaluate(load_data(demo_url, PERIOD), PERIOD)
    inv = audit.invoices
    assert len(csv) == len(inv) > 1_000
    assert csv["invoice_id"].tolist() == inv["invoice_id"].astype(str).tolist()
    assert csv["customer_id"].tolist() == inv["customer_id"].astype(str).tolist()
    assert csv["eligible"].tolist() == inv["eligible"].map({True: "true", False: "false"}).tolist()
    assert csv["primary_reason"].tolist() == inv["primary_reason"].astype("string").fillna(
        "").tolist()
    assert csv["reasons"].tolist() == inv["reasons"].astype(str).tolist()
    # the summary's counts are the engine's
    counts = summary_counts(result.stderr)
    assert list(counts) == list(REASON_CODES)
    for code in REASON_CODES:
        assert counts[code][1] == int(inv[code].sum())


def test_customer_csv_equals_engine_tables(demo_url):
    result = carteiro("audit", "--db", demo_url, *ARGS, "--level", "customer")
    assert result.returncode == 0, result.stderr
    csv = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    cust = evaluate(load_data(demo_url, PERIOD), PERIOD).customers
    assert csv["customer_id"].tolist() == cust["customer_id"].astype(str).tolist()
    assert csv["status"].tolist() == cust["status"].astype(str).tolist()
    assert csv["reasons"].tolist() == cust["reasons"].astype(str).tolist()
    assert set(csv["status"]) == {"covered", "partial", "not_covered"}


def test_every_condition_but_the_routine_occurs(demo_url):
    result = carteiro("audit", "--db", demo_url, *ARGS, "--output", "/dev/null")
    counts = summary_counts(result.stderr)
    nonzero = [code for code, (customers, invoices) in counts.items() if customers and invoices]
    assert nonzero == [c for c in REASON_CODES if c != "no_email_routine"]
    assert "Problemas nos dados:" in result.stderr


def test_without_routine_all_nine_occur(tmp_path):
    url = _generate(tmp_path / "sem_rotina.sqlite", with_routine=False)
    result = carteiro("audit", "--db", url, *ARGS, "--output", "/dev/null")
    assert result.returncode == 0, result.stderr
    counts = summary_counts(result.stderr)
    assert [code for code, (c, i) in counts.items() if c and i] == list(REASON_CODES)
    assert "ALERTA [no_email_routine]" in result.stderr


def test_demo_database_is_created_on_first_use(tmp_path):
    target = tmp_path / "demo.sqlite"
    result = carteiro("audit", "--level", "customer", "--output", "/dev/null",
                      env={"CARTEIRO_DEMO_DB": str(target)}, timeout=600)
    assert result.returncode == 0, result.stderr
    assert target.exists()
    assert "Criando o banco de demonstração" in result.stderr
    # the default period is the current month, and the demo ends this month
    counts = summary_counts(result.stderr)
    assert sum(c for c, _ in counts.values()) > 0
    again = carteiro("audit", "--output", "/dev/null", env={"CARTEIRO_DEMO_DB": str(target)})
    assert "Criando" not in again.stderr

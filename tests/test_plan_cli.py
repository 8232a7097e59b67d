"""``carteiro plan``: the CSV (stable columns, the engine's plan, text that stays text), the
summary on stderr, clear one-line failures, and the ERP database left as it was."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from carteiro.erp.load import load_data
from carteiro.plan.greedy import build_plan
from carteiro.plan.simulator import Simulator
from carteiro.rules.engine import evaluate
from tests.cli_helpers import assert_one_line_error, carteiro
from tests.conftest import MARCH
from tests.erp_builder import Erp
from tests.plan_oracle import digest
from tests.test_plan import sender_beats_rules

PERIOD = ("--start", "2024-03-01", "--end", "2024-03-31")
HEADER = ("step,correction,condition,object_id,objects,action,erp_path,invoices_gained,"
          "customers_gained,amount_gained,customers_covered_after,coverage_after")
HOSTILE = '=HYPERLINK("http://x"), "Carnê"\nlinha 2'


@pytest.fixture
def db(write_db) -> str:
    erp = sender_beats_rules()
    erp.set("forma_cobranca", "id_forma_cobranca", 2, descricao=HOSTILE)
    erp.customer(60, email="x@x")
    return write_db(erp)


def test_csv_is_the_plan(db, tmp_path):
    path = Path(db.removeprefix("sqlite:///"))
    before = digest(path)
    out = tmp_path / "plano.csv"
    result = carteiro("plan", "--db", db, *PERIOD, "--output", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == HEADER
    rows = list(csv.reader(io.StringIO(text)))
    assert all(len(row) == len(HEADER.split(",")) for row in rows)
    sim = Simulator(evaluate(load_data(db, MARCH), MARCH))
    expected = build_plan(sim).frame()
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert got["correction"].tolist() == ["fix_sender", "add_rules", "fix_addresses"]
    assert got["step"].tolist() == ["1", "2", "3"]
    assert got["object_id"].tolist() == ["2", "3", ""]
    assert got["objects"].tolist() == ["1", "1", "1"]
    assert got["customers_gained"].tolist() == [str(v) for v in expected["customers_gained"]]
    assert got["amount_gained"].tolist()[0] == "3996"
    assert got["coverage_after"].tolist()[-1] == "1"
    assert got["action"].tolist() == expected["action"].tolist()
    assert HOSTILE in got["action"][0]  # the ERP's text, whole, as text
    assert digest(path) == before  # nothing written to the ERP database


def test_summary_on_stderr(db):
    result = carteiro("plan", "--db", db, *PERIOD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == HEADER
    err = result.stderr
    assert "Carteiro: plano de correções, período 01/03/2024 a 31/03/2024" in err
    assert "Hoje: 1 de 52 clientes cobertos (1,9%)" in err
    assert "1. Ativar o remetente «Remetente 2» (id 2)" in err
    assert "+40 clientes, +40 faturas, R$ 3.996,00 com aviso → cobertura 78,8%" in err
    assert "Só com as correções de configuração (passos 1 a 2): 51 clientes" in err
    assert "Com todas as correções: 52 clientes cobertos (100,0%)" in err


def test_nothing_to_correct(write_db):
    result = carteiro("plan", "--db", write_db(Erp.baseline()), *PERIOD)
    assert result.returncode == 0, result.stderr
    assert result.stdout == HEADER + "\n"
    assert "Nenhuma correção a sugerir" in result.stderr


@pytest.mark.parametrize(("args", "fragment"), [
    (("--start", "2024-31-01"), "--start: data inválida '2024-31-01'"),
    (("--start", "2024-03-10", "--end", "2024-03-01"), "período inválido"),
])
def test_bad_dates(db, args, fragment):
    assert_one_line_error(carteiro("plan", "--db", db, *args), fragment)


def test_missing_database(tmp_path):
    missing = tmp_path / "nao_existe.sqlite"
    assert_one_line_error(carteiro("plan", "--db", f"sqlite:///{missing}"), str(missing))
    assert not missing.exists()


def test_output_to_unwritable_place(db, tmp_path):
    target = tmp_path / "nao" / "existe" / "x.csv"
    assert_one_line_error(carteiro("plan", "--db", db, *PERIOD, "--output", str(target)),
                          "não foi possível gravar")


def test_a_period_without_invoices(db):
    result = carteiro("plan", "--db", db, "--start", "2030-01-01", "--end", "2030-01-31")
    assert result.returncode == 0, result.stderr
    assert result.stdout == HEADER + "\n"
    assert "Nenhuma fatura no escopo do período" in result.stderr

"""``carteiro audit --level delivery`` and ``--as-of``: the CSV's columns and values (worked out
by hand), the summary, and clear failures."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from tests.cli_helpers import assert_one_line_error, carteiro
from tests.delivery_helpers import log
from tests.erp_builder import Erp

PERIOD = ("--start", "2024-03-01", "--end", "2024-03-31")
FIRST = ["invoice_id", "customer_id", "eligible", "delivery", "error_kind"]


@pytest.fixture
def mixed_db(write_db) -> str:
    """As of 2024-03-14 (sends due on 03-07, 03-10 and 03-13 for invoices due 03-10):
    1001 sent; 1002 failed (mailbox full, its latest row); 1003 missing; 1004 scheduled (due
    03-25); 1005 sent while ineligible; 1006 not expected; 1007 cancelled (out of scope).
    13 March is a day without sends (3 notices due, no row); on 7 and 10 March rows exist."""
    erp = Erp.baseline().customer(2).customer(3).customer(4, due="2024-03-25")
    erp.customer(5, allows=False).customer(6, method=None).customer(7, status="cancelado")
    log(erp, 1001, "2024-03-07 08:00:00", True)
    log(erp, 1002, "2024-03-07 08:00:00", False, "421 4.7.0 Try again later")
    log(erp, 1002, "2024-03-10 08:00:00", False, "=552 5.2.2 Mailbox full, \"cheia\"")
    log(erp, 1003, "2024-03-07 08:00:00", True, kind="nota_fiscal")
    log(erp, 1005, "2024-03-07 08:00:00", True)
    log(erp, 1006, "2024-03-07 08:00:00", False, "550 5.1.1 User unknown")
    log(erp, 1007, "2024-03-07 08:00:00", True)
    log(erp, 1001, "2024-03-14 08:00:00", None)  # on the as-of date: not known yet
    return write_db(erp)


def test_delivery_csv(mixed_db, tmp_path):
    out = tmp_path / "entrega.csv"
    result = carteiro("audit", "--db", mixed_db, *PERIOD, "--level", "delivery", "--as-of",
                      "2024-03-14", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith(",".join(FIRST) + ",")
    csv = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(csv.columns[:5]) == FIRST
    assert csv[FIRST].values.tolist() == [
        ["1001", "1", "true", "sent", ""],
        ["1002", "2", "true", "failed", "mailbox_full"],
        ["1003", "3", "true", "missing", ""],
        ["1004", "4", "true", "scheduled", ""],
        ["1005", "5", "false", "sent_while_ineligible", ""],
        ["1006", "6", "false", "not_expected", ""],
    ]
    row = csv.set_index("invoice_id")
    assert row.loc["1002", "expected_sends"] == "2024-03-07;2024-03-10;2024-03-13"
    assert row.loc["1002", "last_log_date"] == "2024-03-10"
    assert row.loc["1002", "last_log_message"] == "'=552 5.2.2 Mailbox full, \"cheia\""
    assert row.loc["1004", "due_sends"] == "0" and row.loc["1004", "last_log_date"] == ""
    assert row.loc["1001", "log_rows"] == "1"  # the row dated on the as-of date is not counted
    assert row.loc["1006", "primary_reason"] == "method_without_rules"
    # the summary
    err = result.stderr
    for line in ("  sent: 1 — Enviada", "  failed: 1 — Falhou", "  missing: 1 — Não enviada",
                 "  scheduled: 1 — Agendada", "  sent_while_ineligible: 1",
                 "  not_expected: 1", "  mailbox_full: 1 — Caixa cheia",
                 "  temporary: 0", "Dias sem envios: 1", "13/03/2024: 3 avisos previstos",
                 "ALERTA [day_without_sends]", "antes de 14/03/2024"):
        assert line in err, line
    assert "10/03/2024" not in err.split("Dias sem envios")[1]  # 1002 was tried that day


def test_log_problems_are_in_the_summary(write_db):
    erp = log(Erp.baseline(), 1001, "lixo", True, log_id=77)
    result = carteiro("audit", "--db", write_db(erp), *PERIOD, "--level", "delivery",
                      "--as-of", "2024-03-20", "--output", "/dev/null")
    assert result.returncode == 0, result.stderr
    assert "unreadable_date: 1" in result.stderr
    assert "send_log id 77: fatura 1001: data de envio ilegível 'lixo'" in result.stderr


def test_default_as_of_is_today(write_db):
    """Sends due today-3, today, today+3: a row dated today is not known yet (missing); one
    dated yesterday counts."""
    today = dt.datetime.now(ZoneInfo("America/Sao_Paulo")).date()  # the provider's day
    erp = Erp.baseline().set("fatura", "id_fatura", 1001, data_vencimento=today.isoformat())
    log(erp, 1001, f"{today.isoformat()} 08:00:00", True)
    result = carteiro("audit", "--db", write_db(erp), "--level", "delivery")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("1001,1,true,missing,,")
    log(erp, 1001, f"{(today - dt.timedelta(days=1)).isoformat()} 08:00:00", True)
    result = carteiro("audit", "--db", write_db(erp), "--level", "delivery")
    assert result.stdout.splitlines()[1].startswith("1001,1,true,sent,,")


@pytest.mark.parametrize("level", ["invoice", "customer", "delivery"])
@pytest.mark.parametrize("value", ["2024-3-14", "14/03/2024", "amanhã", "2024-02-30"])
def test_bad_as_of_is_one_line_on_every_level(mixed_db, level, value):
    result = carteiro("audit", "--db", mixed_db, *PERIOD, "--level", level, "--as-of", value)
    assert_one_line_error(result, f"--as-of: data inválida {value!r}")
    assert result.stdout == ""


@pytest.mark.parametrize("level", ["invoice", "customer"])
def test_as_of_does_not_change_the_other_levels(mixed_db, level):
    plain = carteiro("audit", "--db", mixed_db, *PERIOD, "--level", level)
    with_as_of = carteiro("audit", "--db", mixed_db, *PERIOD, "--level", level,
                          "--as-of", "2024-03-08")
    assert plain.returncode == with_as_of.returncode == 0
    assert plain.stdout == with_as_of.stdout


def test_missing_send_log_table_names_the_query_file(write_db):
    import sqlite3

    url = write_db(Erp.baseline())
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute("DROP TABLE email_enviado")
    result = carteiro("audit", "--db", url, *PERIOD, "--level", "delivery")
    assert_one_line_error(result, "email_enviado", "queries/send_log.sql")
    # the other levels never read it
    assert carteiro("audit", "--db", url, *PERIOD).returncode == 0


def test_delivery_csv_to_stdout_has_one_row_per_invoice_in_scope(mixed_db):
    result = carteiro("audit", "--db", mixed_db, *PERIOD, "--level", "delivery",
                      "--as-of", "2024-03-14")
    frame = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    invoices = carteiro("audit", "--db", mixed_db, *PERIOD)
    by_invoice = pd.read_csv(io.StringIO(invoices.stdout), dtype=str, keep_default_na=False)
    assert frame["invoice_id"].tolist() == by_invoice["invoice_id"].tolist()
    assert frame["eligible"].tolist() == by_invoice["eligible"].tolist()


def test_the_csv_written_in_parts_is_the_same(mixed_db, tmp_path, monkeypatch):
    """A million rows are written a part at a time: the same bytes as all at once."""
    from carteiro.cli import audit_delivery
    from carteiro.delivery.run import run_delivery
    from carteiro.erp.source import DataSource
    from tests.delivery_helpers import MARCH

    delivery = run_delivery(DataSource(mixed_db, "teste"), MARCH, dt.date(2024, 3, 14))
    frame = audit_delivery.delivery_frame(delivery)
    whole, parts = tmp_path / "whole.csv", tmp_path / "parts.csv"
    audit_delivery.write_csv_in_parts(frame, str(whole))
    audit_delivery.write_csv_in_parts(frame, str(parts), rows=4)
    assert whole.read_bytes() == parts.read_bytes()
    assert whole.read_bytes().count(b"\n") == len(frame) + 1
    with pytest.raises(audit_delivery.CarteiroError, match="não foi possível gravar"):
        audit_delivery.write_csv_in_parts(frame, str(tmp_path / "x" / "y.csv"), rows=4)

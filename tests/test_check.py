"""``carteiro check``: the monitoring plugin, against real (SQLite) databases in each of its four
outcomes, its output format and its exit codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)."""

from __future__ import annotations

import re
import sqlite3
import subprocess

import pytest

from tests.cli_helpers import carteiro
from tests.delivery_helpers import log
from tests.erp_builder import Erp

PERIOD = ("--start", "2024-03-01", "--end", "2024-03-31")
STATES = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}
PERFDATA = re.compile(r"^[a-z_]+=(U|-?\d+(\.\d+)?%?);[^;\s]*;[^;\s]*;[^;\s]*;[^;\s]*$")


def check(url: str, *args: str) -> tuple[int, str, dict[str, str], list[str]]:
    """Run the check; its exit code, status text, performance data and detail lines, after
    checking the plugin format."""
    result = carteiro("check", "--db", url, *args)
    return parsed(result)


def parsed(result: subprocess.CompletedProcess[str]) -> tuple[int, str, dict[str, str],
                                                               list[str]]:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines, result.stderr
    state = STATES[result.returncode]
    assert lines[0].startswith(f"CARTEIRO {state} - "), lines[0]
    text, _, perf = lines[0].partition(" | ")
    values = {}
    for item in perf.split():
        assert PERFDATA.match(item), item
        label, _, rest = item.partition("=")
        values[label] = rest.split(";")[0]
    return result.returncode, text.removeprefix(f"CARTEIRO {state} - "), values, lines[1:]


def healthy() -> Erp:
    """Invoices 1001 and 1002 due 2024-03-10 (sends on 03-07, 03-10, 03-13), all sent."""
    erp = Erp.baseline().customer(2)
    for invoice in (1001, 1002):
        for day in ("07", "10", "13"):
            log(erp, invoice, f"2024-03-{day} 08:00:00", True)
    return erp


def test_ok(write_db):
    code, text, perf, details = check(write_db(healthy()), *PERIOD, "--as-of", "2024-03-14")
    assert code == 0
    assert "cobertura 100,0% das faturas" in text and "enviados 100,0% de 2 avisos" in text
    assert perf == {"coverage": "100.00%", "sent": "100.00%", "failed_share": "0.00%",
                    "failed": "0", "missing": "0", "due_notices": "2",
                    "sent_while_ineligible": "0", "days_without_sends": "0", "alerts": "0"}
    assert details == ["Período 01/03/2024 a 31/03/2024; log de envios registrado antes de "
                       "14/03/2024"]


def test_warning_on_the_failed_share(write_db):
    erp = Erp.baseline().customer(2)
    log(erp, 1001, "2024-03-07 08:00:00", True)
    log(erp, 1002, "2024-03-07 08:00:00", False, "552 5.2.2 Mailbox full")
    url = write_db(erp)
    args = (*PERIOD, "--as-of", "2024-03-08")
    code, text, perf, _ = check(url, *args, "--failed-warning", "40", "--failed-critical", "60")
    assert code == 1
    assert text.startswith("falhas acima de 40,0%")
    assert perf["failed_share"] == "50.00%" and perf["failed"] == "1"
    assert check(url, *args)[0] == 2  # default thresholds: 5% and 10%
    assert check(url, *args, "--failed-warning", "50", "--failed-critical", "60")[0] == 0


def test_warning_on_coverage(write_db):
    erp = healthy().customer(3, allows=False)  # 2 of 3 invoices eligible
    url = write_db(erp)
    args = (*PERIOD, "--as-of", "2024-03-14")
    code, text, perf, _ = check(url, *args, "--coverage-warning", "70",
                                "--coverage-critical", "50")
    assert code == 1 and text.startswith("cobertura abaixo de 70,0%")
    assert perf["coverage"] == "66.67%"
    assert check(url, *args, "--coverage-critical", "66,7")[0] == 2
    assert check(url, *args, "--coverage-warning", "66%")[0] == 0


def test_critical_on_a_configuration_alert(write_db):
    erp = healthy().set("rotina", "id_rotina", 1, ativo=False)
    code, text, perf, details = check(write_db(erp), *PERIOD, "--as-of", "2024-03-14")
    assert code == 2
    assert text.startswith("1 alerta de configuração")
    assert perf["alerts"] == "1" and perf["coverage"] == "0.00%"
    assert any(line.startswith("ALERTA [no_email_routine]") for line in details)


def test_critical_on_a_recent_day_without_sends(write_db):
    """13 March: both invoices had a send due and the log has nothing that day."""
    erp = healthy().delete("email_enviado", data_envio="2024-03-13 08:00:00")
    url = write_db(erp)
    code, text, perf, details = check(url, *PERIOD, "--as-of", "2024-03-14",
                                      "--failed-warning", "100", "--failed-critical", "100")
    assert code == 2
    assert text.startswith("dia sem envios: 13/03/2024 (2 avisos)")
    assert perf["days_without_sends"] == "1"
    assert any("[day_without_sends]" in line and "13/03/2024" in line for line in details)


def test_days_sets_how_far_back_a_day_without_sends_is_critical(write_db):
    """The routine did not run on 10 March: CRITICAL within the last 4 days of 14 March, not
    within the last 3 (then the day is still listed in the details)."""
    erp = healthy().delete("email_enviado", data_envio="2024-03-10 08:00:00")
    url = write_db(erp)
    args = (*PERIOD, "--as-of", "2024-03-14")
    code, _, perf, details = check(url, *args, "--days", "3")
    assert code == 0 and perf["days_without_sends"] == "0"
    assert any("10/03/2024" in line for line in details)
    assert check(url, *args, "--days", "4")[0] == 2
    assert check(url, *args, "--days", "0", "--as-of", "2024-03-11")[0] == 0


def test_warning_when_nothing_is_due_in_the_period(write_db):
    code, text, perf, _ = check(write_db(healthy()), "--start", "2024-05-01",
                                "--as-of", "2024-05-10")
    assert code == 1 and text.startswith("nenhuma fatura no período")
    assert perf["coverage"] == "U" and perf["sent"] == "U" and perf["failed_share"] == "U"


def test_nothing_due_yet_is_ok(write_db):
    code, text, perf, _ = check(write_db(healthy()), *PERIOD, "--as-of", "2024-03-02")
    assert code == 0 and "nenhum aviso devido ainda" in text and perf["due_notices"] == "0"


# UNKNOWN: the check could not judge ---------------------------------------------------------------
def unknown_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("CARTEIRO UNKNOWN - "), lines
    return lines[0]


def test_unknown_when_the_database_cannot_be_read(tmp_path):
    missing = tmp_path / "nao_existe.sqlite"
    line = unknown_line(carteiro("check", "--db", f"sqlite:///{missing}"))
    assert str(missing) in line
    assert not missing.exists()


def test_unknown_when_the_server_is_unreachable():
    line = unknown_line(carteiro("check", "--db", "postgresql+psycopg://u:segredo@127.0.0.1:9/x"))
    assert "segredo" not in line


def test_unknown_when_the_send_log_table_is_missing(write_db):
    url = write_db(healthy())
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute("DROP TABLE email_enviado")
    line = unknown_line(carteiro("check", "--db", url, *PERIOD))
    assert "queries/send_log.sql" in line


@pytest.mark.parametrize(("args", "fragment"), [
    (("--as-of", "2024-3-1"), "--as-of: data inválida"),
    (("--start", "ontem"), "--start: data inválida"),
    (("--start", "2024-03-10", "--end", "2024-03-01"), "período inválido"),
    (("--days", "-1"), "--days"),
    (("--days",), "--days: falta o valor"),
    (("--failed-warning", "abc"), "percentual inválido"),
    (("--coverage-critical", "101"), "fora de 0 a 100"),
    (("--failed-warning", "20", "--failed-critical", "10"), "--failed-warning"),
    (("--coverage-warning", "50", "--coverage-critical", "80"), "--coverage-critical"),
    (("--nivel", "x"), "argumentos desconhecidos: --nivel x"),
    (("extra",), "argumentos desconhecidos: extra"),
])
def test_unknown_on_bad_arguments(write_db, args, fragment):
    line = unknown_line(carteiro("check", "--db", write_db(healthy()), *args))
    assert "argumento inválido" in line and fragment in line


def test_help_exits_zero():
    result = carteiro("check", "--help")
    assert result.returncode == 0 and "--coverage-warning" in result.stdout


def test_the_other_commands_keep_exit_2(write_db):
    result = carteiro("audit", "--db", write_db(healthy()), "--as-of", "x")
    assert result.returncode == 2

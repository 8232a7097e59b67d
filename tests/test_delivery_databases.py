"""The send-log reconciliation on SQLite, PostgreSQL and MariaDB: the same delivery CSV for one
seeded demo database and for a small ERP whose log holds every case the three can store, and
``check`` against each server; and what the demo's log carries.

The servers come from ``tests/servers.py`` (skipped on a laptop, failures when
``CARTEIRO_REQUIRE_SERVERS=1``).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator

import pandas as pd
import pytest

from carteiro import demo
from carteiro.erp.source import DataSource
from carteiro.period import Period
from tests import servers
from tests.cli_helpers import carteiro
from tests.delivery_helpers import log
from tests.erp_builder import Erp

KINDS = ["postgresql", "mariadb"]
MARCH = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31))
DEMO_ARGS = {"customers": 1_500, "months": 3, "seed": 11, "end_month": dt.date(2024, 3, 1),
             "as_of": dt.date(2024, 3, 20)}
AS_OF = "2024-03-20"


def delivery_csv(url: str, as_of: str = AS_OF) -> pd.DataFrame:
    result = carteiro("audit", "--db", url, "--start", "2024-03-01", "--end", "2024-03-31",
                      "--level", "delivery", "--as-of", as_of)
    assert result.returncode == 0, result.stderr
    return pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)


def portable_log_erp() -> Erp:
    """A small ERP with a send log of values all three databases store: other types, odd
    spellings of fatura, a null flag, a null date, ties within a day, several customers."""
    erp = Erp.baseline().customer(2).customer(3).customer(4, allows=False)
    erp.customer(5, due="2024-03-25").customer(6, method=None)
    rows = [
        (1, 1001, "2024-03-07 08:00:00", True, None, "fatura"),
        (2, 1002, "2024-03-07 08:00:02", False, "550 5.1.1 <c2@x.com.br>: User unknown", "fatura"),
        (3, 1002, "2024-03-10 23:59:59", False, "552 5.2.2 Mailbox full", " Fatura "),
        (4, 1002, "2024-03-10 08:00:00", False, "421 4.7.0 Try again later", "FATURA"),
        (5, 1003, "2024-03-07 08:00:04", True, None, "nota_fiscal"),
        (6, 1003, None, True, None, "fatura"),
        (7, 1004, "2024-03-07 08:00:06", True, None, "fatura"),
        (8, 1001, "2024-03-13 08:00:00", None, None, "fatura"),
        (9, 1006, "2024-03-07 08:00:08", False, "Tempo esgotado ao conectar em "
         "smtp.exemplo.com:465", "fatura"),
        (10, 1001, "2024-03-20 08:00:00", True, None, "fatura"),
    ]
    for log_id, invoice, when, sent, message, kind in rows:
        log(erp, invoice, when, sent, message, log_id=log_id, kind=kind)
    return erp


@pytest.fixture(scope="module")
def fresh_database() -> Iterator[Callable[[str], tuple[servers.Server, str]]]:
    made: list[tuple[servers.Server, str]] = []

    def make(kind: str) -> tuple[servers.Server, str]:
        server = servers.server(kind)
        made.append((server, server.create_database()))
        return made[-1]

    yield make
    for server, name in made:
        server.drop_database(name)


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    demo.generate(url, **DEMO_ARGS)
    return url


@pytest.fixture(scope="module", params=KINDS)
def demo_server(request: pytest.FixtureRequest, fresh_database) -> str:
    server, name = fresh_database(request.param)
    url = server.url(name)
    demo.generate(url, **DEMO_ARGS)
    return url


@pytest.fixture(scope="module", params=KINDS)
def portable_server(request: pytest.FixtureRequest, fresh_database) -> str:
    server, name = fresh_database(request.param)
    return portable_log_erp().write(server.url(name))


# The same answers everywhere -------------------------------------------------------------------
@pytest.mark.server
def test_demo_delivery_csv_is_the_same_everywhere(demo_sqlite, demo_server):
    expected = delivery_csv(demo_sqlite)
    assert len(expected) > 1_000
    pd.testing.assert_frame_equal(expected, delivery_csv(demo_server))


@pytest.mark.server
@pytest.mark.parametrize("as_of", ["2024-03-08", "2024-03-11", "2024-03-21"])
def test_portable_log_delivery_csv_is_the_same_everywhere(tmp_path, portable_server, as_of):
    sqlite = portable_log_erp().write_sqlite(tmp_path / "portable.sqlite")
    expected = delivery_csv(sqlite, as_of)
    pd.testing.assert_frame_equal(expected, delivery_csv(portable_server, as_of))
    if as_of == "2024-03-11":  # worked out by hand (1002: rows 3 and 4 on 03-10, id 4 wins)
        assert expected[["invoice_id", "delivery", "error_kind"]].values.tolist() == [
            ["1001", "sent", ""], ["1002", "failed", "temporary"], ["1003", "missing", ""],
            ["1004", "sent_while_ineligible", ""], ["1005", "scheduled", ""],
            ["1006", "not_expected", ""]]


@pytest.mark.server
def test_check_against_each_server(portable_server):
    """On 14 March: 1002 failed and 1003 missing of three due notices, and 13 March has only
    a row with a null flag (a try): CRITICAL on the failed share, the same everywhere."""
    result = carteiro("check", "--db", portable_server, "--start", "2024-03-01",
                      "--as-of", "2024-03-14")
    assert result.returncode == 2, result.stdout + result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("CARTEIRO CRITICAL - falhas acima de 10,0%")
    assert "failed=1;" in first and "missing=1;" in first and "days_without_sends=0;" in first
    ok = carteiro("check", "--db", portable_server, "--start", "2024-03-01",
                  "--as-of", "2024-03-14", "--failed-warning", "70", "--failed-critical", "80")
    assert ok.returncode == 0 and ok.stdout.startswith("CARTEIRO OK - ")


@pytest.mark.server
def test_check_unknown_on_a_missing_server_database(fresh_database):
    server, _ = fresh_database("postgresql")
    result = carteiro("check", "--db", server.url("carteiro_nao_existe_xyz"))
    assert result.returncode == 3 and result.stdout.startswith("CARTEIRO UNKNOWN - ")


# What the demo's log carries -------------------------------------------------------------------
def test_the_demo_log_exercises_every_status_and_error_kind(demo_sqlite):
    from carteiro.delivery.catalogue import DELIVERY_CODES, ERROR_KIND_CODES
    from carteiro.delivery.run import run_delivery

    delivery = run_delivery(DataSource(demo_sqlite, "teste"), MARCH, DEMO_ARGS["as_of"])
    statuses = delivery.status_counts()
    kinds = delivery.error_kind_counts()
    assert (statuses[list(DELIVERY_CODES)] > 0).all(), statuses
    assert (kinds[list(ERROR_KIND_CODES)] > 0).all(), kinds
    due = delivery.due_notices()
    assert statuses["sent"] / due > 0.85  # most notices go out
    assert 0.02 < (statuses["failed"] + statuses["missing"]) / due < 0.12
    # a day without sends in the demo month, before the as-of date
    silent = delivery.days_without_sends()
    assert len(silent) >= 1
    assert all(MARCH.start <= d.date() < DEMO_ARGS["as_of"] for d in silent["day"])
    # sent while ineligible: the Carnê sender was switched off mid-month
    swi = delivery.sent_while_ineligible()
    assert set(swi["reasons"].str.split(";").str[0]) == {"sender_unavailable"}
    # the log's data problems are reported (null flags), with the log's ids
    problems = delivery.log_problems
    assert set(problems["table"]) == {"send_log"} and len(problems) >= 1
    assert (delivery.failing_addresses()["failures"] >= 2).all()


def test_expected_sends_agree_with_the_diagnosis_send_dates(demo_sqlite):
    """The expected sends (numpy, every eligible invoice) are the firing send dates the
    diagnosis shows (``rules.send_dates``), distinct per invoice."""
    from carteiro.delivery.expected import expected_sends
    from carteiro.erp.load import load_data
    from carteiro.rules.engine import evaluate
    from carteiro.rules.send_dates import send_dates

    audit = evaluate(load_data(demo_sqlite, MARCH), MARCH)
    dates = send_dates(audit)
    wanted = dates[dates["fires"] & dates["eligible"]][["invoice_id", "send_date"]]
    wanted = wanted.drop_duplicates().sort_values(["invoice_id", "send_date"])
    got = expected_sends(audit, DEMO_ARGS["as_of"])
    assert len(got) > 1_000
    assert list(zip(got["invoice_id"], got["send_date"], strict=True)) == list(
        zip(wanted["invoice_id"], wanted["send_date"], strict=True))
    assert (got["due"] == (got["send_date"] < pd.Timestamp(DEMO_ARGS["as_of"]))).all()

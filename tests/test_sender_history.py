"""Which sender tests count for condition 2, and from which day: the failure kinds (the server
answered and refused vs it could not be reached), the confirmation of a reach failure, the day a
test speaks from (the provider's time zone) and the migration of version-1 state files."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from carteiro.errors import CarteiroError
from carteiro.sender.history import (
    COL_COUNTS,
    COL_DECIDES,
    COL_FAILURE_KIND,
    COL_REACH_CONFIRMED,
    COL_SPEAKS_FROM,
    FAILURE_REFUSED,
    FAILURE_UNREACHABLE,
    SCHEMA_VERSION,
    StateStore,
    failure_kind,
)
from carteiro.sender.history_schema import REACH_STAGES
from carteiro.sender.smtp import (
    STAGE_AUTH,
    STAGE_BANNER,
    STAGE_CONNECT,
    STAGE_DATA,
    STAGE_EHLO,
    STAGE_MAIL_FROM,
    STAGE_RCPT_TO,
    STAGE_STARTTLS,
    STAGE_TLS,
    SmtpTestResult,
)
from tests.test_state import ERP, result

NOON = datetime(2024, 3, 12, 15, 0, tzinfo=UTC)  # 12:00 in São Paulo


def at(moment: datetime, ok: bool = False, stage: str | None = STAGE_AUTH) -> SmtpTestResult:
    """A result at ``moment`` that failed at ``stage`` (or succeeded)."""
    return dataclasses.replace(result(ok), started_at=moment.isoformat(),
                               failed_stage=None if ok else stage)


def reach_failure(moment: datetime) -> SmtpTestResult:
    return at(moment, stage=STAGE_CONNECT)


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / "state.sqlite")


# --------------------------------------------------------------------------------------------
# Failure kinds


def test_reach_stages_are_the_dialogues_connect_stage() -> None:
    assert {STAGE_CONNECT} == REACH_STAGES


@pytest.mark.parametrize(
    ("stage", "kind"),
    [
        (STAGE_CONNECT, FAILURE_UNREACHABLE),  # DNS, refused, timed out: never reached
        (STAGE_TLS, FAILURE_REFUSED),  # TCP accepted, handshake or certificate refused
        (STAGE_BANNER, FAILURE_REFUSED),  # TCP accepted, then closed, silent or 554
        (STAGE_EHLO, FAILURE_REFUSED),
        (STAGE_STARTTLS, FAILURE_REFUSED),
        (STAGE_AUTH, FAILURE_REFUSED),
        (STAGE_MAIL_FROM, FAILURE_REFUSED),
        (STAGE_RCPT_TO, FAILURE_REFUSED),
        (STAGE_DATA, FAILURE_REFUSED),
    ],
)
def test_failure_kind_by_stage(stage: str, kind: str) -> None:
    assert failure_kind(at(NOON, stage=stage)) == kind
    assert failure_kind(at(NOON, ok=True)) is None


# --------------------------------------------------------------------------------------------
# What counts


def test_a_refusal_counts_from_its_day(store: StateStore) -> None:
    record = store.record_sender_test(at(NOON), source=ERP, sender_id=1)
    assert (record.failure_kind, record.counts, record.day) == (FAILURE_REFUSED, True,
                                                               date(2024, 3, 12))
    assert store.failing_since(ERP) == {1: date(2024, 3, 12)}


def test_an_unconfirmed_reach_failure_does_not_count(store: StateStore) -> None:
    record = store.record_sender_test(reach_failure(NOON), source=ERP, sender_id=1)
    assert record.failure_kind == FAILURE_UNREACHABLE
    assert record.awaits_confirmation and not record.counts
    assert store.failing_since(ERP) == {}
    assert store.deciding_tests(ERP) == {}
    assert store.latest_test(ERP, 1) == record


def test_a_confirmed_reach_failure_counts(store: StateStore) -> None:
    record = store.record_sender_test(reach_failure(NOON), source=ERP, sender_id=1)
    confirmed = store.confirm_reach_failure(record.test_id)
    assert confirmed == dataclasses.replace(record, reach_confirmed=True)
    assert confirmed.counts and not confirmed.awaits_confirmation
    assert store.failing_since(ERP) == {1: date(2024, 3, 12)}
    # Confirmed when recorded (the CLI's --confirm-reach-failure): the same.
    later = store.record_sender_test(reach_failure(NOON + timedelta(days=2)), source=ERP,
                                     sender_id=2, reach_confirmed=True)
    assert later.counts
    assert store.failing_since(ERP) == {1: date(2024, 3, 12), 2: date(2024, 3, 14)}


def test_only_an_unconfirmed_reach_failure_of_an_erp_sender_can_be_confirmed(
    store: StateStore,
) -> None:
    refusal = store.record_sender_test(at(NOON), source=ERP, sender_id=1)
    success = store.record_sender_test(at(NOON, ok=True), source=ERP, sender_id=2)
    by_hand = store.record_sender_test(reach_failure(NOON), source=ERP, sender_id=None)
    reach = store.record_sender_test(reach_failure(NOON), source=ERP, sender_id=3)
    for record in (refusal, success, by_hand):
        assert store.confirm_reach_failure(record.test_id) is None
    assert store.confirm_reach_failure(999) is None
    assert store.confirm_reach_failure(reach.test_id) is not None
    assert store.confirm_reach_failure(reach.test_id) is None  # once
    # reach_confirmed is ignored for anything but a reach failure
    other = store.record_sender_test(at(NOON), source=ERP, sender_id=4, reach_confirmed=True)
    assert not other.reach_confirmed


def test_an_unconfirmed_reach_failure_neither_fails_nor_clears(store: StateStore) -> None:
    store.record_sender_test(at(NOON), source=ERP, sender_id=1)  # refusal on the 12th
    store.record_sender_test(reach_failure(NOON + timedelta(days=3)), source=ERP, sender_id=1)
    assert store.failing_since(ERP) == {1: date(2024, 3, 12)}  # the refusal still decides
    store.record_sender_test(at(NOON + timedelta(days=4), ok=True), source=ERP, sender_id=2)
    store.record_sender_test(reach_failure(NOON + timedelta(days=5)), source=ERP, sender_id=2)
    assert 2 not in store.failing_since(ERP)  # the success still decides


def test_a_later_success_clears_and_a_later_counting_failure_moves_the_day(
    store: StateStore,
) -> None:
    store.record_sender_test(at(NOON), source=ERP, sender_id=1)
    store.record_sender_test(at(NOON + timedelta(days=1), ok=True), source=ERP, sender_id=1)
    assert store.failing_since(ERP) == {}
    store.record_sender_test(at(NOON + timedelta(days=6)), source=ERP, sender_id=1)
    assert store.failing_since(ERP) == {1: date(2024, 3, 18)}
    # Two failures in a row: the latest decides, with its own day.
    store.record_sender_test(reach_failure(NOON + timedelta(days=9)), source=ERP, sender_id=1,
                             reach_confirmed=True)
    assert store.failing_since(ERP) == {1: date(2024, 3, 21)}


def test_history_says_which_tests_count_and_which_decides(store: StateStore) -> None:
    store.record_sender_test(at(NOON), source=ERP, sender_id=1)  # superseded
    store.record_sender_test(at(NOON + timedelta(hours=1), ok=True), source=ERP, sender_id=1)
    store.record_sender_test(reach_failure(NOON + timedelta(hours=2)), source=ERP, sender_id=1)
    store.record_sender_test(at(NOON + timedelta(hours=3)), source=ERP, sender_id=None)
    frame = store.recent_sender_tests(ERP)  # newest first
    assert frame[COL_COUNTS].tolist() == [False, False, True, True]
    assert frame[COL_DECIDES].tolist() == [False, False, True, False]
    assert frame[COL_FAILURE_KIND].fillna("").tolist() == [FAILURE_REFUSED, FAILURE_UNREACHABLE,
                                                           "", FAILURE_REFUSED]
    assert frame[COL_REACH_CONFIRMED].tolist() == [False] * 4
    assert set(frame[COL_SPEAKS_FROM]) == {date(2024, 3, 12)}
    # The deciding test is found over the whole history, not only the rows shown.
    assert store.recent_sender_tests(ERP, limit=2)[COL_DECIDES].tolist() == [False, False]


# --------------------------------------------------------------------------------------------
# The day a test speaks from


@pytest.mark.parametrize(
    ("zone", "moment", "day"),
    [
        (None, datetime(2024, 3, 12, 2, 59, tzinfo=UTC), date(2024, 3, 11)),  # 23:59 in SP
        (None, datetime(2024, 3, 12, 3, 0, tzinfo=UTC), date(2024, 3, 12)),  # 00:00 in SP
        ("UTC", datetime(2024, 3, 12, 2, 59, tzinfo=UTC), date(2024, 3, 12)),
        ("America/Rio_Branco", datetime(2024, 3, 12, 4, 59, tzinfo=UTC), date(2024, 3, 11)),
        ("Asia/Tokyo", datetime(2024, 3, 11, 15, 0, tzinfo=UTC), date(2024, 3, 12)),
    ],
)
def test_the_day_is_the_tests_date_in_the_providers_time_zone(
    store: StateStore, monkeypatch: pytest.MonkeyPatch, zone: str | None, moment: datetime,
    day: date,
) -> None:
    if zone is not None:
        monkeypatch.setenv("CARTEIRO_TIMEZONE", zone)
    assert store.record_sender_test(at(moment), source=ERP, sender_id=1).day == day
    assert store.failing_since(ERP) == {1: day}


def test_the_day_is_fixed_when_recorded(store: StateStore,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    store.record_sender_test(at(datetime(2024, 3, 12, 1, 0, tzinfo=UTC)), source=ERP,
                             sender_id=1)
    monkeypatch.setenv("CARTEIRO_TIMEZONE", "UTC")
    assert store.failing_since(ERP) == {1: date(2024, 3, 11)}


@pytest.mark.parametrize("zone", ["America/Atlantida", "../../etc/passwd", "UTC+3"])
def test_an_unknown_time_zone_is_one_line_and_nothing_is_written(
    store: StateStore, monkeypatch: pytest.MonkeyPatch, zone: str,
) -> None:
    monkeypatch.setenv("CARTEIRO_TIMEZONE", zone)
    with pytest.raises(CarteiroError, match="CARTEIRO_TIMEZONE") as raised:
        store.record_sender_test(at(NOON), source=ERP, sender_id=1)
    assert "\n" not in str(raised.value)
    assert store.recent_sender_tests(ERP).empty


# --------------------------------------------------------------------------------------------
# Migration of version-1 files (the schema as Carteiro 0.2 wrote it)

V1_SCHEMA = """
CREATE TABLE sender_test (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tested_at TEXT NOT NULL, source TEXT NOT NULL,
    sender_id INTEGER, host TEXT NOT NULL, port INTEGER NOT NULL, security TEXT NOT NULL,
    from_addr TEXT NOT NULL, recipient TEXT NOT NULL, success INTEGER NOT NULL,
    failed_stage TEXT, message TEXT NOT NULL
);
CREATE INDEX sender_test_latest ON sender_test (source, sender_id, tested_at);
PRAGMA user_version = 1;
"""
V1_SOURCE = "postgresql+psycopg://erp@db.provedor.com.br:5432/hubsoft"  # source_key(ERP)


def v1_file(path: Path, rows: list[tuple[str, int | None, int, str | None]]) -> Path:
    """A version-1 state file with ``(tested_at, sender_id, success, failed_stage)`` rows."""
    with sqlite3.connect(path) as con:
        con.executescript(V1_SCHEMA)
        con.executemany(
            "INSERT INTO sender_test (tested_at, source, sender_id, host, port, security, "
            "from_addr, recipient, success, failed_stage, message) "
            "VALUES (?, ?, ?, 'smtp.provedor.com.br', 587, 'tls', 'a@b.com.br', 'c@d.com.br', "
            "?, ?, 'mensagem')",
            [(when, V1_SOURCE, sender, ok, stage) for when, sender, ok, stage in rows],
        )
    con.close()
    return path


def test_migration_keeps_the_rows_and_reads_them_as_a_new_test_would(tmp_path: Path) -> None:
    path = v1_file(tmp_path / "v1.sqlite", [
        # sender 1: a refusal, then the DNS failure of a machine without DNS (the issue)
        ("2024-10-01T12:00:00.000000+00:00", 1, 0, STAGE_AUTH),
        ("2024-11-29T02:00:00.000000+00:00", 1, 0, STAGE_CONNECT),
        # sender 2: only the DNS failure
        ("2024-11-29T12:00:00.000000+00:00", 2, 0, STAGE_CONNECT),
        # sender 3: a banner refusal; sender 4: a failure without a stage; 5: a success
        ("2024-11-29T12:00:00.000000+00:00", 3, 0, STAGE_BANNER),
        ("2024-11-29T12:00:00.000000+00:00", 4, 0, None),
        ("2024-11-29T12:00:00.000000+00:00", 5, 1, None),
    ])
    store = StateStore(path)
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert con.execute("SELECT COUNT(*) FROM sender_test").fetchone()[0] == 6
    con.close()
    assert store.failing_since(ERP) == {
        1: date(2024, 10, 1),  # the old DNS failure awaits confirmation: the refusal decides
        3: date(2024, 11, 29),
        4: date(2024, 11, 29),  # a failure of unknown kind counts, as it did before
    }
    dns = store.latest_test(ERP, 1)
    assert dns is not None and dns.awaits_confirmation
    assert dns.day == date(2024, 11, 28)  # 23:00 in São Paulo
    assert store.confirm_reach_failure(dns.test_id) is not None
    assert store.failing_since(ERP)[1] == date(2024, 11, 28)


def test_migration_runs_once_even_with_concurrent_openers(tmp_path: Path) -> None:
    path = v1_file(tmp_path / "v1.sqlite", [
        (f"2024-11-{day:02d}T12:00:00.000000+00:00", 1, 0, STAGE_AUTH) for day in range(1, 29)
    ])
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            StateStore(path).failing_since(ERP)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = StateStore(path)
    assert len(store.recent_sender_tests(ERP, limit=100)) == 28
    assert store.failing_since(ERP) == {1: date(2024, 11, 28)}
    with sqlite3.connect(path) as con:
        columns = [row[1] for row in con.execute("PRAGMA table_info(sender_test)")]
    con.close()
    assert columns.count(COL_SPEAKS_FROM) == 1


def test_a_file_of_a_newer_version_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite"
    StateStore(path).record_sender_test(at(NOON), source=ERP, sender_id=1)
    with sqlite3.connect(path) as con:
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    assert StateStore(path).failing_since(ERP) == {1: date(2024, 3, 12)}
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    con.close()

"""Carteiro's own state store: the sender-test history behind condition 2."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from carteiro.sender import history as state
from carteiro.sender.history import (
    COL_FAILED_STAGE,
    COL_SENDER_ID,
    COL_SUCCESS,
    COL_TESTED_AT,
    HISTORY_COLUMNS,
    SENDER_TEST_COLUMNS,
    STATE_DB_ENV,
    StateStore,
    source_key,
)
from carteiro.sender.smtp import STAGE_AUTH, SmtpTestResult, Stage

ERP = "postgresql+psycopg://erp:segredo-do-banco@db.provedor.com.br:5432/hubsoft"
OTHER_ERP = "sqlite:///outro.sqlite"
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def result(ok: bool, minutes: int = 0, host: str = "smtp.provedor.com.br") -> SmtpTestResult:
    """A sender-test result at ``T0 + minutes``, built directly (no server needed)."""
    return SmtpTestResult(
        ok=ok,
        failed_stage=None if ok else STAGE_AUTH,
        message="aceito" if ok else "O servidor recusou o usuário ou a senha (535).",
        host=host,
        port=587,
        security="tls",
        from_addr="cobranca@provedor.com.br",
        to_addr="cliente@exemplo.com.br",
        started_at=(T0 + timedelta(minutes=minutes)).isoformat(),
        stages=(Stage("connect", True, 1.0),),
        tls=None,
        warnings=(),
        transcript=(),
    )


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / "state.sqlite")


def failing(store: StateStore, source: str = ERP) -> set[int]:
    return set(store.failing_since(source))


def test_latest_test_decides_failed(store: StateStore) -> None:
    store.record_sender_test(result(True, 0), source=ERP, sender_id=1)
    store.record_sender_test(result(False, 1), source=ERP, sender_id=1)  # now failing
    store.record_sender_test(result(False, 0), source=ERP, sender_id=2)
    store.record_sender_test(result(True, 5), source=ERP, sender_id=2)  # success clears it
    store.record_sender_test(result(False, 3), source=ERP, sender_id=3)
    assert store.failing_since(ERP) == {1: T0.date(), 3: T0.date()}


def test_latest_is_by_test_time_then_insertion(store: StateStore) -> None:
    # An older result recorded late does not override a newer one.
    store.record_sender_test(result(False, 10), source=ERP, sender_id=4)
    store.record_sender_test(result(True, 1), source=ERP, sender_id=4)
    # Same instant: the one recorded last wins.
    store.record_sender_test(result(False, 20), source=ERP, sender_id=5)
    store.record_sender_test(result(True, 20), source=ERP, sender_id=5)
    assert failing(store) == {4}


def test_never_tested_is_not_failed(store: StateStore) -> None:
    assert store.failing_since(ERP) == {}
    store.record_sender_test(result(False), source=ERP, sender_id=None)  # typed by hand
    assert store.failing_since(ERP) == {}


def test_sources_are_separate(store: StateStore) -> None:
    store.record_sender_test(result(False), source=ERP, sender_id=1)
    store.record_sender_test(result(True), source=OTHER_ERP, sender_id=1)
    store.record_sender_test(result(False), source=OTHER_ERP, sender_id=2)
    assert failing(store, ERP) == {1}
    assert failing(store, OTHER_ERP) == {2}
    assert failing(store, "sqlite:///nenhum.sqlite") == set()


def test_source_password_is_never_stored_and_the_key_matches(
    store: StateStore, tmp_path: Path
) -> None:
    store.record_sender_test(result(False), source=ERP, sender_id=9)
    # The same database, named with and without its password, is one source.
    assert failing(store, source_key(ERP)) == {9}
    assert failing(store, ERP) == {9}
    assert b"segredo-do-banco" not in (tmp_path / "state.sqlite").read_bytes()


@pytest.mark.parametrize(
    ("url", "key"),
    [
        (ERP, "postgresql+psycopg://erp@db.provedor.com.br:5432/hubsoft"),
        ("mysql+pymysql://erp:p@ss@db/hubsoft", "mysql+pymysql://erp@db/hubsoft"),
        ("postgresql://erp:***@db/hubsoft", "postgresql://erp@db/hubsoft"),
        (
            "postgresql://db/hubsoft?sslmode=require&password=x",
            "postgresql://db/hubsoft?sslmode=require",
        ),
        ("postgresql://erp@db/hubsoft", "postgresql://erp@db/hubsoft"),
        ("sqlite:////srv/erp/demo.sqlite", "sqlite:////srv/erp/demo.sqlite"),
        ("  /srv/erp/demo.sqlite ", "/srv/erp/demo.sqlite"),
        ("host=db user=erp password=s3cret dbname=hubsoft", "host=db user=erp dbname=hubsoft"),
    ],
)
def test_source_key_strips_the_password(url: str, key: str) -> None:
    assert source_key(url) == key
    assert source_key(key) == key


def test_recent_tests_newest_first_with_english_columns(store: StateStore) -> None:
    for minute in range(5):
        store.record_sender_test(result(minute % 2 == 0, minute), source=ERP, sender_id=1)
    store.record_sender_test(result(True, 9), source=ERP, sender_id=None)
    store.record_sender_test(result(True, 9), source=OTHER_ERP, sender_id=1)

    frame = store.recent_sender_tests(ERP)
    assert tuple(frame.columns) == HISTORY_COLUMNS
    assert set(SENDER_TEST_COLUMNS) < set(HISTORY_COLUMNS)
    assert len(frame) == 6
    assert frame[COL_TESTED_AT].is_monotonic_decreasing
    assert frame[COL_TESTED_AT].iloc[0] == pd.Timestamp(T0 + timedelta(minutes=9))
    assert frame[COL_SENDER_ID].isna().iloc[0]
    assert str(frame[COL_SENDER_ID].dtype) == "Int64"
    assert frame[COL_SUCCESS].dtype == bool

    only_one = store.recent_sender_tests(ERP, sender_id=1, limit=2)
    assert only_one[COL_SENDER_ID].tolist() == [1, 1]
    assert only_one[COL_SUCCESS].tolist() == [True, False]  # minutes 4 and 3
    assert only_one[COL_FAILED_STAGE].isna().tolist() == [True, False]
    assert only_one[COL_FAILED_STAGE].iloc[1] == STAGE_AUTH


def test_recent_tests_empty(store: StateStore) -> None:
    frame = store.recent_sender_tests(ERP)
    assert frame.empty
    assert tuple(frame.columns) == HISTORY_COLUMNS


def test_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "sub" / "pasta" / "estado.sqlite"
    monkeypatch.setenv(STATE_DB_ENV, str(target))
    store = StateStore()
    assert store.path == target
    store.record_sender_test(result(False), source=ERP, sender_id=1)
    assert target.exists()
    assert failing(StateStore(target)) == {1}


def test_explicit_path_wins_over_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STATE_DB_ENV, str(tmp_path / "env.sqlite"))
    assert StateStore(tmp_path / "arg.sqlite").path == tmp_path / "arg.sqlite"


def test_default_path_is_in_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STATE_DB_ENV, raising=False)
    repo_root = Path(__file__).resolve().parent.parent
    assert state._default_path() == repo_root / ".carteiro" / "state.sqlite"


def test_installed_default_path_is_in_the_data_folder(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.delenv(STATE_DB_ENV, raising=False)
    monkeypatch.setenv("CARTEIRO_HOME", str(tmp_path))
    assert state._default_path() == tmp_path / "state.sqlite"


def test_plain_sqlite_file_with_the_documented_columns(store: StateStore) -> None:
    store.record_sender_test(result(False), source=ERP, sender_id=1)
    with sqlite3.connect(store.path) as con:
        columns = [row[1] for row in con.execute("PRAGMA table_info(sender_test)")]
    assert set(SENDER_TEST_COLUMNS) <= set(columns)


def test_concurrent_writers(store: StateStore) -> None:
    def write(sender_id: int) -> None:
        for minute in range(10):
            store.record_sender_test(result(False, minute), source=ERP, sender_id=sender_id)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(1, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failing(store) == set(range(1, 6))
    assert len(store.recent_sender_tests(ERP, limit=100)) == 50

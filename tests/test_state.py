"""Carteiro's own state store: the sender-test history behind condition 2."""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from carteiro.errors import CarteiroError
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
        # a raw '@' in the password: SQLAlchemy would take "ss@db" for the host; nothing of it
        # is kept (Carteiro refuses to connect with such a URL anyway)
        ("mysql+pymysql://erp:p@ss@db/hubsoft", "mysql+pymysql://erp@…"),
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


# Carteiro's own file: private, and never someone else's -------------------------------------------
def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_new_state_file_and_folder_are_private(tmp_path: Path) -> None:
    target = tmp_path / "novo" / "pasta" / "state.sqlite"
    store = StateStore(target)
    store.record_sender_test(result(False), source=ERP, sender_id=1)
    assert _mode(target) == 0o600
    assert _mode(target.parent) == 0o700
    assert _mode(target.parent.parent) == 0o700  # created by Carteiro too


def test_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        target = tmp_path / "aberta" / "state.sqlite"
        StateStore(target).record_sender_test(result(True), source=ERP, sender_id=1)
    finally:
        os.umask(old)
    assert _mode(target) == 0o600
    assert _mode(target.parent) == 0o700


def test_existing_folder_keeps_its_mode(tmp_path: Path) -> None:
    """A folder the user chose (like /tmp) is not Carteiro's to change."""
    shared = tmp_path / "compartilhada"
    shared.mkdir()
    shared.chmod(0o1777)
    StateStore(shared / "state.sqlite")
    assert shared.stat().st_mode & 0o7777 == 0o1777
    assert _mode(shared / "state.sqlite") == 0o600


def test_existing_state_file_of_carteiro_is_tightened(tmp_path: Path) -> None:
    """A state file an earlier version left world-readable becomes private."""
    target = tmp_path / "state.sqlite"
    StateStore(target).record_sender_test(result(False), source=ERP, sender_id=2)
    target.chmod(0o644)
    assert StateStore(target).failing_since(ERP).keys() == {2}
    assert _mode(target) == 0o600


def _one_line(err: pytest.ExceptionInfo[CarteiroError]) -> str:
    text = str(err.value)
    assert "\n" not in text and text
    return text


def test_state_path_that_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(CarteiroError) as caught:
        StateStore(tmp_path)
    assert "é uma pasta" in _one_line(caught) and str(tmp_path) in str(caught.value)


@pytest.mark.parametrize("content", [b"id;nome\n1;Fulano\n" * 300, bytes(range(256)) * 40,
                                     b"SQLite format 3\x00" + b"\xff" * 5000],
                         ids=["planilha", "binario", "cabecalho-sqlite-corrompido"])
def test_state_path_that_is_not_sqlite(tmp_path: Path, content: bytes) -> None:
    target = tmp_path / "estado.sqlite"
    target.write_bytes(content)
    with pytest.raises(CarteiroError) as caught:
        StateStore(target).failing_since(ERP)
    assert "não é um banco SQLite" in _one_line(caught)
    assert target.read_bytes() == content


def test_state_path_that_is_another_programs_database(tmp_path: Path) -> None:
    """CARTEIRO_STATE_DB pointing at the ERP's own SQLite file: Carteiro writes nothing in it."""
    from tests.erp_builder import Erp

    erp = tmp_path / "erp.sqlite"
    Erp.baseline().write_sqlite(erp)
    before = erp.read_bytes()
    with pytest.raises(CarteiroError) as caught:
        StateStore(erp)
    assert "não é o arquivo de estado do Carteiro" in _one_line(caught)
    assert erp.read_bytes() == before


def test_empty_file_becomes_the_state_store(tmp_path: Path) -> None:
    target = tmp_path / "vazio.sqlite"
    target.touch()
    store = StateStore(target)
    store.record_sender_test(result(False), source=ERP, sender_id=4)
    assert store.failing_since(ERP).keys() == {4}


def test_state_folder_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "arquivo"
    blocker.write_text("não é pasta", encoding="utf-8")
    with pytest.raises(CarteiroError) as caught:
        StateStore(blocker / "state.sqlite")
    assert str(blocker) in _one_line(caught)

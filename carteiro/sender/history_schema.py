"""The state file's schema: the sender-test table, its versions and their migration, and how a
test result's failure is classified (the ``failure_kind`` column).

Versions (``PRAGMA user_version``):

1. the test itself: when, source, sender, server, result, failed stage, message;
2. what condition 2 needs: ``speaks_from`` (the test's date in the provider's time zone),
   ``failure_kind`` (``refused``: the server answered and refused; ``unreachable``: it could
   not be reached) and ``reach_confirmed`` (a reach failure confirmed as the ERP's sender's).

Migrating a version-1 file fills the new columns from what every row already holds: the day
from ``tested_at`` (in the provider's time zone at migration time), the kind from
``failed_stage`` exactly as a new test is classified (so an old ``connect`` failure becomes an
unconfirmed reach failure and stops counting: the very case of a machine without DNS; a failure
without a stage, which version 1 never wrote, counts as a refusal, as it did before). The
migration runs once, in one write transaction, whoever opens the file first.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import TYPE_CHECKING

from carteiro.localtime import local_day, provider_timezone

if TYPE_CHECKING:
    from carteiro.sender.smtp import SmtpTestResult

SCHEMA_VERSION = 2

TABLE_SENDER_TEST = "sender_test"

# Columns of the sender-test history (SQLite table and DataFrame alike).
COL_ID = "id"
COL_TESTED_AT = "tested_at"
COL_SOURCE = "source"
COL_SENDER_ID = "sender_id"
COL_HOST = "host"
COL_PORT = "port"
COL_SECURITY = "security"
COL_FROM = "from_addr"
COL_RECIPIENT = "recipient"
COL_SUCCESS = "success"
COL_FAILED_STAGE = "failed_stage"
COL_MESSAGE = "message"
COL_SPEAKS_FROM = "speaks_from"
COL_FAILURE_KIND = "failure_kind"
COL_REACH_CONFIRMED = "reach_confirmed"

SENDER_TEST_COLUMNS: tuple[str, ...] = (
    COL_TESTED_AT,
    COL_SOURCE,
    COL_SENDER_ID,
    COL_HOST,
    COL_PORT,
    COL_SECURITY,
    COL_FROM,
    COL_RECIPIENT,
    COL_SUCCESS,
    COL_FAILED_STAGE,
    COL_MESSAGE,
    COL_SPEAKS_FROM,
    COL_FAILURE_KIND,
    COL_REACH_CONFIRMED,
)

FAILURE_REFUSED = "refused"
FAILURE_UNREACHABLE = "unreachable"

#: The stages whose failure means the server was not reached at all. ``connect`` is the TCP
#: connection (name look-up included): it ends as soon as the server accepts the connection,
#: so a server that accepted it and then closed, stayed silent or refused (banner, TLS
#: handshake, any later stage) has answered. Spelled here, not imported from
#: :mod:`carteiro.sender.smtp`, so that reading the history does not load the SMTP dialogue;
#: ``tests/test_state.py`` checks that it is the dialogue's ``STAGE_CONNECT``.
REACH_STAGES = frozenset({"connect"})

#: SQL: the row counts for condition 2 (a success, a refusal, or a confirmed reach failure).
COUNTS_SQL = (
    f"({COL_SUCCESS} = 1 OR {COL_FAILURE_KIND} IS NOT '{FAILURE_UNREACHABLE}' "
    f"OR {COL_REACH_CONFIRMED} = 1)"
)

_CREATE = (
    f"""
    CREATE TABLE IF NOT EXISTS {TABLE_SENDER_TEST} (
        {COL_ID}              INTEGER PRIMARY KEY AUTOINCREMENT,
        {COL_TESTED_AT}       TEXT    NOT NULL,  -- UTC, ISO 8601 with microseconds
        {COL_SOURCE}          TEXT    NOT NULL,  -- the ERP database, password removed
        {COL_SENDER_ID}       INTEGER,           -- NULL: typed by hand, not an ERP sender
        {COL_HOST}            TEXT    NOT NULL,
        {COL_PORT}            INTEGER NOT NULL,
        {COL_SECURITY}        TEXT    NOT NULL,
        {COL_FROM}            TEXT    NOT NULL,
        {COL_RECIPIENT}       TEXT    NOT NULL,
        {COL_SUCCESS}         INTEGER NOT NULL,
        {COL_FAILED_STAGE}    TEXT,
        {COL_MESSAGE}         TEXT    NOT NULL,
        {COL_SPEAKS_FROM}     TEXT,              -- ISO date, provider's time zone (v2)
        {COL_FAILURE_KIND}    TEXT,              -- refused | unreachable; NULL: success (v2)
        {COL_REACH_CONFIRMED} INTEGER            -- 1: reach failure confirmed (v2)
    )
    """,
    f"""
    CREATE INDEX IF NOT EXISTS {TABLE_SENDER_TEST}_latest
        ON {TABLE_SENDER_TEST} ({COL_SOURCE}, {COL_SENDER_ID}, {COL_TESTED_AT})
    """,
)

_ADDED_IN_V2 = {
    COL_SPEAKS_FROM: "TEXT",
    COL_FAILURE_KIND: "TEXT",
    COL_REACH_CONFIRMED: "INTEGER",
}


def failure_kind(result: SmtpTestResult) -> str | None:
    """``None`` for a success, else whether the server could not be reached or answered."""
    if result.ok:
        return None
    return FAILURE_UNREACHABLE if result.failed_stage in REACH_STAGES else FAILURE_REFUSED


def open_schema(con: sqlite3.Connection) -> None:
    """Create or migrate the schema (``con`` in autocommit mode: ``isolation_level=None``).

    A file already at this version costs one read; otherwise the work happens inside one
    ``BEGIN IMMEDIATE`` transaction, re-checked once the write lock is held. A file written by
    a newer Carteiro (a higher version) is left as it is."""
    if _version(con) >= SCHEMA_VERSION:
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        if _version(con) < SCHEMA_VERSION:
            for statement in _CREATE:
                con.execute(statement)
            _add_v2_columns(con)
            _fill_v2_columns(con)
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _version(con: sqlite3.Connection) -> int:
    return int(con.execute("PRAGMA user_version").fetchone()[0])


def _add_v2_columns(con: sqlite3.Connection) -> None:
    present = {row[1] for row in con.execute(f"PRAGMA table_info({TABLE_SENDER_TEST})")}
    for name, kind in _ADDED_IN_V2.items():
        if name not in present:
            con.execute(f"ALTER TABLE {TABLE_SENDER_TEST} ADD COLUMN {name} {kind}")


def _fill_v2_columns(con: sqlite3.Connection) -> None:
    """Rows of version 1: the kind from the failed stage, the day from the test's moment."""
    reach = ", ".join(f"'{stage}'" for stage in sorted(REACH_STAGES))
    con.execute(
        f"UPDATE {TABLE_SENDER_TEST} SET "
        f"{COL_FAILURE_KIND} = CASE WHEN {COL_FAILED_STAGE} IN ({reach}) "
        f"THEN '{FAILURE_UNREACHABLE}' ELSE '{FAILURE_REFUSED}' END, "
        f"{COL_REACH_CONFIRMED} = CASE WHEN {COL_FAILED_STAGE} IN ({reach}) THEN 0 END "
        f"WHERE {COL_SUCCESS} = 0 AND {COL_FAILURE_KIND} IS NULL"
    )
    rows = con.execute(
        f"SELECT {COL_ID}, {COL_TESTED_AT} FROM {TABLE_SENDER_TEST} "
        f"WHERE {COL_SPEAKS_FROM} IS NULL"
    ).fetchall()
    if not rows:
        return
    zone = provider_timezone()
    days = [(local_day(dt.datetime.fromisoformat(str(moment)), zone).isoformat(), test_id)
            for test_id, moment in rows]
    con.executemany(
        f"UPDATE {TABLE_SENDER_TEST} SET {COL_SPEAKS_FROM} = ? WHERE {COL_ID} = ?", days
    )

"""Carteiro's own state store: a small SQLite file, never the ERP database.

For now it keeps the history of sender tests («Remetente de Email > Testar»). Condition 2 of
the audit (``sender_unavailable``) reads it: a sender whose latest recorded test failed is
unavailable; a sender never tested is not; a later success clears an earlier failure.

Location: the ``path`` argument, else the environment variable ``CARTEIRO_STATE_DB``, else
``<repo root>/.carteiro/state.sqlite`` (the folder is created; it is git-ignored).

Every call opens and closes its own connection, so one :class:`StateStore` can be shared by
Streamlit's threads; SQLite's busy timeout serialises concurrent writers. The SMTP password is
never stored: only what :class:`~carteiro.sender.smtp.SmtpTestResult` carries, whose texts are
already redacted. The ERP source is stored through :func:`source_key`, which drops the
database password from a URL.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd

from carteiro.erp.source import data_dir

if TYPE_CHECKING:
    from carteiro.sender.smtp import SmtpTestResult


STATE_DB_ENV = "CARTEIRO_STATE_DB"
BUSY_TIMEOUT_SECONDS = 30.0
SCHEMA_VERSION = 1

TABLE_SENDER_TEST = "sender_test"

# Columns of the sender-test history (SQLite table and DataFrame alike).
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
)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE_SENDER_TEST} (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    {COL_TESTED_AT}    TEXT    NOT NULL,  -- UTC, ISO 8601 with microseconds: sorts as text
    {COL_SOURCE}       TEXT    NOT NULL,  -- the ERP database, password removed
    {COL_SENDER_ID}    INTEGER,           -- NULL: typed by hand, not an ERP sender
    {COL_HOST}         TEXT    NOT NULL,
    {COL_PORT}         INTEGER NOT NULL,
    {COL_SECURITY}     TEXT    NOT NULL,
    {COL_FROM}         TEXT    NOT NULL,
    {COL_RECIPIENT}    TEXT    NOT NULL,
    {COL_SUCCESS}      INTEGER NOT NULL,
    {COL_FAILED_STAGE} TEXT,
    {COL_MESSAGE}      TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS {TABLE_SENDER_TEST}_latest
    ON {TABLE_SENDER_TEST} ({COL_SOURCE}, {COL_SENDER_ID}, {COL_TESTED_AT});
PRAGMA user_version = {SCHEMA_VERSION};
"""

_SECRET_KEYS = frozenset({"password", "passwd", "pwd", "pass", "senha"})
# key=value connection strings (libpq, ODBC): password=... up to a space or ';'
_DSN_SECRET = re.compile(
    r"(?i)(?:^|(?<=[\s;]))(?:password|passwd|pwd|senha)\s*=\s*(?:'[^']*'|\"[^\"]*\"|[^\s;]*);?"
)


def source_key(url: str) -> str:
    """Identify an ERP database without its password.

    ``postgresql+psycopg://erp:s3cret@db:5432/hubsoft`` becomes
    ``postgresql+psycopg://erp@db:5432/hubsoft``; password query parameters
    (``?password=...``) and ``password=...`` pairs of key=value connection strings are dropped
    too. Anything else (a file path, ``sqlite:///demo.sqlite``) is returned trimmed, unchanged.
    """
    text = url.strip()
    parts = urlsplit(text)
    if not parts.scheme or not (parts.netloc or parts.query):
        cleaned, count = _DSN_SECRET.subn("", text)
        return " ".join(cleaned.split()) if count else text
    userinfo, at, hostport = parts.netloc.rpartition("@")
    netloc = parts.netloc
    if at:
        user = userinfo.partition(":")[0]
        netloc = f"{user}@{hostport}" if user else hostport
    return urlunsplit(parts._replace(netloc=netloc, query=_query_without_secrets(parts.query)))


def _query_without_secrets(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(key, value) for key, value in pairs if key.lower() not in _SECRET_KEYS]
    return query if len(kept) == len(pairs) else urlencode(kept)


def _default_path() -> Path:
    env = os.environ.get(STATE_DB_ENV, "").strip()
    return Path(env) if env else data_dir() / ".carteiro" / "state.sqlite"


def _utc_iso(text: str) -> str:
    """Normalise a timestamp to UTC ISO 8601 with microseconds, so text order is time order."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class StateStore:
    """Carteiro's SQLite state file; see the module docstring for where it lives."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else _default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection per call, committed on success and always closed."""
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)) as con, con:
            yield con

    def record_sender_test(
        self, result: SmtpTestResult, *, source: str, sender_id: int | None
    ) -> None:
        """Append one test result to the history (never the password: it is not in ``result``)."""
        row = {
            COL_TESTED_AT: _utc_iso(result.started_at),
            COL_SOURCE: source_key(source),
            COL_SENDER_ID: sender_id,
            COL_HOST: result.host,
            COL_PORT: result.port,
            COL_SECURITY: result.security,
            COL_FROM: result.from_addr,
            COL_RECIPIENT: result.to_addr,
            COL_SUCCESS: int(result.ok),
            COL_FAILED_STAGE: result.failed_stage,
            COL_MESSAGE: result.message,
        }
        columns = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        with self._connect() as con:
            con.execute(f"INSERT INTO {TABLE_SENDER_TEST} ({columns}) VALUES ({marks})", row)

    def failed_sender_ids(self, source: str) -> frozenset[int]:
        """Senders of ``source`` whose latest recorded test failed (never tested: not failed)."""
        sql = f"""
            SELECT {COL_SENDER_ID}, {COL_SUCCESS} FROM (
                SELECT {COL_SENDER_ID}, {COL_SUCCESS}, ROW_NUMBER() OVER (
                    PARTITION BY {COL_SENDER_ID} ORDER BY {COL_TESTED_AT} DESC, id DESC
                ) AS position
                FROM {TABLE_SENDER_TEST}
                WHERE {COL_SOURCE} = ? AND {COL_SENDER_ID} IS NOT NULL
            ) WHERE position = 1 AND {COL_SUCCESS} = 0
        """
        with self._connect() as con:
            rows = con.execute(sql, (source_key(source),)).fetchall()
        return frozenset(int(sender_id) for sender_id, _ in rows)

    def recent_sender_tests(
        self, source: str, sender_id: int | None = None, limit: int = 20
    ) -> pd.DataFrame:
        """The latest ``limit`` tests of ``source`` (of one sender if given), newest first.

        ``tested_at`` is a UTC datetime, ``sender_id`` a nullable integer, ``success`` a bool.
        """
        where = f"{COL_SOURCE} = ?"
        params: list[object] = [source_key(source)]
        if sender_id is not None:
            where += f" AND {COL_SENDER_ID} = ?"
            params.append(sender_id)
        sql = (
            f"SELECT {', '.join(SENDER_TEST_COLUMNS)} FROM {TABLE_SENDER_TEST} WHERE {where} "
            f"ORDER BY {COL_TESTED_AT} DESC, id DESC LIMIT ?"
        )
        with self._connect() as con:
            rows = con.execute(sql, [*params, max(0, int(limit))]).fetchall()
        return _history_frame(rows)


def _history_frame(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=list(SENDER_TEST_COLUMNS))
    return frame.assign(
        **{
            COL_TESTED_AT: pd.to_datetime(frame[COL_TESTED_AT], utc=True, format="ISO8601"),
            COL_SENDER_ID: frame[COL_SENDER_ID].astype("Int64"),
            COL_PORT: frame[COL_PORT].astype("int64"),
            COL_SUCCESS: frame[COL_SUCCESS].astype(bool),
        }
    )

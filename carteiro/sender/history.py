"""Carteiro's own state store: a small SQLite file, never the ERP database.

For now it keeps the history of sender tests («Remetente de Email > Testar»). Condition 2 of
the audit (``sender_unavailable``) reads it: a sender whose latest recorded test failed is
unavailable; a sender never tested is not; a later success clears an earlier failure.

Location: the ``path`` argument, else the environment variable ``CARTEIRO_STATE_DB``, else
``state.sqlite`` in Carteiro's own folder (``.carteiro/`` of the checkout, git-ignored; see
:func:`carteiro.erp.source.home_dir`).

The file is private: Carteiro creates it 0600 (whatever the umask; SQLite gives its journal the
same mode) and every folder it has to create for it 0700. A state file Carteiro recognises as
its own is tightened to 0600 when found looser (earlier versions left it 0644); a folder that
already exists is never changed (it may be the user's ``/tmp``). The file must be Carteiro's:
``PRAGMA application_id`` says so, or, for files of earlier versions, the ``sender_test`` table;
an empty file is adopted. A folder, a file that is not SQLite, or another program's SQLite
database (the ERP's own file, say) is refused with one pt-BR line and left untouched: condition 2
cannot be evaluated without the history, so the audit stops rather than guess.

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
from contextlib import closing, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from carteiro.erp.source import home_dir, redact_url
from carteiro.errors import CarteiroError

if TYPE_CHECKING:
    from carteiro.sender.smtp import SmtpTestResult


STATE_DB_ENV = "CARTEIRO_STATE_DB"
BUSY_TIMEOUT_SECONDS = 30.0
SCHEMA_VERSION = 1
APPLICATION_ID = 0x43525452  # "CRTR": PRAGMA application_id of Carteiro's state files

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
PRAGMA application_id = {APPLICATION_ID};
"""

def source_key(url: str) -> str:
    """Identify an ERP database without its password (how the history stores its source).

    ``postgresql+psycopg://erp:s3cret@db:5432/hubsoft`` becomes
    ``postgresql+psycopg://erp@db:5432/hubsoft``; password-like query parameters
    (``?password=...``, ``?senha=...``) and ``password=...`` pairs of key=value connection
    strings are dropped too. A URL without secrets is its own key, unchanged (trimmed), as
    earlier versions stored it. See :func:`carteiro.erp.source.redact_url`.
    """
    return redact_url(url, mask=False)


def _default_path() -> Path:
    env = os.environ.get(STATE_DB_ENV, "").strip()
    return Path(env) if env else home_dir() / "state.sqlite"


def _utc_iso(text: str) -> str:
    """Normalise a timestamp to UTC ISO 8601 with microseconds, so text order is time order."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


# The state file: private, Carteiro's own, one line when it cannot be used -----------------------
def _make_folders(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each 0700; existing folders stay as they are."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    try:
        for each in reversed(missing):
            each.mkdir(mode=0o700, exist_ok=True)
            each.chmod(0o700)  # mkdir's mode passes through the umask
    except OSError as err:
        raise CarteiroError(
            f"não foi possível criar a pasta {folder} do arquivo de estado do Carteiro: "
            f"{err.strerror or err}"
        ) from None
    if not folder.is_dir():
        raise CarteiroError(
            f"{folder} não é uma pasta: o arquivo de estado do Carteiro não pode ficar nela — "
            f"aponte {STATE_DB_ENV} para um arquivo numa pasta"
        )


def _create_private(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 (True), or leave an existing file alone (False)."""
    if path.is_dir():
        raise CarteiroError(
            f"o arquivo de estado do Carteiro {path} é uma pasta — aponte {STATE_DB_ENV} para "
            f"um arquivo (ex.: {path / 'state.sqlite'})"
        )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except OSError as err:
        raise CarteiroError(
            f"não foi possível criar o arquivo de estado do Carteiro {path}: "
            f"{err.strerror or err}"
        ) from None
    try:
        os.fchmod(descriptor, 0o600)  # os.open's mode passes through the umask
    finally:
        os.close(descriptor)
    return True


def _is_ours(con: sqlite3.Connection) -> bool:
    """A Carteiro state file: its application id, or (earlier versions) the history table, or
    nothing in it yet."""
    application_id = con.execute("PRAGMA application_id").fetchone()[0]
    if application_id == APPLICATION_ID:
        return True
    tables = {row[0] for row in con.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    return application_id == 0 and (not tables or TABLE_SENDER_TEST in tables)


def _failure(path: Path, err: sqlite3.Error) -> str:
    """One pt-BR line for an SQLite error on the state file."""
    text = str(err)
    if re.search(r"not a database|encrypted|malformed", text, re.I):
        return (f"o arquivo de estado do Carteiro {path} não é um banco SQLite válido — mova-o "
                f"ou aponte {STATE_DB_ENV} para outro arquivo")
    if re.search(r"readonly|read-only", text, re.I):
        return (f"o arquivo de estado do Carteiro {path} não pode ser gravado (somente "
                "leitura) — confira as permissões do arquivo e da pasta")
    if re.search(r"locked|busy", text, re.I):
        return (f"o arquivo de estado do Carteiro {path} está bloqueado por outro programa — "
                "tente de novo em instantes")
    if re.search(r"unable to open", text, re.I):
        return (f"não foi possível abrir o arquivo de estado do Carteiro {path} — confira o "
                "caminho e as permissões")
    return f"erro no arquivo de estado do Carteiro {path}: {text.splitlines()[0] if text else ''}"


class StateStore:
    """Carteiro's SQLite state file; see the module docstring for where it lives."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else _default_path()
        _make_folders(self.path.parent)
        created = _create_private(self.path)
        with self._connect() as con:
            if not _is_ours(con):
                raise CarteiroError(
                    f"{self.path} não é o arquivo de estado do Carteiro: é um banco SQLite de "
                    f"outro programa, e o Carteiro não grava nele — aponte {STATE_DB_ENV} para "
                    "outro arquivo"
                )
            con.executescript(_SCHEMA)
        if not created and self.path.stat().st_mode & 0o077:
            with suppress(OSError):  # someone else's file: leave it
                self.path.chmod(0o600)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection per call, committed on success and always closed; an SQLite
        failure becomes one pt-BR line naming the file."""
        try:
            with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)) as con, con:
                yield con
        except sqlite3.Error as err:
            raise CarteiroError(_failure(self.path, err)) from None

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

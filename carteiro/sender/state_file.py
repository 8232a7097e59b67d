"""The state file itself: private, Carteiro's own, and one pt-BR line when it cannot be used.

Carteiro creates the file 0600 (whatever the umask; SQLite gives its journal the same mode) and
every folder it has to create for it 0700. A state file Carteiro recognises as its own is
tightened to 0600 when found looser (earlier versions left it 0644); a folder that already
exists is never changed (it may be the user's ``/tmp``). The file must be Carteiro's:
``PRAGMA application_id`` says so, or, for files of earlier versions, the ``sender_test`` table;
an empty file is adopted. A folder, a file that is not SQLite, or another program's SQLite
database (the ERP's own file, say) is refused with one pt-BR line and left untouched:
condition 2 cannot be evaluated without the history, so the audit stops rather than guess.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path

from carteiro.errors import CarteiroError
from carteiro.sender.history_schema import TABLE_SENDER_TEST, open_schema

STATE_DB_ENV = "CARTEIRO_STATE_DB"
BUSY_TIMEOUT_SECONDS = 30.0
APPLICATION_ID = 0x43525452  # "CRTR": PRAGMA application_id of Carteiro's state files


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


def open_state_file(path: Path) -> None:
    """Make ``path`` a usable state file (created private, checked to be Carteiro's, schema
    created or migrated), or raise one pt-BR line."""
    _make_folders(path.parent)
    created = _create_private(path)
    with connect(path, autocommit=True) as con:
        if not _is_ours(con):
            raise CarteiroError(
                f"{path} não é o arquivo de estado do Carteiro: é um banco SQLite de outro "
                f"programa, e o Carteiro não grava nele — aponte {STATE_DB_ENV} para outro "
                "arquivo"
            )
        open_schema(con)
        if con.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    if not created and path.stat().st_mode & 0o077:
        with suppress(OSError):  # someone else's file: leave it
            path.chmod(0o600)


@contextmanager
def connect(path: Path, *, autocommit: bool = False) -> Iterator[sqlite3.Connection]:
    """A fresh connection (committed on success, always closed); an SQLite failure becomes one
    pt-BR line naming the file."""
    try:
        if autocommit:
            with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS,
                                         isolation_level=None)) as con:
                yield con
        else:
            with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)) as con, con:
                yield con
    except sqlite3.Error as err:
        raise CarteiroError(_failure(path, err)) from None

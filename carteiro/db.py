"""Connections to the ERP database: read-only, with a statement timeout, and failures
explained in one pt-BR line a provider's technician can act on.

Carteiro never writes to the ERP. Every connection is opened read-only where the database
allows it: SQLite through ``mode=ro``, PostgreSQL with ``default_transaction_read_only``,
MariaDB/MySQL with ``SET SESSION TRANSACTION READ ONLY``.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from carteiro.config import redact_url
from carteiro.errors import DataSourceError

STATEMENT_TIMEOUT_ENV = "CARTEIRO_STATEMENT_TIMEOUT"
DEFAULT_STATEMENT_TIMEOUT = 60.0


def statement_timeout() -> float:
    try:
        return float(os.environ.get(STATEMENT_TIMEOUT_ENV, DEFAULT_STATEMENT_TIMEOUT))
    except ValueError:
        return DEFAULT_STATEMENT_TIMEOUT


def _sqlite_read_only(url: sa.URL) -> sa.URL:
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    path = Path(database)
    if not path.exists():
        raise DataSourceError(
            f"banco SQLite não encontrado: {path} (confira o caminho na URL)"
        )
    return url.set(database=f"file:{path.resolve()}?mode=ro", query={"uri": "true"})


def make_engine(url: str, *, timeout: float | None = None) -> Engine:
    """A read-only SQLAlchemy engine for the ERP database at ``url``."""
    seconds = statement_timeout() if timeout is None else timeout
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DataSourceError(
            f"URL do banco inválida: {redact_url(url)!r} (exemplo: "
            "postgresql+psycopg://usuario@servidor:5432/banco)"
        ) from None
    backend = parsed.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "sqlite":
        parsed = _sqlite_read_only(parsed)
    elif backend == "postgresql":
        connect_args["options"] = (
            f"-c default_transaction_read_only=on -c statement_timeout={int(seconds * 1000)}"
        )
        connect_args["connect_timeout"] = 10
    elif backend in ("mysql", "mariadb"):
        connect_args["connect_timeout"] = 10
    try:
        engine = sa.create_engine(parsed, connect_args=connect_args, pool_pre_ping=True)
    except (NoSuchModuleError, ModuleNotFoundError, ArgumentError) as err:
        raise DataSourceError(
            f"URL do banco não suportada: {redact_url(url)!r} ({err}); use sqlite:///, "
            "postgresql+psycopg:// ou mysql+pymysql://"
        ) from None
    if backend in ("mysql", "mariadb"):
        _install_mysql_session(engine, seconds)
    elif backend == "sqlite":
        _install_sqlite_timeout(engine, seconds)
    return engine


def _install_mysql_session(engine: Engine, seconds: float) -> None:
    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
        try:
            cursor.execute(f"SET SESSION max_statement_time = {float(seconds)}")  # MariaDB
        except Exception:
            cursor.execute(f"SET SESSION max_execution_time = {int(seconds * 1000)}")  # MySQL
        cursor.close()


def _install_sqlite_timeout(engine: Engine, seconds: float) -> None:
    """SQLite has no statement timeout: interrupt a statement that runs past ``seconds``."""

    @event.listens_for(engine, "connect")
    def _deadline(dbapi_connection: sqlite3.Connection, record: Any) -> None:
        state = {"start": time.monotonic()}

        def check() -> int:
            return 1 if time.monotonic() - state["start"] > seconds else 0

        dbapi_connection.set_progress_handler(check, 100_000)
        record.info["carteiro_deadline"] = state

    @event.listens_for(engine, "before_cursor_execute")
    def _restart(conn: Any, *_args: Any) -> None:
        state = conn.info.get("carteiro_deadline")
        if state is not None:
            state["start"] = time.monotonic()


_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"could not translate host name|Name or service not known|"
                r"nodename nor servname|getaddrinfo failed|Unknown MySQL server host|"
                r"Temporary failure in name resolution", re.I),
     "servidor do banco não encontrado ({host}): confira o nome do host na URL e o DNS"),
    (re.compile(r"Connection refused|Errno 111|Can't connect to (MySQL|MariaDB) server", re.I),
     "conexão recusada em {host}:{port}: confira se o banco está no ar, a porta e o firewall"),
    (re.compile(r"timeout expired|timed out", re.I),
     "o servidor do banco {host}:{port} não respondeu a tempo: confira rede e firewall"),
    (re.compile(r"password authentication failed|Access denied for user|"
                r"no password supplied|authentication failed", re.I),
     "usuário ou senha do banco recusados ({user}): confira as credenciais"),
    (re.compile(r'database "?[^"]*"? does not exist|Unknown database', re.I),
     "banco de dados {database!r} não existe em {host}: confira o nome do banco na URL"),
    (re.compile(r"unable to open database file", re.I),
     "não foi possível abrir o arquivo SQLite {database}: confira o caminho e as permissões"),
    (re.compile(r"statement timeout|max_statement_time|maximum statement execution time|"
                r"interrupted|Query execution was interrupted", re.I),
     "a consulta {query} passou do tempo limite de {timeout:g} s (variável "
     "CARTEIRO_STATEMENT_TIMEOUT): confira índices em {query} ou aumente o limite"),
    (re.compile(r"permission denied for (table|relation) (\w+)|"
                r"command denied to user .* for table [`']?(\w+)", re.I),
     "sem permissão de leitura na tabela {table} (consulta {query}): conceda SELECT ao "
     "usuário do Carteiro"),
    (re.compile(r'relation "?([\w.]+)"? does not exist|no such table: ([\w.]+)|'
                r"Table '[\w]*\.?(\w+)' doesn't exist", re.I),
     "a tabela {table} usada em {query} não existe neste banco: ajuste {query}"),
    (re.compile(r'column "?([\w.]+)"? does not exist|no such column: ([\w.]+)|'
                r"Unknown column '([\w.]+)'", re.I),
     "a coluna {column} usada em {query} não existe neste banco: ajuste {query}"),
    (re.compile(r"read-only|READ ONLY", re.I),
     "o Carteiro só lê o banco do ERP: a escrita foi recusada (transação somente leitura)"),
]


def explain(err: BaseException, url: str, query: str | None = None) -> DataSourceError:
    """Turn a driver error into one pt-BR line naming what to check."""
    text = str(getattr(err, "orig", None) or err)
    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = None
    facts = {
        "host": (parsed.host if parsed else None) or "localhost",
        "port": (parsed.port if parsed else None) or "padrão",
        "user": (parsed.username if parsed else None) or "(sem usuário)",
        "database": (parsed.database if parsed else None) or "",
        "query": f"queries/{query}.sql" if query else "a consulta",
        "timeout": statement_timeout(),
        "table": "?",
        "column": "?",
    }
    for pattern, template in _PATTERNS:
        match = pattern.search(text)
        if match:
            captured = next((g for g in match.groups() if g and g.lower() not in
                             ("table", "relation")), "?") if match.groups() else "?"
            facts["table"] = facts["column"] = captured
            return DataSourceError(template.format(**facts))
    first_line = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    where = f" em queries/{query}.sql" if query else ""
    return DataSourceError(f"erro do banco{where}: {first_line}")


def is_driver_error(err: BaseException) -> bool:
    return isinstance(err, DBAPIError | sqlite3.Error | OSError)

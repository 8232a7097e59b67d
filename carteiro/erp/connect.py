"""Connections to the ERP database: read-only, with a statement timeout.

Carteiro never writes to the ERP. Every connection is opened read-only where the database
allows it, by the session itself (not by trusting the user's rights):

- SQLite: the file is opened with the URI ``mode=ro`` and ``PRAGMA query_only = ON``;
- PostgreSQL: ``default_transaction_read_only=on`` as a startup option (it wins over
  ``ALTER ROLE/DATABASE ... SET``), so even ``postgres`` cannot write, nor run DDL;
- MariaDB/MySQL: ``SET SESSION TRANSACTION READ ONLY`` on every new connection.

Timeouts: ``CARTEIRO_STATEMENT_TIMEOUT`` seconds per statement (default 60; PostgreSQL
``statement_timeout``, MariaDB ``max_statement_time``, MySQL ``max_execution_time``, SQLite a
progress handler) and ``CARTEIRO_CONNECT_TIMEOUT`` seconds to connect (default 10; on
MariaDB/MySQL also the wait for the server's greeting, so a port that accepts and stays
silent does not hang Carteiro).

PostgreSQL sessions also get ``DateStyle=ISO``: ``queries/invoices.sql`` finds unreadable due
dates by their text form, which under ``DateStyle = 'SQL, DMY'`` (or German) would be
``10/03/2024`` and make every invoice of every period look unreadable.

Failures are explained in one line by :mod:`carteiro.erp.failures`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from carteiro.erp.source import redact_url
from carteiro.errors import DataSourceError

STATEMENT_TIMEOUT_ENV = "CARTEIRO_STATEMENT_TIMEOUT"
DEFAULT_STATEMENT_TIMEOUT = 60.0
CONNECT_TIMEOUT_ENV = "CARTEIRO_CONNECT_TIMEOUT"
DEFAULT_CONNECT_TIMEOUT = 10.0
# MariaDB/MySQL: a read that waits longer than the statement timeout plus this margin gives up
# (the server's own timeout should have answered long before).
READ_TIMEOUT_MARGIN = 30.0


def _seconds(env: str, default: float) -> float:
    try:
        value = float(os.environ.get(env, default))
    except ValueError:
        return default
    return value if value > 0 else default


def statement_timeout() -> float:
    """Seconds a statement may run (``CARTEIRO_STATEMENT_TIMEOUT``, default 60)."""
    return _seconds(STATEMENT_TIMEOUT_ENV, DEFAULT_STATEMENT_TIMEOUT)


def connect_timeout() -> float:
    """Seconds to wait for the server when connecting (``CARTEIRO_CONNECT_TIMEOUT``, default 10)."""
    return _seconds(CONNECT_TIMEOUT_ENV, DEFAULT_CONNECT_TIMEOUT)


# Engines ---------------------------------------------------------------------------------------
_PYSQLITE_ARGS = ("uri", "timeout", "isolation_level", "detect_types", "check_same_thread",
                  "cached_statements")


def _sqlite_read_only(url: sa.URL) -> sa.URL:
    """The SQLite URL as a ``file:`` URI with ``mode=ro``.

    A file path is made absolute and percent-encoded (``#``, ``%``, ``?`` in a path would
    otherwise be read as URI syntax); an explicit ``file:`` URI keeps its options but its
    ``mode`` becomes ``ro`` (``mode=memory`` stays). The whole URI, options included, is the
    URL's database, so any reader that opens ``engine.url.database`` itself (the ADBC reader of
    ``carteiro.erp.readers``) opens it read-only too. ``:memory:`` is left alone;
    ``PRAGMA query_only`` still makes every connection read-only.
    """
    database = url.database or ""
    if not database or database == ":memory:":
        return url
    uri_options = {k: v for k, v in url.query.items() if k not in _PYSQLITE_ARGS}
    driver_options = {k: v for k, v in url.query.items() if k in _PYSQLITE_ARGS}
    if database.startswith("file:"):
        location = database
    else:
        path = Path(database).expanduser()
        if not path.exists():
            raise DataSourceError(
                f"banco SQLite não encontrado: {path} — confira o caminho do arquivo na URL"
            )
        if path.is_dir():
            raise DataSourceError(
                f"{path} é uma pasta, não um banco SQLite — confira o caminho do arquivo na URL"
            )
        location = f"file:{quote(str(path.resolve()), safe='/')}"
    if uri_options.get("mode") != "memory":
        uri_options["mode"] = "ro"
    options = "&".join(f"{k}={v}" for k, v in sorted(uri_options.items()))
    return url.set(database=f"{location}?{options}", query={**driver_options, "uri": "true"})


def postgres_options(url: sa.URL | str, seconds: float | None = None, *,
                     jit_off: bool = False) -> str:
    """libpq ``options``: the URL's own (e.g. ``-csearch_path=erp``) first, Carteiro's last,
    so read-only and the timeout cannot be switched off from the URL. Any other reader that
    opens its own PostgreSQL connection must pass these options too.

    ``jit_off`` (for a server known to be PostgreSQL 11 or later; older ones refuse the
    setting) also switches JIT compilation off: Carteiro's queries are plain index reads, which
    JIT makes slower (PostgreSQL compiles for up to half a second when its row estimate is
    large, as for the walk over the distinct due dates)."""
    url = make_url(url) if isinstance(url, str) else url
    seconds = statement_timeout() if seconds is None else seconds
    ours = (
        "-c default_transaction_read_only=on "
        f"-c statement_timeout={max(1, int(seconds * 1000))} "
        "-c DateStyle=ISO" + (" -c jit=off" if jit_off else "")
    )
    theirs = url.query.get("options")
    if isinstance(theirs, tuple):
        theirs = " ".join(theirs)
    return f"{theirs} {ours}" if theirs else ours


# A URL without a driver means SQLAlchemy's default one, which Carteiro does not install:
# use the installed one instead (``st.connection`` examples often give only ``dialect``).
_DRIVERS = {"postgresql": ("psycopg2", "psycopg"), "mysql": ("MySQLdb", "pymysql"),
            "mariadb": ("MySQLdb", "pymysql")}


def _installed_driver(url: sa.URL) -> sa.URL:
    if url.drivername == "postgres":  # libpq's and Heroku's spelling
        url = url.set(drivername="postgresql")
    if url.drivername in _DRIVERS:
        default, installed = _DRIVERS[url.drivername]
        if importlib.util.find_spec(default) is None and importlib.util.find_spec(installed):
            return url.set(drivername=f"{url.drivername}+{installed}")
    return url


_EXAMPLES = ("exemplos: postgresql+psycopg://usuario:senha@servidor:5432/banco, "
             "mysql+pymysql://usuario:senha@servidor:3306/banco, sqlite:///caminho/erp.sqlite")
_ENCODE = ("se a senha tem ':', '@', '/', '?' ou '#', escreva-os como %3A, %40, %2F, %3F e %23")
# MariaDB/MySQL (PyMySQL) URL parameters that run SQL or widen what the session may do before
# Carteiro's read-only settings apply: init_command runs any statement at connect (autocommit
# would commit it), client_flag may allow stacked statements, local_infile lets the server
# read this machine's files, read_default_file/group load an option file (with init-command).
UNSAFE_MYSQL_PARAMETERS = ("init_command", "client_flag", "local_infile", "read_default_file",
                           "read_default_group")


def parse_url(url: str) -> sa.URL:
    """The database URL as SQLAlchemy reads it, or one pt-BR line saying what is wrong with it
    (never showing the password: see :func:`carteiro.erp.source.redact_url`)."""
    shown = redact_url(url)
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise DataSourceError(f"URL do banco inválida: {shown!r} — {_EXAMPLES}") from None
    except ValueError:  # SQLAlchemy's int() of the port
        raise DataSourceError(
            f"URL do banco inválida: {shown!r} — a porta, depois de ':', deve ser um número "
            f"(ex.: servidor:5432); {_ENCODE}"
        ) from None
    if parsed.password is not None and "@" in f"{parsed.host or ''}{parsed.database or ''}":
        raise DataSourceError(
            f"URL do banco inválida: {shown!r} — a senha tem '@' sem codificar; {_ENCODE}")
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise DataSourceError(
            f"URL do banco inválida: {shown!r} — a porta {parsed.port} não existe (use um "
            "número de 1 a 65535)")
    return parsed


def _check_mysql_parameters(url: sa.URL, text: str) -> None:
    unsafe = [key for key in url.query if key.lower() in UNSAFE_MYSQL_PARAMETERS]
    if unsafe:
        raise DataSourceError(
            f"a URL do banco {redact_url(text)!r} tem o parâmetro {unsafe[0]}, que o Carteiro "
            "não aceita: ele executa comandos ou libera acessos na conexão, e o Carteiro só lê "
            "o banco do ERP — remova-o da URL")
    charset = url.query.get("charset")
    if isinstance(charset, str) and url.get_driver_name() == "pymysql":
        from pymysql.charset import charset_by_name

        if charset_by_name(charset) is None:
            raise DataSourceError(
                f"charset {charset!r} desconhecido na URL do banco {redact_url(text)!r} — use "
                "?charset=utf8mb4 (ou tire o parâmetro)")


# What a driver raises, instead of its own errors, for a URL parameter it does not take
# (PyMySQL: TypeError for an unknown keyword, AttributeError/LookupError for a bad value).
URL_REJECTIONS = (TypeError, ValueError, AttributeError, LookupError, OverflowError)


def url_refused(err: BaseException, url: str) -> DataSourceError:
    """One line for a driver that refused the URL's parameters before reaching the server."""
    text = str(err).strip()
    unknown = re.search(r"unexpected keyword argument '([^']+)'", text)
    if unknown:
        what = f"o parâmetro {unknown.group(1)} não existe para este banco"
    else:
        what = (text.splitlines()[0] if text else type(err).__name__)
    return DataSourceError(
        f"o driver do banco recusou a URL {redact_url(url)!r}: {what} — confira os parâmetros "
        "depois de '?' na URL"
    )


def make_engine(url: str, *, timeout: float | None = None) -> Engine:
    """A read-only SQLAlchemy engine for the ERP database at ``url``.

    ``timeout`` is the statement timeout in seconds (default: ``CARTEIRO_STATEMENT_TIMEOUT``).
    Nothing connects yet: connection failures surface on first use (see :func:`explain`).
    """
    seconds = statement_timeout() if timeout is None else float(timeout)
    connecting = connect_timeout()
    parsed = _installed_driver(parse_url(url))
    backend = parsed.get_backend_name()
    if backend in ("mysql", "mariadb"):
        _check_mysql_parameters(parsed, url)
    connect_args: dict[str, Any] = {}
    if backend == "sqlite":
        parsed = _sqlite_read_only(parsed)
    elif backend == "postgresql":
        connect_args["options"] = postgres_options(parsed, seconds)
        connect_args["connect_timeout"] = max(1, round(connecting))
    elif backend in ("mysql", "mariadb"):
        connect_args["connect_timeout"] = connecting
        # PyMySQL waits for the server's greeting with read_timeout: bound it by the
        # connect timeout here, and widen it once connected (see _install_mysql_session).
        connect_args["read_timeout"] = connecting
    try:
        engine = sa.create_engine(parsed, connect_args=connect_args, pool_pre_ping=True)
    except (NoSuchModuleError, ModuleNotFoundError, ArgumentError) as err:
        raise DataSourceError(
            f"URL do banco não suportada: {redact_url(url)!r} ({err}) — use sqlite:///, "
            "postgresql+psycopg:// ou mysql+pymysql://"
        ) from None
    except URL_REJECTIONS as err:  # a driver option of the URL that is not of its type
        raise url_refused(err, url) from None
    if backend in ("mysql", "mariadb"):
        _install_mysql_session(engine, seconds)
    elif backend == "sqlite":
        _install_sqlite_session(engine, seconds)
    elif backend == "postgresql":
        _install_postgres_session(engine)
    return engine


def mysql_session(seconds: float, *, mariadb: bool) -> list[str]:
    """The statements that make a MariaDB/MySQL session read-only with a statement timeout of
    ``seconds``: MariaDB's ``max_statement_time``, or MySQL's ``max_execution_time`` (which
    covers SELECTs). Any reader that opens its own connection runs them first."""
    limit = (f"SET SESSION max_statement_time = {float(seconds)}" if mariadb
             else f"SET SESSION max_execution_time = {int(seconds * 1000)}")
    return ["SET SESSION TRANSACTION READ ONLY", limit]


def _install_mysql_session(engine: Engine, seconds: float) -> None:
    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            read_only, mariadb_limit = mysql_session(seconds, mariadb=True)
            cursor.execute(read_only)
            try:
                cursor.execute(mariadb_limit)
            except Exception:  # MySQL: no max_statement_time
                cursor.execute(mysql_session(seconds, mariadb=False)[1])
        finally:
            cursor.close()
        if hasattr(dbapi_connection, "_read_timeout"):  # PyMySQL: now wait for results
            dbapi_connection._read_timeout = seconds + READ_TIMEOUT_MARGIN


def _install_postgres_session(engine: Engine) -> None:
    """JIT off on PostgreSQL 11 or later (see :func:`postgres_options`; the server's version is
    known only once connected)."""

    @event.listens_for(engine, "connect")
    def _no_jit(dbapi_connection: Any, _record: Any) -> None:
        version = getattr(getattr(dbapi_connection, "info", None), "server_version", 0)
        if version >= 110000:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SET jit = off")
            finally:
                cursor.close()
            dbapi_connection.commit()  # a SET in a transaction rolled back would be undone


def _install_sqlite_session(engine: Engine, seconds: float) -> None:
    """``PRAGMA query_only``, and a deadline: SQLite has no statement timeout, so a progress
    handler interrupts a statement that runs past ``seconds``."""

    @event.listens_for(engine, "connect")
    def _session(dbapi_connection: sqlite3.Connection, record: Any) -> None:
        dbapi_connection.execute("PRAGMA query_only = ON")
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

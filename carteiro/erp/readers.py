"""Readers: one ``queries/<name>.sql`` with its bound parameters → a frame, through the fastest
reader the driver offers.

Every database is reached through a SQLAlchemy engine (``carteiro.erp.connect.make_engine``): it
resolves the URL, makes the connection read-only, sets the statement timeout and turns driver
failures into one pt-BR line. Every query then takes ONE path, :func:`read_query`:

    query text → ``:named`` parameters bound by the driver → a reader → frame → column check.

The reader is the fastest one the driver offers (:func:`reader_for`):

* ``adbc-sqlite`` — a SQLite file, through ``adbc-driver-sqlite``;
* ``adbc-postgresql`` — PostgreSQL, through ``adbc-driver-postgresql`` when it is installed;
* ``sqlalchemy`` — everything else (MariaDB/MySQL, an in-memory SQLite): ``pandas.read_sql``
  over a connection of the engine.

The ADBC readers return Arrow columns built in C, with no Python object per value: at a million
customers the month loads in a third of the time and about half the memory of
``pandas.read_sql``, which spends most of its time building Python objects in the DB-API driver
(``bench/`` measures both). ``CARTEIRO_READER=sqlalchemy`` forces the reference path.

How the ADBC readers keep SQLAlchemy's behaviour:

* **Reaching the database.** The engine opens (and pings) one connection first, so a missing
  file, a refused connection or a wrong password fails exactly as before. ADBC then opens the
  same database: SQLite through the engine's ``file:...?mode=ro`` URI (read-only); PostgreSQL
  through a libpq URI rendered from the engine's URL, with the session options of the engine's
  own connections (``carteiro.erp.connect.postgres_options``: read-only, statement timeout,
  ISO dates, the URL's own ``options``) and its connect timeout.
* **Parameters** are bound by the driver, never formatted into the text: each ``:name`` becomes a
  numbered placeholder (``?1`` for SQLite, ``$1`` for PostgreSQL) in order of first appearance
  (:func:`query_parameters`), quoted literals and ``::casts`` left alone. Dates are bound as ISO
  text on SQLite (what SQLAlchemy's ``Date`` type sends) and as dates on PostgreSQL.
* **Types.** SQLite has no column types: ADBC infers each column's type from the rows of a
  batch, and fails on a later batch that does not fit. Every result is read as ONE batch, so
  the inference sees every row: integers and reals become reals, and a column that mixes text
  with numbers (``'S'`` or ``'sim'`` among 0/1 flags, ``'lixo'`` among dates, ``20240310``
  stored as a number among ISO dates) becomes text (``'1'``, ``'S'``, ``'20240310'``). This is
  the one intended raw difference from ``pandas.read_sql``, which returns such a column as
  objects of mixed Python types; the normalisation (``carteiro.normalise``) reads both the same
  way, which ``tests/test_fast_reader.py`` checks column by column and dtype by dtype.
  Otherwise the frame has ``read_sql``'s dtypes (:func:`arrow_to_pandas`): integers int64,
  numerics float64, a column of only nulls (or of no rows) objects.
* **Timeouts.** ADBC's SQLite driver cannot interrupt a statement, so a statement that runs
  past ``CARTEIRO_STATEMENT_TIMEOUT`` is abandoned (it finishes in a daemon thread and its result
  is dropped) and reported like SQLAlchemy's interrupted one. PostgreSQL cancels it itself.
* **Errors** go through the same :func:`carteiro.erp.failures.explain`. Should ADBC fail to
  connect where SQLAlchemy just did (an authentication method libpq-through-ADBC lacks, say),
  the query is read through SQLAlchemy instead, with a warning in the log.

"""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.engine import Engine

from carteiro.erp.connect import (
    URL_REJECTIONS,
    connect_timeout,
    postgres_options,
    statement_timeout,
    url_refused,
)
from carteiro.erp.failures import explain, is_driver_error
from carteiro.erp.queries import (
    bound_statement,
    check_columns,
    missing_parameters,
    positional_sql,
    query_parameters,
    query_text,
)

log = logging.getLogger("carteiro.erp.readers")

READER_ENV = "CARTEIRO_READER"
ADBC_SQLITE, ADBC_POSTGRESQL, SQLALCHEMY = "adbc-sqlite", "adbc-postgresql", "sqlalchemy"
# Rows per Arrow batch for ADBC SQLite: one batch per result, so type inference sees every row.
SQLITE_BATCH_ROWS = 1 << 30
_PG_TIMEOUT_GRACE = 5.0  # PostgreSQL cancels the statement itself; wait a little longer


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _sqlite_file_uri(engine: Engine) -> str | None:
    """The ``file:`` URI of a file-backed SQLite engine (None for an in-memory database)."""
    database = engine.url.database or ""
    if not database or database == ":memory:" or "mode=memory" in database:
        return None
    if database.startswith("file:"):
        return database
    return f"file:{Path(database).resolve()}?mode=ro"


def reader_for(engine: Engine) -> str:
    """The reader :func:`read_query` uses for ``engine`` (see the module docstring)."""
    wanted = os.environ.get(READER_ENV, "").strip().lower()
    if wanted == SQLALCHEMY:
        return SQLALCHEMY
    backend = engine.url.get_backend_name()
    if backend == "sqlite" and _sqlite_file_uri(engine) and _installed("adbc_driver_sqlite"):
        return ADBC_SQLITE
    if backend == "postgresql" and _installed("adbc_driver_postgresql"):
        return ADBC_POSTGRESQL
    return SQLALCHEMY


def _postgresql_uri(engine: Engine) -> str:
    """A libpq URI for the engine's database with the options of the engine's own sessions
    (``carteiro.erp.connect.postgres_options``: read-only, statement timeout, ISO dates, and
    the URL's own ``options``) and its connect timeout. Query parameters are percent-encoded
    (libpq does not read ``+`` as a space)."""
    url = engine.url
    query: dict[str, str] = {}
    for key, value in url.query.items():
        if key != "options":
            query[key] = value if isinstance(value, str) else value[-1]
    query["options"] = postgres_options(url)
    query["connect_timeout"] = str(max(1, round(connect_timeout())))
    user = quote(url.username or "", safe="")
    if url.password is not None:
        user += ":" + quote(str(url.password), safe="")
    host = url.host or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{user}@{host}" if user else host
    if url.port:
        netloc += f":{url.port}"
    database = quote(url.database or "", safe="")
    return f"postgresql://{netloc}/{database}?{urlencode(query, quote_via=quote)}"


def _adbc_connect(engine: Engine, reader: str) -> Any:
    if reader == ADBC_SQLITE:
        import adbc_driver_sqlite.dbapi

        uri = _sqlite_file_uri(engine)
        return adbc_driver_sqlite.dbapi.connect(uri, autocommit=True)
    import adbc_driver_postgresql.dbapi

    return adbc_driver_postgresql.dbapi.connect(_postgresql_uri(engine), autocommit=True)


def _adbc_value(value: Any, reader: str) -> Any:
    if reader == ADBC_SQLITE and isinstance(value, dt.date | dt.datetime):
        return value.isoformat()  # what SQLAlchemy's Date type binds on SQLite
    return value


def _read_adbc(engine: Engine, reader: str, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
    text, names = positional_sql(sql, "?" if reader == ADBC_SQLITE else "$")
    missing_parameters(names, params)
    values = [_adbc_value(params[n], reader) for n in names]
    try:
        connection = _adbc_connect(engine, reader)
    except Exception as err:  # SQLAlchemy reached the database (check_connection): use it
        if not _driver_error(err):
            raise
        log.warning("ADBC (%s) could not connect (%s); reading through SQLAlchemy", reader,
                    str(err).splitlines()[0] if str(err) else type(err).__name__)
        return _read_sqlalchemy(engine, sql, params)
    try:
        cursor = connection.cursor()
        try:
            if reader == ADBC_SQLITE:
                cursor.adbc_statement.set_options(
                    **{"adbc.sqlite.query.batch_rows": str(SQLITE_BATCH_ROWS)}
                )
            cursor.execute(text, values or None)
            table = cursor.fetch_arrow_table()
        finally:
            cursor.close()
    finally:
        connection.close()
    return arrow_to_pandas(table)


def _plain_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column in the types ``pandas.read_sql`` gives through SQLAlchemy: every integer as
    int64, floats as float64, numerics/decimals as float64 (``coerce_float``), a driver's
    extension type (PostgreSQL ``numeric`` comes as ``arrow.opaque`` text) as its storage, and
    a column of only nulls (or of no rows) as objects (``None``)."""
    kind = column.type
    if column.null_count == len(column):  # only nulls, or no rows: objects, as read_sql
        return pa.chunked_array([pa.nulls(len(column))], type=pa.null())
    if isinstance(kind, pa.BaseExtensionType):
        storage = pa.chunked_array([c.storage for c in column.chunks], type=kind.storage_type)
        if getattr(kind, "type_name", "") == "numeric":
            return pc.cast(storage, pa.float64())
        return _plain_column(storage)
    if pa.types.is_integer(kind) and kind != pa.int64():
        return pc.cast(column, pa.int64())
    if pa.types.is_floating(kind) and kind != pa.float64() or pa.types.is_decimal(kind):
        return pc.cast(column, pa.float64())
    return column


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow result as the frame Carteiro reads (see :func:`_plain_column`); strings stay
    Arrow-backed (pandas' ``str``), no Python object per value except dates and nullable
    booleans, which ``pandas.read_sql`` also returns as objects."""
    columns = [_plain_column(c) for c in table.columns]
    plain = pa.Table.from_arrays(columns, names=table.column_names)
    return plain.to_pandas(split_blocks=True, self_destruct=True)


def _read_sqlalchemy(engine: Engine, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
    statement, values = bound_statement(sql, params)
    with engine.connect() as connection:
        return pd.read_sql(statement, connection, params=values)


def _driver_error(err: BaseException) -> bool:
    if is_driver_error(err):
        return True
    try:
        import adbc_driver_manager
    except ImportError:  # pragma: no cover - adbc is a requirement
        return False
    return isinstance(err, adbc_driver_manager.Error)


class _Background:
    """A call running in a daemon thread; :meth:`result` waits for it (at most ``timeout``).

    A daemon thread, so an abandoned statement (past its timeout) never holds the process
    open at exit; it runs to its end and its result is dropped."""

    def __init__(self, call: Callable[[], pd.DataFrame]) -> None:
        self._done = threading.Event()
        self._value: pd.DataFrame | None = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = call()
            except BaseException as err:  # handed to the waiting thread
                self._error = err
            finally:
                self._done.set()

        threading.Thread(target=run, name="carteiro-read", daemon=True).start()

    def result(self, timeout: float | None) -> pd.DataFrame:
        if not self._done.wait(timeout):
            raise TimeoutError("statement interrupted: past the statement timeout")
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


class PendingRead:
    """One ``queries/<name>.sql`` being read, in the background from its creation."""

    def __init__(self, engine: Engine, name: str, params: Mapping[str, Any] | None,
                 url: str | None) -> None:
        self.engine, self.name, self.url = engine, name, url or str(engine.url)
        sql = query_text(name, engine.url.get_backend_name())
        params = params or {}
        missing_parameters(query_parameters(sql), params)
        self.reader = reader_for(engine)
        if self.reader == SQLALCHEMY:
            self.timeout = None  # the driver enforces it (carteiro.erp.connect)
            self._task = _Background(lambda: _read_sqlalchemy(engine, sql, params))
        else:
            seconds = statement_timeout()
            self.timeout = seconds if self.reader == ADBC_SQLITE else seconds + _PG_TIMEOUT_GRACE
            self._task = _Background(lambda: _read_adbc(engine, self.reader, sql, params))

    def result(self) -> pd.DataFrame:
        try:
            frame = self._task.result(self.timeout)
        except Exception as err:
            if isinstance(err, TimeoutError) or _driver_error(err):
                raise explain(err, self.url, self.name) from None
            raise
        frame.columns = [str(c).lower() for c in frame.columns]
        check_columns(self.name, frame)
        return frame


def check_connection(engine: Engine, url: str | None) -> None:
    """Reach the database through SQLAlchemy once, so connection failures (host, port,
    password, missing database) are reported exactly as on the SQLAlchemy path."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1").all()
    except Exception as err:
        if is_driver_error(err):
            raise explain(err, url or str(engine.url)) from None
        if isinstance(err, URL_REJECTIONS):  # the driver refused a URL parameter
            raise url_refused(err, url or str(engine.url)) from None
        raise


def read_query(engine: Engine, name: str, params: Mapping[str, Any] | None = None,
               url: str | None = None) -> pd.DataFrame:
    """Run ``queries/<name>.sql`` and return its rows with Carteiro's column names."""
    return PendingRead(engine, name, params, url).result()

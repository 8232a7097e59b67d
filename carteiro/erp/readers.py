"""Readers: one ``queries/<name>.sql`` with its bound parameters → a frame, through the fastest
reader the driver offers.

Every database is reached through a SQLAlchemy engine (``carteiro.erp.connect.make_engine``): it
resolves the URL, makes the connection read-only, sets the statement timeout and turns driver
failures into one pt-BR line. Every query then takes ONE path, :func:`read_query`:

    query text → ``:named`` parameters bound by the driver → a reader → frame → column check.

The reader is the fastest one the driver offers (:func:`reader_for`):

* ``adbc-sqlite`` — a SQLite file, through ``adbc-driver-sqlite``;
* ``adbc-postgresql`` — PostgreSQL, through ``adbc-driver-postgresql`` when it is installed;
* ``connectorx-mysql`` — MariaDB/MySQL through ``connectorx`` (:mod:`carteiro.erp.mysql_reader`)
  for a ``mysql+pymysql://`` URL it can honour the same way;
* ``sqlalchemy`` — everything else (an in-memory SQLite, a MariaDB URL with TLS options…):
  ``pandas.read_sql`` over a connection of the engine.

The ADBC and connectorx readers return Arrow columns built in C/Rust, with no Python object per
value: at a million customers the month loads in a third of the time and about half the memory
of ``pandas.read_sql``, which spends most of its time building Python objects in the DB-API
driver (on MariaDB PyMySQL even parses the protocol in Python: a tenth of the time there;
``bench/`` measures both). ``CARTEIRO_READER=sqlalchemy`` forces the reference path.

How the ADBC readers keep SQLAlchemy's behaviour:

* **Reaching the database.** The engine opens (and pings) one connection first, so a missing
  file, a refused connection or a wrong password fails exactly as before. ADBC then opens the
  same database: SQLite through the engine's ``file:...?mode=ro`` URI (read-only); PostgreSQL
  through a libpq URI rendered from the engine's URL, with the session options of the engine's
  own connections (``carteiro.erp.connect.postgres_options``: read-only, statement timeout,
  ISO dates, the URL's own ``options``) and its connect timeout.
* **Parameters** are bound by the driver, never formatted into the text: each ``:name`` becomes a
  numbered placeholder (``?1`` for SQLite, ``$1`` for PostgreSQL) in order of first appearance
  (:func:`query_parameters`), quoted literals and ``::casts`` left alone. Days are bound as ISO
  text on SQLite; on PostgreSQL as the type the server infers for the placeholder when the
  statement is prepared (a date where it is compared with a DATE or TIMESTAMP column, ISO text
  where it is compared with a TEXT/VARCHAR one), as SQLAlchemy's untyped ISO text is.
* **Types.** SQLite has no column types: ADBC infers each column's type from the rows of a
  batch, and fails on a later batch that does not fit. Every result is read as ONE batch, so
  the inference sees every row: integers and reals become reals, and a column that mixes text
  with numbers (``'S'`` or ``'sim'`` among 0/1 flags, ``'lixo'`` among dates, ``20240310``
  stored as a number among ISO dates) becomes text (``'1'``, ``'S'``, ``'20240310'``), where
  ``pandas.read_sql`` returns objects of mixed Python types. The other intended raw
  differences, on every fast reader: a DATE column is ``datetime64`` days and a BOOLEAN column
  with a null pandas' nullable ``boolean``, where ``read_sql`` gives ``date``/``bool`` objects
  (:func:`arrow_to_pandas`). The normalisation (``carteiro.erp.normalise``) reads both the same
  way, which ``tests/test_fast_reader.py`` checks column by column and dtype by dtype.
  Otherwise the frame has ``read_sql``'s dtypes: integers int64, numerics float64 (the nearest
  float to the decimal, as ``float(Decimal)``), a column of only nulls (or of no rows) objects.
* **Connections.** An ADBC connection is reused by the next read of the same engine once its
  read has succeeded (:class:`_AdbcConnections`; opening one costs ~0.1 s on PostgreSQL), and
  closed when the engine is disposed.
* **Timeouts.** ADBC's SQLite driver cannot interrupt a statement, so a statement that runs
  past ``CARTEIRO_STATEMENT_TIMEOUT`` is abandoned (it finishes in a daemon thread and its result
  is dropped) and reported like SQLAlchemy's interrupted one. PostgreSQL cancels it itself.
* **Errors** go through the same :func:`carteiro.erp.failures.explain`. Should ADBC fail to
  connect where SQLAlchemy just did (an authentication method libpq-through-ADBC lacks, say),
  the query is read through SQLAlchemy instead, with a warning in the log.

"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import importlib.util
import logging
import os
import threading
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import event
from sqlalchemy.engine import Engine

from carteiro.erp import mysql_reader
from carteiro.erp.connect import (
    URL_REJECTIONS,
    connect_timeout,
    postgres_options,
    statement_timeout,
    url_refused,
)
from carteiro.erp.failures import explain, is_driver_error
from carteiro.erp.mysql_reader import connectorx_uri
from carteiro.erp.queries import (
    bound_statement,
    check_columns,
    iso_day,
    missing_parameters,
    positional_sql,
    query_parameters,
    query_text,
)

log = logging.getLogger("carteiro.erp.readers")

READER_ENV = "CARTEIRO_READER"
ADBC_SQLITE, ADBC_POSTGRESQL, SQLALCHEMY = "adbc-sqlite", "adbc-postgresql", "sqlalchemy"
CONNECTORX_MYSQL = "connectorx-mysql"
# Rows per Arrow batch for ADBC SQLite: one batch per result, so type inference sees every row.
SQLITE_BATCH_ROWS = 1 << 30
_SERVER_TIMEOUT_GRACE = 5.0  # the server cancels the statement itself; wait a little longer


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
    if (backend in ("mysql", "mariadb") and _installed("connectorx")
            and connectorx_uri(engine) is not None):
        return CONNECTORX_MYSQL
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
    version = engine.dialect.server_version_info or (0,)
    query["options"] = postgres_options(url, jit_off=version >= (11,))
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


def _adbc_value(value: Any, reader: str, wanted: pa.DataType | None) -> Any:
    """A parameter as ADBC binds it: a day as ISO text on SQLite (what SQLAlchemy binds there)
    and where PostgreSQL expects text (``wanted``, the type it inferred); else unchanged."""
    if not isinstance(value, dt.date):
        return value
    if reader == ADBC_SQLITE:
        return value.isoformat()
    if wanted is not None and (pa.types.is_string(wanted) or pa.types.is_large_string(wanted)):
        return iso_day(value) if not isinstance(value, dt.datetime) else value.isoformat(" ")
    return value


def _parameter_types(cursor: Any, reader: str, text: str, count: int) -> list[Any]:
    """The types PostgreSQL infers for the placeholders of ``text`` (it prepares it)."""
    if reader != ADBC_POSTGRESQL or not count:
        return [None] * count
    schema = cursor.adbc_prepare(text)
    if schema is None or len(schema) != count:
        return [None] * count
    return [field.type for field in schema]


class _AdbcConnections:
    """Idle ADBC connections per engine, reused by the reads of one load: opening an ADBC
    PostgreSQL connection costs about 0.1 s (the driver loads the server's type catalogue),
    once per query otherwise. A connection goes back only after a read that succeeded; all are
    closed when the engine is disposed (a read abandoned at its timeout closes its own when it
    ends)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: weakref.WeakKeyDictionary[Engine, list[Any]] = weakref.WeakKeyDictionary()

    def acquire(self, engine: Engine, reader: str) -> Any:
        with self._lock:
            idle = self._idle.get(engine)
            if idle:
                return idle.pop()
            watched = engine in self._idle
            self._idle.setdefault(engine, [])
        if not watched:
            event.listen(engine, "engine_disposed", self._close_all)
        return _adbc_connect(engine, reader)

    def release(self, engine: Engine, connection: Any, reusable: bool) -> None:
        with self._lock:
            idle = self._idle.get(engine)
            if reusable and idle is not None:
                idle.append(connection)
                return
        connection.close()

    def _close_all(self, engine: Engine) -> None:
        with self._lock:
            idle = self._idle.pop(engine, [])
        for connection in idle:
            connection.close()


_CONNECTIONS = _AdbcConnections()


def _read_adbc(engine: Engine, reader: str, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
    text, names = positional_sql(sql, "?" if reader == ADBC_SQLITE else "$")
    missing_parameters(names, params)
    try:
        connection = _CONNECTIONS.acquire(engine, reader)
    except Exception as err:  # SQLAlchemy reached the database (check_connection): use it
        if not _driver_error(err):
            raise
        log.warning("ADBC (%s) could not connect (%s); reading through SQLAlchemy", reader,
                    str(err).splitlines()[0] if str(err) else type(err).__name__)
        return _read_sqlalchemy(engine, sql, params)
    done = False
    try:
        cursor = connection.cursor()
        try:
            if reader == ADBC_SQLITE:
                cursor.adbc_statement.set_options(
                    **{"adbc.sqlite.query.batch_rows": str(SQLITE_BATCH_ROWS)}
                )
            wanted = _parameter_types(cursor, reader, text, len(names))
            values = [_adbc_value(params[n], reader, w) for n, w in zip(names, wanted, strict=True)]
            cursor.execute(text, values or None)
            table = cursor.fetch_arrow_table()
            done = True
        finally:
            cursor.close()
    finally:
        _CONNECTIONS.release(engine, connection, done)
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
    if pa.types.is_decimal(kind):
        return _decimal_floats(column)
    if pa.types.is_floating(kind) and kind != pa.float64():
        return pc.cast(column, pa.float64())
    return column


def _decimal_floats(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Decimals as the nearest float64, as ``float(Decimal)`` gives (``read_sql``'s
    ``coerce_float``). Arrow's own decimal → float cast multiplies by an inexact power of ten
    and misses by one unit in the last place about one time in four (``75.66`` comes out as
    ``75.66000000000001``); the decimal text parses to the nearest float."""
    return pc.cast(pc.cast(column, pa.string()), pa.float64())


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow result as the frame Carteiro reads (see :func:`_plain_column`), with no Python
    object per value: strings stay Arrow-backed (pandas' ``str``), dates become
    ``datetime64`` days and booleans with nulls pandas' nullable ``boolean``, where
    ``pandas.read_sql`` gives Python ``date``/``bool`` objects (the normalisation reads both
    the same way; at a million invoices the objects cost ~80 MB and their garbage more)."""
    columns = [_plain_column(c) for c in table.columns]
    plain = pa.Table.from_arrays(columns, names=table.column_names)
    flags = {i: column.to_pandas(types_mapper=_BOOLEAN.get).array
             for i, column in enumerate(plain.columns)
             if pa.types.is_boolean(column.type) and column.null_count}
    frame = plain.to_pandas(split_blocks=True, self_destruct=True, date_as_object=False)
    for i, values in flags.items():
        frame.isetitem(i, values)
    return frame


_BOOLEAN = {pa.bool_(): pd.BooleanDtype()}


def _read_sqlalchemy(engine: Engine, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
    statement, values = bound_statement(sql, params)
    with engine.connect() as connection:
        return pd.read_sql(statement, connection, params=values)


def _read_connectorx(engine: Engine, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
    try:
        table = mysql_reader.read_arrow(engine, sql, params)
    except mysql_reader.ConnectorxFailed as err:
        # expected for values connectorx cannot convert (MariaDB's zero dates): not a warning
        log.info("connectorx could not read (%s); reading through SQLAlchemy", err)
        return _read_sqlalchemy(engine, sql, params)
    return arrow_to_pandas(table)


def _driver_error(err: BaseException) -> bool:
    if is_driver_error(err):
        return True
    try:
        import adbc_driver_manager
    except ImportError:  # pragma: no cover - adbc is a requirement
        return False
    return isinstance(err, adbc_driver_manager.Error)


def release_memory() -> None:
    """Hand the memory freed so far back to the system. The readers run in several threads and
    glibc's malloc keeps freed memory in each thread's arena: at a million customers that is
    hundreds of megabytes of resident memory holding nothing (``malloc_trim``; a no-op where
    the C library has no such function), and what Arrow's memory pool holds unused."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
    pa.default_memory_pool().release_unused()  # Arrow's own allocator (mimalloc) keeps some


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
                # The driver's buffers, freed in this thread's arena: back to the system now,
                # not once the other tables are normalised (PostgreSQL's invoices: ~170 MB).
                release_memory()
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
        seconds = statement_timeout()
        if self.reader == SQLALCHEMY:
            self.timeout = None  # the driver enforces it (carteiro.erp.connect)
            self._task = _Background(lambda: _read_sqlalchemy(engine, sql, params))
        elif self.reader == CONNECTORX_MYSQL:
            self.timeout = seconds + _SERVER_TIMEOUT_GRACE
            self._task = _Background(lambda: _read_connectorx(engine, sql, params))
        else:
            grace = 0.0 if self.reader == ADBC_SQLITE else _SERVER_TIMEOUT_GRACE
            self.timeout = seconds + grace
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

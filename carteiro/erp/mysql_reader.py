"""MariaDB/MySQL → Arrow with connectorx: the fast reader of :mod:`carteiro.erp.readers` for
those servers.

``pandas.read_sql`` over PyMySQL builds every value in Python (PyMySQL parses the protocol in
Python too): at a million customers that is most of the audit's time. connectorx reads the
result in Rust straight into Arrow columns. Measured on the benchmark's 1M-customer month
(``bench/``), see the README's performance section.

How it keeps what the SQLAlchemy path guarantees:

* **Reaching the database**: the engine has reached the server first
  (``readers.check_connection``), so a wrong host or password fails with the usual message.
  connectorx is used only for a ``mysql+pymysql://`` URL whose only parameter, if any, is
  ``charset=utf8mb4``/``utf8``: a unix socket, TLS options or anything else it would not honour
  the same way are read through SQLAlchemy (:func:`connectorx_uri` says ``None``).
* **Read-only session and statement timeout**: the connection that runs the query first runs
  :func:`carteiro.erp.connect.mysql_session` (``SET SESSION TRANSACTION READ ONLY`` and
  ``max_statement_time``/``max_execution_time``), as the engine's own connections do.
  connectorx learns the result's columns by *preparing* the statement on a second connection
  (nothing is executed there).
* **Parameters** are escaped by PyMySQL itself, on a connection of the engine (so with the
  server's ``NO_BACKSLASH_ESCAPES`` mode and the connection's charset), exactly as PyMySQL
  binds them on the SQLAlchemy path: the MySQL text protocol has no other way to bind, and
  connectorx takes no parameters (:func:`mysql_statement`).
* **Errors**: a timeout becomes :class:`TimeoutError` (explained like any other); any other
  failure raises :class:`ConnectorxFailed` and the reader reads the query through SQLAlchemy,
  which either reads it or fails with the driver's own error, explained as usual. That
  includes what connectorx cannot convert: a zero date (``0000-00-00``, which MariaDB keeps in
  a DATE column unless ``sql_mode`` forbids it) makes it panic; the panic's report, which Rust
  prints straight to the process's standard error, is kept off it (:class:`_QuietPanics`).
"""

from __future__ import annotations

import io
import os
import re
import sys
import tempfile
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import pyarrow as pa
from sqlalchemy.engine import Engine

from carteiro.erp.connect import mysql_session, statement_timeout
from carteiro.erp.queries import bound_statement

CHARSETS = ("utf8mb4", "utf8", "utf8mb3")
# MariaDB's max_statement_time (1969) and MySQL's max_execution_time (3024) errors.
_TIMEOUT = re.compile(r"\b(1969|3024)\b|max_statement_time|max_execution_time", re.I)


class ConnectorxFailed(Exception):
    """connectorx could not read the query (the reader then tries SQLAlchemy)."""


# A Rust panic's report: "thread '<name>' (id) panicked at file:line:col:" and the message on
# the next line, then maybe "stack backtrace:" with indented frames, then maybe a
# "note: … RUST_BACKTRACE …" line.
_PANIC = re.compile(rb"^thread '[^'\n]*' (?:\(\d+\) )?panicked at ")


def without_panics(text: bytes) -> bytes:
    """``text`` without the reports of Rust panics (see :data:`_PANIC`)."""
    kept: list[bytes] = []
    state = "normal"
    for line in text.splitlines(keepends=True):
        if state == "message":  # the line after "… panicked at file:line:col:"
            state = "after"
            continue
        if state == "frames":
            if line[:1] in (b" ", b"\t"):
                continue
            state = "after"
        if state == "after":
            state = "normal"
            if line.startswith(b"stack backtrace:"):
                state = "frames"
                continue
            if line.startswith(b"note: ") and b"RUST_BACKTRACE" in line:
                continue
        if _PANIC.match(line):
            state = "message" if line.rstrip().endswith(b":") else "after"
            continue
        kept.append(line)
    return b"".join(kept)


class _QuietPanics:
    """While connectorx reads, file descriptor 2 goes to a temporary file and Python's
    ``sys.stderr`` to the real standard error (so Python's own output is neither delayed nor
    mixed into a panic's report); when the last concurrent read ends, descriptor 2 is restored
    and what reached it meanwhile is copied back, except the reports of Rust panics
    (:func:`without_panics`)."""

    _lock = threading.Lock()
    _depth = 0
    _saved: int | None = None
    _capture: Any = None
    _python: tuple[Any, Any] | None = None  # (sys.stderr before, the stream that replaced it)

    def __enter__(self) -> None:
        cls = type(self)
        with cls._lock:
            if cls._depth == 0:
                sys.stderr.flush()
                cls._saved, cls._capture = os.dup(2), tempfile.TemporaryFile()
                real = io.TextIOWrapper(io.FileIO(os.dup(cls._saved), "w"),
                                        encoding=getattr(sys.stderr, "encoding", None) or "utf-8",
                                        errors="backslashreplace", line_buffering=True)
                cls._python = (sys.stderr, real)
                sys.stderr = real
                os.dup2(cls._capture.fileno(), 2)
            cls._depth += 1

    def __exit__(self, *_exc: object) -> None:
        cls = type(self)
        with cls._lock:
            cls._depth -= 1
            if cls._depth:
                return
            saved, capture, (before, real) = cls._saved, cls._capture, cls._python
            cls._saved = cls._capture = cls._python = None
            real.flush()
            if sys.stderr is real:
                sys.stderr = before
            os.dup2(saved, 2)
            os.close(saved)
            real.close()
            capture.seek(0)
            kept = without_panics(capture.read())
            capture.close()
            if kept:
                os.write(2, kept)


def connectorx_uri(engine: Engine) -> str | None:
    """connectorx's ``mysql://`` URI for the engine's database, or None when the URL has
    something connectorx would not honour the same way (see the module docstring)."""
    url = engine.url
    if url.get_driver_name() != "pymysql" or not url.host or not url.username:
        return None
    for key, value in url.query.items():
        values = (value,) if isinstance(value, str) else tuple(value)
        if key != "charset" or any(v.lower() not in CHARSETS for v in values):
            return None
    user = quote(url.username, safe="")
    if url.password is not None:
        user += ":" + quote(str(url.password), safe="")
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"mysql://{user}@{host}:{url.port or 3306}/{quote(url.database or '', safe='')}"


def mysql_statement(engine: Engine, sql: str, params: Mapping[str, Any]) -> str:
    """The statement as PyMySQL would send it: the parameters escaped by PyMySQL on a
    connection of the engine (``cursor.mogrify``), ``%%`` back to ``%``."""
    statement, values = bound_statement(sql, params)
    compiled = statement.compile(dialect=engine.dialect)
    processed = compiled.construct_params(values)
    raw = engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        try:
            return cursor.mogrify(compiled.string, processed)
        finally:
            cursor.close()
    finally:
        raw.close()


def read_arrow(engine: Engine, sql: str, params: Mapping[str, Any]) -> pa.Table:
    """The query's rows as an Arrow table, read by connectorx in a read-only session with
    the statement timeout. Raises :class:`TimeoutError` past the timeout and
    :class:`ConnectorxFailed` for anything else connectorx could not do."""
    import connectorx

    uri = connectorx_uri(engine)
    if uri is None:
        raise ConnectorxFailed("URL not supported by connectorx")
    text = mysql_statement(engine, sql, params)
    session = mysql_session(statement_timeout(), mariadb=bool(engine.dialect.is_mariadb))
    try:
        with _QuietPanics():
            return connectorx.read_sql(uri, text, return_type="arrow",
                                       pre_execution_query=session)
    except BaseException as err:  # connectorx panics raise pyo3's PanicException
        if isinstance(err, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        message = str(err).strip()
        if _TIMEOUT.search(message):
            raise TimeoutError("statement interrupted: past the statement timeout") from None
        first = message.splitlines()[0] if message else type(err).__name__
        raise ConnectorxFailed(first) from None

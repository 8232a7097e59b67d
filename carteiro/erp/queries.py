"""``queries/<name>.sql``: the text of a query, its ``:named`` parameters, and the columns it
must return.

**One file per query, and a per-dialect copy where the portable SQL is slow.** The query
``<name>`` is read from ``queries/<name>.<dialect>.sql`` when that file exists for the
connection's database, else from the portable ``queries/<name>.sql`` (:func:`query_path`).
``<dialect>`` is ``sqlite``, ``postgresql`` or ``mysql`` (MariaDB and MySQL share ``mysql``),
the name SQLAlchemy gives the URL's backend. A per-dialect file returns the same columns and
the same rows as the portable one; it only reaches them differently (shipped:
``invoices.mysql.sql``, ``unreadable_due_dates.mysql.sql`` and
``unreadable_due_dates.postgresql.sql``). Each file is checked in its own dialect.

Whole-line ``--`` comments are stripped before the query is sent (so a comment may mention a
``:parameter`` without SQLAlchemy expecting a value for it). Parameters are always bound by
the driver, never formatted into the text: :func:`bound_statement` for SQLAlchemy,
:func:`positional_sql` for the ADBC readers (``?1`` for SQLite, ``$1`` for PostgreSQL), in
order of first appearance, quoted literals and PostgreSQL ``::casts`` left alone.

**Read-only, checked before the database sees it.** :func:`query_text` refuses any file that is
not exactly ONE ``SELECT`` (or ``WITH … SELECT``, or a ``UNION`` of them) that only reads
(:func:`check_read_only`). The text is parsed by a real SQL parser (sqlglot) in the connection's
dialect (SQLite, PostgreSQL, MariaDB/MySQL), never by a regex, and the exact text that is sent
is the one checked. Refused, with one pt-BR line naming the file and the kind of statement:
several statements; anything but a SELECT (DML, DDL, ``BEGIN``/``COMMIT``, ``SET``,
``PRAGMA``, ``ATTACH``, ``VACUUM``, ``COPY``, ``CALL``, ``EXPLAIN``…); inside the SELECT, a
write (``WITH d AS (DELETE …)``), ``SELECT … INTO`` (a table, a variable, ``OUTFILE``,
``DUMPFILE``), a locking clause (``FOR UPDATE``/``FOR SHARE``/``LOCK IN SHARE MODE``), a
function that reads or writes files or changes the server (:data:`FORBIDDEN_FUNCTIONS`); a
MariaDB/MySQL executable comment (``/*! … */``, which the server runs and a parser skips); and
SQL the parser cannot read (fail closed). The read-only sessions of
:mod:`carteiro.erp.connect` stay as the second line of defence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from carteiro.columns import QUERY_COLUMNS
from carteiro.erp import source
from carteiro.erp.read_only import check_read_only
from carteiro.errors import CarteiroError

__all__ = ["DIALECT_FILES", "bound_statement", "check_columns", "check_read_only", "iso_day",
           "missing_parameters", "positional_sql", "query_parameters", "query_path", "query_text"]

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
# A quoted literal (skipped) or a :name parameter (replaced), for placeholder rewriting.
_LITERAL_OR_PARAM = re.compile(r"('(?:[^']|'')*')|(?<![:\w]):([A-Za-z_]\w*)")

# SQLAlchemy backend name → the <dialect> part of queries/<name>.<dialect>.sql
DIALECT_FILES = {"sqlite": "sqlite", "postgresql": "postgresql", "mysql": "mysql",
                 "mariadb": "mysql"}
# Queries that return the columns of another one.
_SAME_COLUMNS = {"unreadable_due_dates": "invoices"}


def query_path(name: str, backend: str, directory: Path | None = None) -> Path:
    """``queries/<name>.<dialect>.sql`` when it exists for ``backend``, else
    ``queries/<name>.sql`` (which may not exist)."""
    folder = directory or source.queries_dir()
    dialect = DIALECT_FILES.get(backend)
    if dialect:
        specific = folder / f"{name}.{dialect}.sql"
        if specific.is_file():
            return specific
    return folder / f"{name}.sql"


def query_text(name: str, backend: str, directory: Path | None = None) -> str:
    """The query ``name`` for ``backend`` (:func:`query_path`) without its whole-line ``--``
    comments (so a comment may mention a ``:parameter`` without SQLAlchemy expecting a value
    for it), checked to be one read-only SELECT in the SQL of ``backend`` (SQLAlchemy's
    backend name: ``sqlite``, ``postgresql``, ``mysql``, ``mariadb``)."""
    path = query_path(name, backend, directory)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CarteiroError(f"consulta não encontrada: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "não está em UTF-8"
        raise CarteiroError(f"não foi possível ler a consulta {path}: {reason}") from None
    sql = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    check_read_only(sql, backend, str(path))
    return sql


def query_parameters(sql: str) -> list[str]:
    """The ``:named`` parameters of a query, in order of first appearance."""
    sql = re.sub(r"'(?:[^']|'')*'", "''", sql)
    seen: dict[str, None] = {}
    for name in _PARAM.findall(sql):
        seen.setdefault(name, None)
    return list(seen)


def positional_sql(sql: str, style: str) -> tuple[str, list[str]]:
    """``sql`` with each ``:name`` replaced by a numbered placeholder, and the names in the
    order of their numbers (first appearance). ``style`` is ``"?"`` (SQLite: ``?1``) or
    ``"$"`` (PostgreSQL: ``$1``); a name used twice gets the same number both times. Quoted
    literals and PostgreSQL ``::casts`` are left alone."""
    names = query_parameters(sql)
    number = {name: i + 1 for i, name in enumerate(names)}

    def replace(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1)
        return f"{style}{number[match.group(2)]}"

    return _LITERAL_OR_PARAM.sub(replace, sql), names


def missing_parameters(names: list[str], params: Mapping[str, Any]) -> None:
    missing = [n for n in names if n not in params]
    if missing:
        raise CarteiroError(f"parâmetro(s) sem valor na consulta: {', '.join(missing)}")


def iso_day(value: Any) -> Any:
    """A day (``datetime.date``, not a datetime) as ISO text; anything else unchanged."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def bound_statement(sql: str, params: Mapping[str, Any]) -> tuple[sa.TextClause, dict[str, Any]]:
    """The text clause with its parameters, and the values it uses.

    A day is bound as ISO text of no declared type (PostgreSQL: the ``unknown`` type), so the
    database reads it as whatever it is compared with: a date for a DATE column, text for a
    TEXT/VARCHAR one (a provider whose due dates are text). A datetime is bound as a DATE."""
    names = query_parameters(sql)
    missing_parameters(names, params)
    statement = sa.text(sql)
    typed = []
    for n in names:
        if isinstance(params[n], dt.datetime):
            typed.append(sa.bindparam(n, type_=sa.Date()))
        elif isinstance(params[n], dt.date):
            typed.append(sa.bindparam(n, type_=sa.types.NullType()))
        else:
            typed.append(sa.bindparam(n))
    if typed:
        statement = statement.bindparams(*typed)
    return statement, {n: iso_day(params[n]) for n in names}


def check_columns(name: str, frame: pd.DataFrame) -> None:
    needed = QUERY_COLUMNS.get(_SAME_COLUMNS.get(name, name), ())
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise CarteiroError(
            f"queries/{name}.sql não devolve a(s) coluna(s) {', '.join(absent)}: "
            "renomeie com AS no SELECT"
        )

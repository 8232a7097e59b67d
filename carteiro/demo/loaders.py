"""The bulk loaders, one per dialect, and the rendering of column arrays for each driver.

Loading is bulk and dialect-specific: SQLite uses one transaction with ``journal_mode=OFF`` and
``synchronous=OFF`` and ``executemany`` of tuples built from the column arrays; PostgreSQL uses
``COPY ... FROM STDIN`` in text format; MariaDB/MySQL gets multi-row ``INSERT`` statements of
5,000 rows whose SQL literals are rendered column-wise with numpy (PyMySQL's own per-value
escaping is the slow part of its ``executemany``). The secondary indexes are created after the
load. A load that fails half-way leaves a partial database behind (with SQLite's journal off it
may even be inconsistent): run it again, it drops and recreates the tables.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateIndex

from carteiro.demo import schema
from carteiro.demo.rows import NULL_INT, Rows, column_kind, str_op

__all__ = ["Loader", "loader_for"]


# --------------------------------------------------------------------------------------------
# Column arrays rendered for each driver
# --------------------------------------------------------------------------------------------


def _python_column(rows: Rows, name: str) -> list[Any]:
    """Python values for SQLite's ``executemany`` (odd text flags included)."""
    values = rows.columns[name]
    kind = column_kind(rows.table.c[name].type)
    if kind == "int":
        null = values == NULL_INT
        if not null.any():
            return values.tolist()
        out = values.astype(object)
        out[null] = None
        return out.tolist()
    if kind == "str":
        return values.tolist()
    if kind == "bool":
        out = np.array([0, 1, None], dtype=object)[values.astype(np.int64)]  # -1 -> None
        text = rows.sqlite_text.get(name)
        if text is not None:
            has = np.not_equal(text, None)
            out[has] = text[has]
        return out.tolist()
    if kind == "money":
        return (values / 100).tolist()
    unit = "D" if kind == "date" else "s"
    out = np.datetime_as_string(values, unit=unit).astype(object)
    if kind == "datetime":
        out = str_op(out, np.char.replace, "T", " ")
    out[np.isnat(values)] = None
    return out.tolist()


_PG_NULL = "\\N"
_FORBIDDEN = ("\\", "\t", "\n", "\r")


def _text_column(rows: Rows, name: str, *, sql: bool) -> list[str]:
    """A column as text: PostgreSQL's COPY text format (``sql=False``, ``\\N`` = NULL) or SQL
    literals for a multi-row ``INSERT`` (``sql=True``, MariaDB/MySQL).

    The generator's strings never contain a backslash, tab or line break, so COPY needs no
    escaping and the SQL literals only double their quotes, whatever the server's
    ``NO_BACKSLASH_ESCAPES`` mode; that is checked for every string column.
    """
    null_text = "NULL" if sql else _PG_NULL
    values = rows.columns[name]
    kind = column_kind(rows.table.c[name].type)
    if kind == "int":
        out = values.astype(str).astype(object)
        out[values == NULL_INT] = null_text
        return out.tolist()
    if kind == "bool":
        words = ["0", "1", "NULL"] if sql else ["f", "t", _PG_NULL]
        return np.array(words, dtype=object)[values.astype(np.int64)].tolist()
    if kind == "money":
        whole = (values // 100).astype(str).astype(object)
        cents = str_op(values % 100, np.char.zfill, 2)
        return (whole + "." + cents).tolist()
    if kind == "str":
        null = np.equal(values, None)
        out = values[~null]
        joined = "".join(out.tolist())
        if any(char in joined for char in _FORBIDDEN):
            raise ValueError(f"{rows.table.name}.{name}: unexpected control character")
        if sql:
            if "'" in joined:
                out = str_op(out, np.char.replace, "'", "''")
            out = "'" + out + "'"
    else:
        null = np.isnat(values)
        unit = "D" if kind == "date" else "s"
        out = np.datetime_as_string(values[~null], unit=unit)
        if kind == "datetime":
            out = str_op(out, np.char.replace, "T", " ")
        out = out.astype(object)
        if sql:
            out = "'" + out + "'"
    full = np.full(len(values), null_text, dtype=object)
    full[~null] = out
    return full.tolist()


# --------------------------------------------------------------------------------------------
# Loaders per dialect
# --------------------------------------------------------------------------------------------


class Loader:
    """Writes :class:`Rows` into one database, in chunks, counting the rows per table."""

    chunk_rows = 200_000

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.raw = engine.raw_connection()
        self.dbapi: Any = self.raw.driver_connection
        self.counts: dict[str, int] = {}

    def write(self, rows: Rows) -> None:
        name = rows.table.name
        self.counts[name] = self.counts.get(name, 0) + len(rows)
        for start in range(0, len(rows), self.chunk_rows):
            self._write(rows.slice(start, start + self.chunk_rows))

    def _write(self, rows: Rows) -> None:
        raise NotImplementedError

    def execute(self, sql: str) -> None:
        cur = self.dbapi.cursor()
        try:
            cur.execute(sql)
        finally:
            cur.close()

    def create_indexes(self) -> None:
        for table in schema.metadata.sorted_tables:
            for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
                self.execute(str(CreateIndex(index).compile(dialect=self.engine.dialect)))

    def finish(self) -> None:
        self.dbapi.commit()

    def close(self) -> None:
        self.raw.close()


def _insert_sql(table: Table, marker: str) -> str:
    names = [c.name for c in table.columns]
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([marker] * len(names))})"
    )


class _SqliteLoader(Loader):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.dbapi.commit()
        self.journal_mode = self.dbapi.execute("PRAGMA journal_mode").fetchone()[0]
        for pragma in (
            "journal_mode=OFF", "synchronous=OFF", "cache_size=-262144", "temp_store=MEMORY",
        ):
            self.dbapi.execute(f"PRAGMA {pragma}")
        self.dbapi.execute("BEGIN")

    def _write(self, rows: Rows) -> None:
        cols = [_python_column(rows, c.name) for c in rows.table.columns]
        self.dbapi.executemany(_insert_sql(rows.table, "?"), zip(*cols, strict=True))

    def finish(self) -> None:
        self.dbapi.commit()
        self.dbapi.execute(f"PRAGMA journal_mode={self.journal_mode}")
        self.dbapi.execute("PRAGMA synchronous=FULL")


class _PostgresLoader(Loader):
    def _write(self, rows: Rows) -> None:
        cols = [_text_column(rows, c.name, sql=False) for c in rows.table.columns]
        text = "".join(line + "\n" for line in map("\t".join, zip(*cols, strict=True)))
        names = ", ".join(c.name for c in rows.table.columns)
        with self.dbapi.cursor() as cur, cur.copy(
            f"COPY {rows.table.name} ({names}) FROM STDIN"
        ) as copy:
            copy.write(text)

    def finish(self) -> None:
        for table in schema.metadata.sorted_tables:
            self.execute(f"ANALYZE {table.name}")
        self.dbapi.commit()


class _MysqlLoader(Loader):
    statement_rows = 5_000  # rows per INSERT (well below the default max_allowed_packet)

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.execute("SET SESSION unique_checks = 0")
        self.execute("SET SESSION foreign_key_checks = 0")

    def _write(self, rows: Rows) -> None:
        cols = [_text_column(rows, c.name, sql=True) for c in rows.table.columns]
        values = list(map(",".join, zip(*cols, strict=True)))
        names = ", ".join(c.name for c in rows.table.columns)
        head = f"INSERT INTO {rows.table.name} ({names}) VALUES ("
        cur = self.dbapi.cursor()
        try:
            for start in range(0, len(values), self.statement_rows):
                cur.execute(head + "),(".join(values[start : start + self.statement_rows]) + ")")
        finally:
            cur.close()

    def finish(self) -> None:
        self.dbapi.commit()
        self.execute("SET SESSION unique_checks = 1")
        self.execute("SET SESSION foreign_key_checks = 1")


def loader_for(engine: Engine) -> Loader:
    name = engine.dialect.name
    if name == "sqlite":
        return _SqliteLoader(engine)
    if name == "postgresql":
        return _PostgresLoader(engine)
    if name in ("mysql", "mariadb"):
        return _MysqlLoader(engine)
    raise ValueError(f"Banco de dados não suportado para a demonstração: {name}")

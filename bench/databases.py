"""The benchmark's demo ERP databases, on SQLite, PostgreSQL and MariaDB: built once by
``carteiro.demo.generate`` and kept between runs.

* SQLite: ``bench/data/demo-<customers>c-<months>m-2025-06.sqlite`` (git-ignored), written to a
  ``.partial`` file renamed at the end, so an interrupted run never leaves half a database.
* PostgreSQL / MariaDB: a database ``carteiro_bench_<customers>`` on the server of
  ``CARTEIRO_BENCH_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/``) or
  ``CARTEIRO_BENCH_MYSQL_URL`` (default ``mysql+pymysql://root@127.0.0.1:3306/``). A finished
  load is marked by the database's comment (``carteiro bench <customers>c <months>m seed …``),
  written last: a database without the right comment (interrupted, or of other arguments) is
  dropped and generated again.

About 75 s for a million customers on SQLite; a few minutes on the servers.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / "data"
END_MONTH = dt.date(2025, 6, 1)
AS_OF = dt.date(2025, 6, 15)
SEED = 42
BACKENDS = ("sqlite", "postgresql", "mariadb")
SERVER_URLS = {
    "postgresql": os.environ.get("CARTEIRO_BENCH_POSTGRES_URL",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    "mariadb": os.environ.get("CARTEIRO_BENCH_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/"),
}


def sqlite_path(customers: int, months: int) -> Path:
    return DATA_DIR / f"demo-{customers}c-{months}m-{END_MONTH:%Y-%m}.sqlite"


def server_database(customers: int) -> str:
    return f"carteiro_bench_{customers}"


def _marker(customers: int, months: int) -> str:
    return f"carteiro bench {customers}c {months}m seed {SEED} {END_MONTH} as of {AS_OF}"


def _admin(backend: str) -> sa.Engine:
    return sa.create_engine(SERVER_URLS[backend], isolation_level="AUTOCOMMIT",
                            poolclass=sa.NullPool)


def _comment(backend: str, name: str) -> str | None:
    """The database's comment, or None when it does not exist."""
    if backend == "postgresql":
        sql = ("SELECT COALESCE(shobj_description(oid, 'pg_database'), '') FROM pg_database "
               "WHERE datname = :name")
    else:
        sql = ("SELECT COALESCE(schema_comment, '') FROM information_schema.schemata "
               "WHERE schema_name = :name")
    engine = _admin(backend)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), {"name": name}).scalar()
    finally:
        engine.dispose()


def _admin_execute(backend: str, *statements: str) -> None:
    engine = _admin(backend)
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def server_url(backend: str, customers: int) -> str:
    return (sa.make_url(SERVER_URLS[backend]).set(database=server_database(customers))
            .render_as_string(hide_password=False))


def ensure_database(backend: str, customers: int, months: int) -> str:
    """The URL of the cached demo database of this size on ``backend``, generated when it is
    missing or unfinished."""
    from carteiro import demo

    kwargs = {"customers": customers, "months": months, "seed": SEED, "end_month": END_MONTH,
              "as_of": AS_OF}
    if backend == "sqlite":
        path = sqlite_path(customers, months)
        if not path.exists():
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".partial")
            partial.unlink(missing_ok=True)
            print(f"generating {path.name} …", file=sys.stderr, flush=True)
            summary = demo.generate(f"sqlite:///{partial}", **kwargs)
            partial.replace(path)
            print(f"  {summary}", file=sys.stderr, flush=True)
        return f"sqlite:///{path}"
    name, marker = server_database(customers), _marker(customers, months)
    url = server_url(backend, customers)
    if _comment(backend, name) == marker:
        return url
    print(f"generating {backend} {name} …", file=sys.stderr, flush=True)
    drop = f"DROP DATABASE IF EXISTS {name}" + (" WITH (FORCE)" if backend == "postgresql"
                                                  else "")
    _admin_execute(backend, drop, f"CREATE DATABASE {name}")
    summary = demo.generate(url, **kwargs)
    if backend == "postgresql":
        _admin_execute(backend, f"COMMENT ON DATABASE {name} IS '{marker}'")
    else:
        _admin_execute(backend, f"ALTER DATABASE {name} COMMENT '{marker}'")
    print(f"  {summary}", file=sys.stderr, flush=True)
    return url


if __name__ == "__main__":  # python bench/databases.py sqlite,postgresql 100000,1000000
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    backends = sys.argv[1].split(",") if len(sys.argv) > 1 else list(BACKENDS)
    sizes = [int(s) for s in sys.argv[2].split(",")] if len(sys.argv) > 2 else [100_000]
    for size in sizes:
        for backend in backends:
            print(ensure_database(backend, size, 12))

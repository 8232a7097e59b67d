"""The PostgreSQL and MariaDB servers of the test machine: fresh databases and users, made per
test session and dropped afterwards, and the skip-or-fail rule.

A test that needs a server calls :func:`postgres` or :func:`mariadb`. When the server cannot be
reached the test is skipped, unless ``CARTEIRO_REQUIRE_SERVERS=1`` is set (CI), in which case
it fails: a green run must not hide a missing server.

Admin connections (override with the environment, as ``tests/test_demo.py`` does):

- ``CARTEIRO_TEST_POSTGRES_URL``: ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``
- ``CARTEIRO_TEST_MYSQL_URL``: ``mysql+pymysql://root@127.0.0.1:3306/``

Everything created here is named ``carteiro_t_<pid>_<token>...``; a later session drops what a
killed one left behind (its pid no longer runs). PostgreSQL's ``pg_hba.conf`` on the test
machine trusts every TCP connection from 127.0.0.1, so any password is accepted there; a
wrong-password test needs :func:`pg_password_auth`, which puts a temporary ``scram-sha-256``
line for one dedicated role at the top of ``pg_hba.conf`` (reloaded with ``pg_reload_conf()``)
and removes it afterwards.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

REQUIRE_ENV = "CARTEIRO_REQUIRE_SERVERS"
PG_ADMIN_URL = os.environ.get(
    "CARTEIRO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MARIADB_ADMIN_URL = os.environ.get(
    "CARTEIRO_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/"
)
PREFIX = "carteiro_t_"
HBA_MARKER = "# carteiro-tests"


def servers_required() -> bool:
    return os.environ.get(REQUIRE_ENV) == "1"


def unavailable(reason: str) -> None:
    """Skip the calling test, or fail it when the servers are required."""
    if servers_required():
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(reason)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(name: str) -> bool:
    """A name made by a test session whose process no longer runs."""
    match = re.match(rf"{PREFIX}(\d+)_", name)
    return bool(match) and not _pid_alive(int(match.group(1)))


def unique_name(suffix: str = "") -> str:
    return f"{PREFIX}{os.getpid()}_{secrets.token_hex(3)}{suffix}"


@dataclass
class Server:
    """One database server reached as its administrator (postgres / root)."""

    kind: str  # 'postgresql' | 'mariadb'
    admin_url: URL
    _created_databases: list[str] = field(default_factory=list)
    _created_users: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return "PostgreSQL" if self.kind == "postgresql" else "MariaDB"

    def url(self, database: str | None = None, *, username: str | None = None,
            password: str | None = None, host: str | None = None,
            port: int | None = None) -> str:
        """A URL on this server (the admin's user and password unless given)."""
        url = self.admin_url.set(database=database or "")
        if username is not None:
            url = url.set(username=username, password=password)
        if host is not None:
            url = url.set(host=host)
        if port is not None:
            url = url.set(port=port)
        return url.render_as_string(hide_password=False)

    def admin_engine(self, database: str | None = None) -> sa.Engine:
        url = self.admin_url if database is None else self.admin_url.set(database=database)
        return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)

    def execute(self, *statements: str, database: str | None = None) -> list[list[tuple]]:
        """Run admin statements (autocommit); the rows of each that returns any."""
        engine = self.admin_engine(database)
        results: list[list[tuple]] = []
        try:
            with engine.connect() as conn:
                for statement in statements:
                    # both drivers use %-placeholders, even without values
                    statement = statement.replace("%", "%%")
                    result = conn.exec_driver_sql(statement)
                    results.append([tuple(r) for r in result] if result.returns_rows else [])
        finally:
            engine.dispose()
        return results

    def ping(self) -> None:
        self.execute("SELECT 1")

    # Databases -------------------------------------------------------------------------------
    def create_database(self, name: str | None = None) -> str:
        name = name or unique_name()
        self.execute(f"CREATE DATABASE {name}")
        self._created_databases.append(name)
        return name

    def drop_database(self, name: str) -> None:
        if self.kind == "postgresql":
            self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        else:
            self.execute(f"DROP DATABASE IF EXISTS {name}")
        with contextlib.suppress(ValueError):
            self._created_databases.remove(name)

    def databases(self) -> list[str]:
        sql = ("SELECT datname FROM pg_database" if self.kind == "postgresql"
               else "SELECT schema_name FROM information_schema.schemata")
        return [r[0] for r in self.execute(sql)[0]]

    # Users -----------------------------------------------------------------------------------
    def create_user(self, name: str | None = None, password: str | None = None) -> str:
        name = name or unique_name("_u")
        password = password or secrets.token_urlsafe(12)
        if self.kind == "postgresql":
            self.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        else:
            self.execute(f"CREATE USER '{name}'@'%' IDENTIFIED BY '{password}'")
        self._created_users.append(name)
        return name

    def drop_user(self, name: str) -> None:
        if self.kind == "postgresql":
            # Privileges in every database the role was granted something in.
            for database in self.databases():
                if database.startswith(PREFIX) or database == self.admin_url.database:
                    with contextlib.suppress(sa.exc.DBAPIError):
                        self.execute(f"DROP OWNED BY {name}", database=database)
            self.execute(f"DROP ROLE IF EXISTS {name}")
        else:
            self.execute(f"DROP USER IF EXISTS '{name}'@'%'")
        with contextlib.suppress(ValueError):
            self._created_users.remove(name)

    def users(self) -> list[str]:
        sql = ("SELECT rolname FROM pg_roles" if self.kind == "postgresql"
               else "SELECT user FROM mysql.user")
        return [r[0] for r in self.execute(sql)[0]]

    def grant_select_only(self, database: str, user: str) -> None:
        """What the README tells a provider to do: SELECT on the ERP tables, nothing else."""
        if self.kind == "postgresql":
            self.execute(f"GRANT CONNECT ON DATABASE {database} TO {user}")
            self.execute(
                f"GRANT USAGE ON SCHEMA public TO {user}",
                f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {user}",
                database=database,
            )
        else:
            self.execute(f"GRANT SELECT ON {database}.* TO '{user}'@'%'")

    def cleanup(self) -> None:
        """Drop every database and user this process created and has not dropped yet."""
        for name in list(self._created_databases):
            with contextlib.suppress(sa.exc.DBAPIError):
                self.drop_database(name)
        for name in list(self._created_users):
            with contextlib.suppress(sa.exc.DBAPIError):
                self.drop_user(name)

    def drop_stale(self) -> None:
        """Drop what test sessions killed before their cleanup left behind."""
        with contextlib.suppress(sa.exc.DBAPIError):
            for name in self.databases():
                if _stale(name):
                    self.drop_database(name)
            for name in self.users():
                if _stale(name):
                    self.drop_user(name)


_servers: dict[str, Server | str] = {}

# Failure causes (carteiro.erp.failures.diagnose) that mean the server cannot be reached.
UNREACHABLE_CAUSES = frozenset({"connection_refused", "connect_timeout", "host_not_found",
                                "network_unreachable"})


def _unreachable(err: BaseException) -> bool:
    """Whether ``err`` says the server is not reachable (refused, timed out, no such host)."""
    from carteiro.erp.failures import diagnose

    if isinstance(err, ConnectionRefusedError | TimeoutError):
        return True
    return diagnose(err).cause in UNREACHABLE_CAUSES


def _connect(kind: str) -> Server | str:
    """The server, or why it cannot be used (cached for the session)."""
    if kind not in _servers:
        raw = PG_ADMIN_URL if kind == "postgresql" else MARIADB_ADMIN_URL
        server = Server(kind, make_url(raw))
        try:
            server.ping()
        except Exception as err:
            # Only "the server is not there" means: not usable here (skip). Anything else
            # (bad credentials, a missing driver, a bug in this module) is a real failure.
            if not _unreachable(err):
                raise
            from carteiro.erp.failures import explain

            why = explain(err, raw)
            _servers[kind] = f"{server.label} indisponível para os testes: {why}"
        else:
            server.drop_stale()
            _servers[kind] = server
    return _servers[kind]


def server(kind: str) -> Server:
    """The server of ``kind`` ('postgresql' or 'mariadb'), or skip/fail the test."""
    found = _connect(kind)
    if isinstance(found, str):
        unavailable(found)
        raise AssertionError("unreachable")  # pragma: no cover - unavailable() raised
    return found


def postgres() -> Server:
    return server("postgresql")


def mariadb() -> Server:
    return server("mariadb")


def cleanup_all() -> None:
    for found in _servers.values():
        if isinstance(found, Server):
            found.cleanup()


# pg_hba.conf ------------------------------------------------------------------------------------
@contextlib.contextmanager
def pg_password_auth(pg: Server, role: str) -> Iterator[None]:
    """Make PostgreSQL check ``role``'s password (scram-sha-256) on 127.0.0.1 for a while.

    The test machine trusts every local TCP connection, so a wrong password would be
    accepted. This puts one line for ``role`` alone at the top of ``pg_hba.conf``, reloads the
    configuration and waits until it is in force; afterwards the line is removed and the
    configuration reloaded again. Lines left by a killed session are removed on the way. When
    the file cannot be changed (a remote server, no rights) the test is skipped or failed.
    """
    hba = Path(pg.execute("SHOW hba_file")[0][0][0])
    if not os.access(hba, os.W_OK):
        unavailable(f"sem permissão para alterar {hba} (teste de senha errada no PostgreSQL)")
    token = f"{HBA_MARKER} {os.getpid()}_{secrets.token_hex(3)}"
    line = f"host all {role} 127.0.0.1/32 scram-sha-256 {token}\n"
    _edit_hba(hba, add=line)
    try:
        pg.execute("SELECT pg_reload_conf()")
        _wait_for_rule(pg, role)
        yield
    finally:
        _edit_hba(hba, remove=token)
        pg.execute("SELECT pg_reload_conf()")


def _edit_hba(hba: Path, *, add: str | None = None, remove: str | None = None) -> None:
    """Insert or remove our lines in place (owner and mode kept), under a lock."""
    lock_path = Path("/tmp/carteiro-tests-pg_hba.lock")
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with hba.open("r+", encoding="utf-8") as handle:
            lines = handle.readlines()
            kept = []
            for existing in lines:
                ours = HBA_MARKER in existing
                if ours and remove is not None and remove in existing:
                    continue
                if ours:
                    pid = re.search(rf"{HBA_MARKER} (\d+)_", existing)
                    if pid and not _pid_alive(int(pid.group(1))):
                        continue
                kept.append(existing)
            if add is not None:
                kept.insert(0, add)
            handle.seek(0)
            handle.write("".join(kept))
            handle.truncate()


def _wait_for_rule(pg: Server, role: str, seconds: float = 10.0) -> None:
    """Wait until the reloaded rules ask ``role`` for a password."""
    deadline = time.monotonic() + seconds
    probe = pg.url("postgres", username=role, password="not-the-password")
    while True:
        engine = sa.create_engine(probe, poolclass=sa.NullPool)
        try:
            with engine.connect():
                pass
        except sa.exc.OperationalError as err:
            if "password authentication failed" in str(err):
                return
            raise
        finally:
            engine.dispose()
        if time.monotonic() > deadline:
            raise AssertionError("pg_hba.conf recarregado, mas a senha não é exigida")
        time.sleep(0.1)

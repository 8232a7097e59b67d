"""Every way the ERP database can fail, made real where it can be, and the one pt-BR line
Carteiro says about it: the same in the CLI (exit 2, one line on stderr, no traceback) and in
``carteiro.load.load_data`` (what the dashboard calls).

Server failures are made on the servers of ``tests/servers.py``: a wrong password (PostgreSQL
through a temporary ``pg_hba.conf`` line, since the test machine trusts local connections),
unknown user, missing database, no access to the database, no SELECT on a table, a table or a
column a ``queries/`` file expects and the database lacks, a statement past the timeout
(``pg_sleep``/``SLEEP`` through a query directory override). Host not found (``.invalid``),
connection refused (a closed port) and a server that accepts and never answers need no server.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from carteiro.erp import source as config
from carteiro.erp.connect import make_engine
from carteiro.erp.failures import MESSAGES, diagnose, explain
from carteiro.erp.load import load_data
from carteiro.errors import DataSourceError
from carteiro.period import Period
from tests import servers
from tests.cli_helpers import assert_one_line_error, carteiro
from tests.erp_builder import Erp

MARCH = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31))
ARGS = ("--start", "2024-03-01", "--end", "2024-03-31")
KINDS = ["postgresql", "mariadb"]
DRIVERS = {"postgresql": "postgresql+psycopg", "mariadb": "mysql+pymysql"}
PORTS = {"postgresql": 5432, "mariadb": 3306}


def both_say(url: str, *fragments: str, env: dict[str, str] | None = None,
             monkeypatch: pytest.MonkeyPatch | None = None) -> str:
    """The CLI and load_data give the same one line, containing every fragment."""
    line = assert_one_line_error(carteiro("audit", "--db", url, *ARGS, env=env), *fragments)
    assert line.startswith("carteiro: erro: ")
    if env and monkeypatch:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        if "CARTEIRO_QUERIES_DIR" in env:
            monkeypatch.setenv("CARTEIRO_QUERIES_DIR", env["CARTEIRO_QUERIES_DIR"])
    with pytest.raises(DataSourceError) as caught:
        load_data(url, MARCH)
    assert str(caught.value) == line.removeprefix("carteiro: erro: ")
    password = sa.make_url(url).password if "://" in url else None
    if password:
        assert str(password) not in line
    return line


# Reaching the server ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_host_not_found(kind):
    host = "erp-que-nao-existe.invalid"
    both_say(f"{DRIVERS[kind]}://carteiro:segredo@{host}/hubsoft",
             "servidor do banco não encontrado", host, "DNS")


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("kind", KINDS)
def test_connection_refused(kind, closed_port):
    both_say(f"{DRIVERS[kind]}://carteiro:segredo@127.0.0.1:{closed_port}/hubsoft",
             "conexão recusada", f"127.0.0.1:{closed_port}", "porta", "firewall")


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word (a firewall, a wrong service)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


@pytest.mark.parametrize("kind", KINDS)
def test_server_that_never_answers(kind, silent_server, monkeypatch):
    both_say(f"{DRIVERS[kind]}://carteiro:segredo@127.0.0.1:{silent_server}/hubsoft",
             "não respondeu em 2 s", f"127.0.0.1:{silent_server}",
             env={"CARTEIRO_CONNECT_TIMEOUT": "2"}, monkeypatch=monkeypatch)


# Fresh databases on the servers -----------------------------------------------------------------
@pytest.fixture(scope="module")
def made() -> Iterator[list[tuple[servers.Server, str, str]]]:
    """What this module creates on the servers: (server, 'database'|'user', name)."""
    created: list[tuple[servers.Server, str, str]] = []
    yield created
    for server, what, name in reversed(created):
        if what == "database":
            server.drop_database(name)
        else:
            server.drop_user(name)


@pytest.fixture(scope="module")
def new_erp(made) -> Callable[[str], tuple[servers.Server, str]]:
    """The baseline ERP on a fresh database of a server: (server, database name)."""
    def make(kind: str) -> tuple[servers.Server, str]:
        server = servers.server(kind)
        name = server.create_database()
        made.append((server, "database", name))
        Erp.baseline().write(server.url(name))
        return server, name

    return make


@pytest.fixture(scope="module", params=KINDS)
def erp_db(request: pytest.FixtureRequest, new_erp) -> tuple[servers.Server, str]:
    return new_erp(request.param)


@pytest.fixture(scope="module")
def make_user(made) -> Callable[[servers.Server, str], str]:
    def make(server: servers.Server, password: str) -> str:
        user = server.create_user(password=password)
        made.append((server, "user", user))
        return user

    return make


@pytest.fixture(scope="module")
def damaged_db(erp_db, made) -> Callable[..., str]:
    """A fresh copy of the baseline ERP changed by admin statements: its URL."""
    def make(*statements: str) -> str:
        server, _ = erp_db
        name = server.create_database()
        made.append((server, "database", name))
        url = Erp.baseline().write(server.url(name))
        server.execute(*statements, database=name)
        return url

    return make


def test_wrong_password(erp_db, make_user, monkeypatch):
    server, name = erp_db
    user = make_user(server, "senha-certa")
    server.grant_select_only(name, user)
    url = server.url(name, username=user, password="senha-errada")
    if server.kind == "postgresql":
        with servers.pg_password_auth(server, user):
            both_say(url, "usuário ou senha recusados", user, "confira usuário e senha")
            # and the right one works, through the same rule
            load_data(server.url(name, username=user, password="senha-certa"), MARCH)
    else:
        both_say(url, "usuário ou senha recusados", user, "confira usuário e senha")


def test_unknown_user(erp_db):
    server, name = erp_db
    both_say(server.url(name, username="carteiro_ninguem", password="x"),
             "usuário ou senha recusados", "carteiro_ninguem")


def test_database_not_found(erp_db):
    server, _ = erp_db
    both_say(server.url("hubsoft_nao_existe"), "o banco de dados hubsoft_nao_existe não existe",
             "127.0.0.1", "nome do banco")


def test_no_access_to_the_database(erp_db, make_user):
    server, name = erp_db
    user = make_user(server, "Kx7-aces")
    if server.kind == "postgresql":
        server.execute(f"REVOKE CONNECT ON DATABASE {name} FROM PUBLIC")
    try:  # MariaDB: a user with no grant at all on the database
        both_say(server.url(name, username=user, password="Kx7-aces"),
                 f"o usuário {user} não tem acesso ao banco {name}", "conceda")
    finally:
        if server.kind == "postgresql":
            server.execute(f"GRANT CONNECT ON DATABASE {name} TO PUBLIC")


def test_no_select_on_a_table(erp_db, make_user):
    server, name = erp_db
    user = make_user(server, "Kx7-leit")
    if server.kind == "postgresql":
        server.grant_select_only(name, user)
        server.execute(f"REVOKE SELECT ON fatura FROM {user}", database=name)
        fragments = ("sem permissão de leitura na tabela fatura", "queries/invoices.sql",
                     f"conceda SELECT nessa tabela ao usuário {user}")
    else:  # a database-wide grant cannot lose one table: grant every table but fatura
        tables = [r[0] for r in server.execute(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{name}'"
        )[0]]
        server.execute(*(f"GRANT SELECT ON {name}.{t} TO '{user}'@'%'"
                         for t in tables if t != "fatura"))
        # MariaDB does not tell a user without rights whether the table exists
        fragments = ("sem permissão de leitura na tabela fatura, ou ela não existe",
                     "queries/invoices.sql", f"conceda SELECT ao usuário {user}")
    both_say(server.url(name, username=user, password="Kx7-leit"), *fragments)


def test_no_usage_on_the_schema(new_erp, make_user):
    """PostgreSQL without USAGE on the schema: the tables are invisible to the user."""
    server, name = new_erp("postgresql")
    user = make_user(server, "Kx7-esq")
    server.grant_select_only(name, user)
    server.execute(f"REVOKE USAGE ON SCHEMA public FROM {user}",
                   "REVOKE USAGE ON SCHEMA public FROM PUBLIC", database=name)
    try:
        both_say(server.url(name, username=user, password="Kx7-esq"),
                 "a tabela cliente usada em queries/customers.sql não existe",
                 "não vê o esquema")
    finally:
        server.execute("GRANT USAGE ON SCHEMA public TO PUBLIC", database=name)


def test_missing_table(damaged_db):
    both_say(damaged_db("DROP TABLE rotina"),
             "a tabela rotina usada em queries/routines.sql não existe",
             "ajuste queries/routines.sql")


def test_missing_column(damaged_db):
    both_say(damaged_db("ALTER TABLE fatura DROP COLUMN data_pagamento"),
             "a coluna data_pagamento usada em queries/invoices.sql não existe",
             "ajuste queries/invoices.sql")


SLEEPING_CUSTOMERS = {
    "postgresql": "CROSS JOIN (SELECT pg_sleep(30)) AS espera",
    "mariadb": "CROSS JOIN (SELECT SLEEP(30) AS s) AS espera",
    "sqlite": ("WHERE (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
               "WHERE i < 300000000) SELECT COUNT(*) FROM n) > 0"),
}


def slow_queries(tmp_path: Path, kind: str) -> Path:
    """A copy of queries/ whose customers.sql runs for 30 s or more."""
    directory = tmp_path / "queries"
    shutil.copytree(config.queries_dir(), directory)
    customers = directory / "customers.sql"
    customers.write_text(customers.read_text(encoding="utf-8") + "\n"
                         + SLEEPING_CUSTOMERS[kind] + "\n", encoding="utf-8")
    return directory


def test_statement_timeout(erp_db, tmp_path, monkeypatch):
    server, name = erp_db
    env = {"CARTEIRO_QUERIES_DIR": str(slow_queries(tmp_path, server.kind)),
           "CARTEIRO_STATEMENT_TIMEOUT": "1"}
    line = both_say(server.url(name), "a consulta queries/customers.sql passou do tempo limite "
                    "de 1 s", "CARTEIRO_STATEMENT_TIMEOUT", env=env, monkeypatch=monkeypatch)
    assert "índices" in line


def test_statement_timeout_default_is_60_seconds(monkeypatch):
    from carteiro.erp.connect import statement_timeout

    monkeypatch.delenv("CARTEIRO_STATEMENT_TIMEOUT", raising=False)
    assert statement_timeout() == 60
    monkeypatch.setenv("CARTEIRO_STATEMENT_TIMEOUT", "2.5")
    assert statement_timeout() == 2.5
    for bad in ("abc", "0", "-3"):
        monkeypatch.setenv("CARTEIRO_STATEMENT_TIMEOUT", bad)
        assert statement_timeout() == 60


def test_write_refused_message(erp_db):
    server, name = erp_db
    url = server.url(name)
    engine = make_engine(url)
    try:
        with pytest.raises(sa.exc.DBAPIError) as caught, engine.connect() as conn:
            conn.execute(sa.text("DELETE FROM fatura"))
    finally:
        engine.dispose()
    assert str(explain(caught.value, url)) == MESSAGES["read_only"]


# SQLite -------------------------------------------------------------------------------------------
def test_sqlite_missing_file(tmp_path):
    missing = tmp_path / "nao_existe.sqlite"
    both_say(f"sqlite:///{missing}", "banco SQLite não encontrado", str(missing))
    assert not missing.exists()


def test_sqlite_directory(tmp_path):
    both_say(f"sqlite:///{tmp_path}", "é uma pasta, não um banco SQLite")


def test_sqlite_not_a_database(tmp_path):
    path = tmp_path / "planilha.sqlite"
    path.write_bytes(b"id;nome\n1;Fulano\n" * 200)
    both_say(f"sqlite:///{path}", f"o arquivo {path} não é um banco SQLite")


def test_sqlite_missing_table(tmp_path):
    url = Erp.baseline().write_sqlite(tmp_path / "erp.sqlite")
    sa_engine = sa.create_engine(url)
    with sa_engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE forma_cobranca_status_envio")
    sa_engine.dispose()
    both_say(url, "a tabela forma_cobranca_status_envio usada em queries/send_statuses.sql "
             "não existe")


def test_sqlite_missing_column(tmp_path):
    url = Erp.baseline().write_sqlite(tmp_path / "erp.sqlite")
    sa_engine = sa.create_engine(url)
    with sa_engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE cliente_servico DROP COLUMN envio_cobranca")
    sa_engine.dispose()
    both_say(url, "a coluna envio_cobranca usada em queries/services.sql não existe")


def test_sqlite_statement_timeout(tmp_path):
    """CLI only: SQLite cannot cancel a statement from outside in every reader, so the slow
    query runs on in a subprocess that ends, not in the test process."""
    url = Erp.baseline().write_sqlite(tmp_path / "erp.sqlite")
    env = {"CARTEIRO_QUERIES_DIR": str(slow_queries(tmp_path, "sqlite")),
           "CARTEIRO_STATEMENT_TIMEOUT": "1"}
    assert_one_line_error(carteiro("audit", "--db", url, *ARGS, env=env, timeout=120),
                          "a consulta queries/customers.sql passou do tempo limite de 1 s")


def test_sqlite_write_refused_message(tmp_path):
    url = Erp.baseline().write_sqlite(tmp_path / "erp.sqlite")
    engine = make_engine(url)
    try:
        with pytest.raises(sa.exc.DBAPIError) as caught, engine.connect() as conn:
            conn.execute(sa.text("UPDATE rotina SET ativo = 0"))
    finally:
        engine.dispose()
    assert str(explain(caught.value, url)) == MESSAGES["read_only"]


# Messages in the server's language ---------------------------------------------------------------
def test_mariadb_errors_in_portuguese_are_recognised(new_erp, make_user):
    """A MariaDB server set to pt_BR (lc_messages) words its errors in Portuguese; Carteiro
    reads their numbers, and the names inside them."""
    server, name = new_erp("mariadb")
    user = make_user(server, "pt")
    server.execute(f"GRANT SELECT ON {name}.rotina TO '{user}'@'%'")
    engine = sa.create_engine(server.url(name, username=user, password="pt"),
                              poolclass=sa.NullPool)
    seen: dict[str, tuple[str, str | None]] = {}
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SET SESSION lc_messages = 'pt_BR'")
            conn.exec_driver_sql("SET SESSION max_statement_time = 0.5")
            for label, sql in [("denied", "SELECT * FROM fatura"),
                               ("column", "SELECT data_x FROM rotina"),
                               ("timeout", "SELECT SLEEP(5) FROM rotina")]:
                try:
                    conn.exec_driver_sql(sql).fetchall()
                except sa.exc.DBAPIError as err:
                    diagnosis = diagnose(err)
                    seen[label] = (diagnosis.cause, diagnosis.table or diagnosis.column,
                                   str(err.orig))
    finally:
        engine.dispose()
    assert "negado" in seen["denied"][2]  # really Portuguese
    assert seen["denied"][:2] == ("table_denied_or_missing", "fatura")
    assert seen["column"][:2] == ("column_not_found", "data_x")
    assert seen["timeout"][0] == "statement_timeout"


class _FakeLibpqError(Exception):
    """A connection failure as psycopg raises it: no SQLSTATE, the server's FATAL text."""

    __module__ = "psycopg"
    sqlstate = None


@pytest.mark.parametrize(("text", "cause"), [
    ('connection to server at "10.0.0.5", port 5432 failed: FATAL:  autenticação do tipo '
     'senha falhou para o usuário "carteiro"', "bad_credentials"),
    ('connection to server at "10.0.0.5", port 5432 failed: FATAL:  password authentication '
     'failed for user "carteiro"', "bad_credentials"),
    ('connection to server at "10.0.0.5", port 5432 failed: FATAL:  o banco de dados '
     '"hubsoft" não existe', "database_not_found"),
    ('connection to server at "10.0.0.5", port 5432 failed: FATAL:  role "x" não existe',
     "bad_credentials"),
    ('connection to server at "10.0.0.5", port 5432 failed: FATAL:  no pg_hba.conf entry for '
     'host "10.0.0.9", user "carteiro", database "hubsoft", no encryption', "host_not_allowed"),
    ('connection to server at "10.0.0.5", port 5432 failed: FATAL:  nenhuma entrada no '
     'pg_hba.conf para máquina "10.0.0.9", usuário "carteiro", banco de dados "hubsoft"',
     "host_not_allowed"),
    ('connection to server at "10.0.0.5", port 5432 failed: FATAL:  permissão negada para '
     'banco de dados "hubsoft"', "database_denied"),
    ('connection to server at "10.0.0.5", port 5432 failed: No route to host',
     "network_unreachable"),
])
def test_postgres_connection_messages_in_english_and_portuguese(text, cause):
    """Connection failures carry no SQLSTATE in psycopg, only the server's words, which a
    Brazilian server may say in Portuguese (pt_BR server messages as they appear in the wild).
    """
    assert diagnose(_FakeLibpqError(text)).cause == cause
    line = str(explain(_FakeLibpqError(text), "postgresql+psycopg://carteiro:x@10.0.0.5/hubsoft"))
    assert "\n" not in line and "x@" not in line


def test_unknown_failure_is_still_one_line():
    err = _FakeLibpqError("something odd\nwith a second line")
    line = str(explain(err, "postgresql+psycopg://u@h/db", "invoices"))
    assert line == "erro do banco em queries/invoices.sql: something odd"

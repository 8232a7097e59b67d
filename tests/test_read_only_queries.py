"""Every file of ``queries/`` is ONE read-only ``SELECT`` (or ``WITH … SELECT``), checked with a
real SQL parser in the connection's dialect before it reaches the database.

The attacks are the ones an operator with write access to ``queries/`` tried: statements
stacked behind a ``SELECT``, ``BEGIN READ WRITE`` to get around the read-only session, DML and
DDL, ``COPY … TO``, ``SELECT … INTO OUTFILE``, ``VACUUM INTO``, ``ATTACH``, functions that read
or write files. Each is refused with one pt-BR line naming the file and the kind of statement;
against the real PostgreSQL and MariaDB servers and SQLite the database and the file system
are left as they were.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from carteiro.erp import source
from carteiro.erp.queries import DIALECT_FILES, check_read_only, query_path, query_text
from carteiro.errors import CarteiroError
from tests import servers
from tests.cli_helpers import assert_one_line_error, carteiro
from tests.erp_builder import Erp

ARGS = ("--start", "2024-03-01", "--end", "2024-03-31")
BACKENDS = ("sqlite", "postgresql", "mysql")
# queries/<name>.sql (portable) and queries/<name>.<dialect>.sql (one database's copy)
SHIPPED = sorted(p.stem for p in source.queries_dir().glob("*.sql") if "." not in p.stem)
PER_DIALECT = sorted(p.stem for p in source.queries_dir().glob("*.*.sql"))
ROUTINES = ("SELECT id_rotina AS routine_id, tipo AS kind, horario AS time_of_day, "
            "ativo AS active FROM rotina")
OUT = "/tmp/carteiro_ataque.out"  # replaced by a real folder in the server tests


def refused(sql: str, backend: str, name: str = "routines") -> str:
    """The one line a hostile query text gets (it must be refused)."""
    with pytest.raises(CarteiroError) as caught:
        check_read_only(sql, backend, f"queries/{name}.sql")
    line = str(caught.value)
    assert "\n" not in line
    assert f"queries/{name}.sql" in line
    assert "uma única consulta SELECT" in line
    return line


# The shipped queries ----------------------------------------------------------------------------
def test_thirteen_queries_are_shipped() -> None:
    assert len(SHIPPED) == 13
    assert PER_DIALECT == ["invoices.mysql", "invoices.sqlite", "unreadable_due_dates.mysql",
                           "unreadable_due_dates.postgresql", "unreadable_due_dates.sqlite"]


@pytest.mark.parametrize("backend", [*BACKENDS, "mariadb"])
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_queries_pass(name: str, backend: str) -> None:
    text = query_text(name, backend)
    assert "SELECT" in text.upper()


@pytest.mark.parametrize("stem", PER_DIALECT)
def test_per_dialect_files_are_read_for_their_database_only(stem: str) -> None:
    """``<name>.<dialect>.sql`` is what ``<name>`` means on that database (MariaDB and MySQL
    share ``mysql``), checked in its dialect; the others read the portable file."""
    name, dialect = stem.split(".")
    own = (source.queries_dir() / f"{stem}.sql").read_text(encoding="utf-8")
    portable = (source.queries_dir() / f"{name}.sql").read_text(encoding="utf-8")
    def stripped(text: str) -> str:
        return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))

    backends = [b for b in [*BACKENDS, "mariadb"] if DIALECT_FILES[b] == dialect]
    assert backends
    for backend in backends:
        assert query_path(name, backend).name == f"{stem}.sql"
        assert query_text(name, backend) == stripped(own)
    others = [b for b in [*BACKENDS, "mariadb"] if b not in backends]
    for backend in others:  # the portable file, unless that database has its own copy
        if (source.queries_dir() / f"{name}.{DIALECT_FILES[backend]}.sql").is_file():
            continue
        assert query_path(name, backend).name == f"{name}.sql"
        assert query_text(name, backend) == stripped(portable)


def test_a_per_dialect_file_is_checked_and_named(tmp_path: Path) -> None:
    """A provider's ``routines.postgresql.sql`` that writes is refused, naming that file; the
    portable file is still used on the other databases."""
    shutil.copy(source.queries_dir() / "routines.sql", tmp_path / "routines.sql")
    (tmp_path / "routines.postgresql.sql").write_text(
        f"{ROUTINES}; DELETE FROM rotina", encoding="utf-8")
    with pytest.raises(CarteiroError, match=r"routines\.postgresql\.sql: 2 comandos SQL"):
        query_text("routines", "postgresql", tmp_path)
    assert "FROM rotina" in query_text("routines", "sqlite", tmp_path)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sql", [
    f"WITH r AS ({ROUTINES}) SELECT * FROM r",
    f"{ROUTINES} UNION ALL {ROUTINES}",
    f"({ROUTINES})",
    f"{ROUTINES};",
    f"{ROUTINES} /* a block comment; DELETE FROM fatura */",
    "SELECT 'x; DELETE FROM fatura' AS kind, 'INTO OUTFILE' AS t FROM rotina",
    "SELECT r.id_rotina AS routine_id, LOWER(r.tipo) AS kind, COALESCE(r.horario, '') AS "
    "time_of_day, CASE WHEN r.ativo THEN 1 ELSE 0 END AS active FROM rotina AS r "
    "WHERE r.id_rotina IN (SELECT id_rotina FROM rotina) ORDER BY 1",
    "SELECT id_fatura AS deleted, updated_at AS copy_of FROM fatura WHERE valor > :start",
])
def test_read_only_selects_pass(sql: str, backend: str) -> None:
    check_read_only(sql, backend, "queries/routines.sql")


# Refused before the database: every dialect ------------------------------------------------------
BEGIN = {"postgresql": "BEGIN READ WRITE", "mysql": "START TRANSACTION READ WRITE",
         "sqlite": "BEGIN"}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("sql", "kind"), [
    (f"{ROUTINES}; DELETE FROM fatura", "2 comandos SQL (SELECT, DELETE)"),
    (f"{ROUTINES}; {ROUTINES}", "2 comandos SQL"),
    ("DELETE FROM fatura", "comando DELETE"),
    ("UPDATE rotina SET ativo = NULL", "comando UPDATE"),
    ("INSERT INTO rotina SELECT * FROM rotina", "comando INSERT"),
    ("DROP TABLE email_enviado", "comando DROP"),
    (f"CREATE TABLE copia AS {ROUTINES}", "comando CREATE"),
    ("", "arquivo sem consulta"),
    ("   ;  ", "arquivo sem consulta"),
    (f"{ROUTINES} /*! INTO OUTFILE '{OUT}' */", "comentário executável"),
    (f"{ROUTINES} /*M!100000 INTO OUTFILE '{OUT}' */", "comentário executável"),
    (f"{ROUTINES} WHERE (ativo = ", "não consegue conferir"),
    ("SELEC id_rotina FROM rotina", "comando SELEC, não um SELECT"),
])
def test_refused_everywhere(sql: str, kind: str, backend: str) -> None:
    assert kind in refused(sql, backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_transaction_around_a_write_is_refused(backend: str) -> None:
    sql = f"{BEGIN[backend]}; DELETE FROM fatura WHERE id_fatura = 1001; COMMIT; {ROUTINES}"
    assert "4 comandos SQL" in refused(sql, backend)


@pytest.mark.parametrize(("backend", "sql", "kind"), [
    # PostgreSQL
    ("postgresql", f"COPY (SELECT 1) TO '{OUT}'", "comando COPY"),
    ("postgresql", "COPY rotina TO PROGRAM 'touch /tmp/x'", "comando COPY"),
    ("postgresql", "SELECT id_rotina AS routine_id, tipo AS kind, horario AS time_of_day, "
                   "ativo AS active INTO copia FROM rotina", "SELECT … INTO"),
    ("postgresql", f"{ROUTINES} FOR UPDATE", "FOR UPDATE"),
    ("postgresql", f"{ROUTINES} FOR SHARE", "FOR UPDATE"),
    ("postgresql", f"WITH d AS (DELETE FROM fatura RETURNING id_fatura) {ROUTINES}", "DELETE"),
    ("postgresql", f"WITH d AS (UPDATE rotina SET ativo = NULL RETURNING 1) {ROUTINES}",
     "UPDATE"),
    ("postgresql", "SET default_transaction_read_only = off", "comando SET"),
    ("postgresql", "SELECT pg_read_file('/etc/hostname') AS kind", "função pg_read_file"),
    ("postgresql", "SELECT pg_read_binary_file('/etc/hostname') AS kind", "função pg_read"),
    ("postgresql", f"SELECT lo_export(lo_from_bytea(0, 'x'), '{OUT}') AS kind", "função lo_"),
    ("postgresql", "SELECT * FROM pg_ls_dir('/') AS d", "função pg_ls_dir"),
    ("postgresql", "SELECT set_config('default_transaction_read_only', 'off', false)",
     "função set_config"),
    ("postgresql", "SELECT * FROM dblink('dbname=erp', 'DELETE FROM fatura') AS t(a int)",
     "função dblink"),
    ("postgresql", "SELECT query_to_xml('DELETE FROM fatura', true, true, '')",
     "função query_to_xml"),
    ("postgresql", "SELECT nextval('fatura_id_seq')", "função nextval"),
    ("postgresql", "CALL limpa_faturas()", "comando CALL"),
    ("postgresql", "EXPLAIN ANALYZE DELETE FROM fatura", "comando EXPLAIN"),
    # MariaDB / MySQL
    ("mysql", f"{ROUTINES} INTO OUTFILE '{OUT}'", "INTO OUTFILE"),
    ("mysql", f"SELECT id_rotina FROM rotina INTO DUMPFILE '{OUT}'", "INTO DUMPFILE"),
    ("mysql", f"SELECT id_rotina INTO OUTFILE '{OUT}' FROM rotina", "INTO OUTFILE"),
    ("mysql", "SELECT id_rotina INTO @x FROM rotina", "SELECT … INTO"),
    ("mysql", f"{ROUTINES} FOR UPDATE", "FOR UPDATE"),
    ("mysql", f"{ROUTINES} LOCK IN SHARE MODE", "FOR UPDATE"),
    ("mysql", "SELECT load_file('/etc/hostname') AS kind", "função load_file"),
    ("mysql", "SET SESSION TRANSACTION READ WRITE", "comando SET"),
    ("mysql", "CALL mysql.limpa()", "comando CALL"),
    ("mysql", "DO SLEEP(1)", "comando DO"),
    ("mysql", "LOAD DATA INFILE '/etc/hostname' INTO TABLE rotina", "LOAD"),
    ("mysql", "SELECT 1 AS kind # ; DELETE FROM fatura\n; DELETE FROM fatura", "2 comandos"),
    # SQLite
    ("sqlite", f"VACUUM INTO '{OUT}'", "comando VACUUM"),
    ("sqlite", f"ATTACH DATABASE '{OUT}' AS y", "comando ATTACH"),
    ("sqlite", f"ATTACH '{OUT}' AS y; {ROUTINES}", "2 comandos SQL (ATTACH, SELECT)"),
    ("sqlite", "DETACH y", "DETACH"),
    ("sqlite", "PRAGMA query_only = 0", "comando PRAGMA"),
    ("sqlite", f"PRAGMA writable_schema = 1; {ROUTINES}", "2 comandos SQL (PRAGMA, SELECT)"),
    ("sqlite", f"SELECT writefile('{OUT}', 'x') AS kind", "função writefile"),
    ("sqlite", "SELECT readfile('/etc/hostname') AS kind", "função readfile"),
    ("sqlite", "SELECT load_extension('/tmp/x.so') AS kind", "função load_extension"),
    ("sqlite", "SELECT * FROM fsdir('/')", "função fsdir"),
    ("sqlite", "REINDEX", "comando"),
])
def test_refused_in_its_dialect(backend: str, sql: str, kind: str) -> None:
    assert kind in refused(sql, backend)


def test_an_unknown_database_kind_is_refused() -> None:
    with pytest.raises(CarteiroError) as caught:
        check_read_only(ROUTINES, "oracle", "queries/routines.sql")
    assert "oracle" in str(caught.value)


def test_query_text_checks_the_file(tmp_path: Path) -> None:
    (tmp_path / "routines.sql").write_text(
        f"-- rotinas\n{ROUTINES};\nDELETE FROM fatura\n", encoding="utf-8")
    with pytest.raises(CarteiroError) as caught:
        query_text("routines", "sqlite", tmp_path)
    assert str(tmp_path / "routines.sql") in str(caught.value)
    assert "2 comandos SQL (SELECT, DELETE)" in str(caught.value)


# Against the real databases, through the CLI ----------------------------------------------------
@pytest.fixture
def out_dir() -> Iterator[Path]:
    """A folder the database servers' own users may write to (COPY TO, INTO OUTFILE)."""
    folder = Path(tempfile.mkdtemp(prefix="carteiro_t_ataque_", dir="/tmp"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def attacked_queries(tmp_path: Path, name: str, text: str) -> Path:
    directory = tmp_path / "queries"
    shutil.copytree(source.queries_dir(), directory)
    (directory / f"{name}.sql").write_text(text, encoding="utf-8")
    for copy in directory.glob(f"{name}.*.sql"):  # a dialect's copy would win over the attack
        copy.unlink()
    return directory


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every ERP table, and the tables there are."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            names = sorted(sa.inspect(conn).get_table_names())
            return {n: sorted(map(tuple, conn.execute(sa.text(f"SELECT * FROM {n}"))), key=repr)
                    for n in names}
    finally:
        engine.dispose()


@pytest.fixture
def erp_url(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """The baseline ERP on SQLite or on a fresh database of a server (dropped afterwards)."""
    made: list[tuple[servers.Server, str]] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return Erp.baseline().write_sqlite(tmp_path / "erp.sqlite")
        server = servers.postgres() if backend == "postgresql" else servers.mariadb()
        made.append((server, server.create_database()))
        return Erp.baseline().write(server.url(made[-1][1]))

    yield make
    for server, name in made:
        server.drop_database(name)


# (backend, file, text with {out} for the target file, what the one line names)
REAL_ATTACKS = [
    ("postgresql", "routines",
     f"BEGIN READ WRITE; DELETE FROM fatura WHERE id_fatura = 1001; COMMIT; {ROUTINES}",
     "4 comandos SQL (BEGIN, DELETE, COMMIT, SELECT)"),
    ("postgresql", "routines", "COPY (SELECT 1) TO '{out}'", "comando COPY"),
    ("postgresql", "routines",
     f"WITH d AS (DELETE FROM fatura RETURNING id_fatura) {ROUTINES}", "DELETE"),
    ("postgresql", "routines",
     "SELECT lo_export(lo_from_bytea(0, 'x'), '{out}') AS routine_id, 'x' AS kind, "
     "NULL AS time_of_day, 1 AS active", "função lo_"),
    ("mysql", "routines", f"{ROUTINES} INTO OUTFILE '{{out}}'", "INTO OUTFILE"),
    ("mysql", "routines", f"{ROUTINES} /*! INTO OUTFILE '{{out}}' */", "comentário executável"),
    ("mysql", "routines", "SELECT id_rotina FROM rotina INTO DUMPFILE '{out}'", "INTO DUMPFILE"),
    ("mysql", "routines",
     f"START TRANSACTION READ WRITE; DELETE FROM fatura WHERE id_fatura = 1001; COMMIT; "
     f"{ROUTINES}", "4 comandos SQL"),
    ("sqlite", "routines", "VACUUM INTO '{out}'", "comando VACUUM"),
    ("sqlite", "routines", f"ATTACH DATABASE '{{out}}' AS copia; {ROUTINES}", "ATTACH"),
    ("sqlite", "routines", f"BEGIN; DELETE FROM fatura WHERE id_fatura = 1001; COMMIT; "
                           f"{ROUTINES}", "4 comandos SQL (BEGIN, DELETE, COMMIT, SELECT)"),
    ("sqlite", "invoices", f"PRAGMA query_only = 0; {ROUTINES}", "PRAGMA"),
]


@pytest.mark.parametrize("reader", ["", "sqlalchemy"], ids=["leitor-padrao", "sqlalchemy"])
@pytest.mark.parametrize(("backend", "name", "text", "kind"), REAL_ATTACKS,
                         ids=lambda v: v if v in BACKENDS else None)
def test_attack_on_the_real_database_changes_nothing(backend: str, name: str, text: str,
                                                     kind: str, reader: str, tmp_path: Path,
                                                     out_dir: Path,
                                                     erp_url: Callable[[str], str]) -> None:
    url = erp_url(backend)
    target = out_dir / "vazou.out"
    queries = attacked_queries(tmp_path, name, text.replace("{out}", str(target)))
    before = snapshot(url)
    files_before = sorted(os.listdir(tmp_path))
    result = carteiro("audit", "--db", url, *ARGS,
                      env={"CARTEIRO_QUERIES_DIR": str(queries), "CARTEIRO_READER": reader})
    line = assert_one_line_error(result, f"{name}.sql", kind, "uma única consulta SELECT")
    assert not target.exists(), f"{target} foi gravado: {line}"
    assert os.listdir(out_dir) == []
    assert sorted(os.listdir(tmp_path)) == files_before
    assert snapshot(url) == before
    assert any(1001 in row for row in before["fatura"])

"""The real CLI (``python -m carteiro audit``) over a table of hostile databases, arguments, query
folders and state files, as an attacker or a careless operator would hand them over.

For every case: the exit code is 0 or 2, never a traceback; on 2, exactly one line on stderr
(with the fragment the case expects); on 0, the rows that are fine are still computed (the
healthy invoice 1001 of ``Erp.baseline()`` is in the CSV). The ERP value rules themselves are
tested elsewhere (``tests/test_bad_input.py``); here bad rows only must not stop the audit.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from carteiro.erp import source
from tests import servers
from tests.cli_helpers import assert_one_line_error, carteiro
from tests.erp_builder import Erp

PERIOD = ("--start", "2024-03-01", "--end", "2024-03-31")
GOOD_INVOICE = "1001"


# Databases ----------------------------------------------------------------------------------------
def _good(folder: Path) -> str:
    return Erp.baseline().write_sqlite(folder / "erp.sqlite")


def _bad_rows(folder: Path) -> str:
    """The healthy customer 1 among rows of every kind of wrong (SQLite keeps any type)."""
    erp = Erp.baseline()
    erp.customer(2, due="lixo").customer(3, email="não é e-mail").customer(4, amount="abc")
    erp.customer(5, due="2024-02-30").customer(6, allows="talvez").customer(7, status="???")
    erp.customer(8, due=20240310).customer(9, name="=cmd|' /C calc'!A0")
    erp.customer(10, due="2024-03-10 25:99:00").customer(11, amount=1e300)
    erp.customer(12, amount=-50).customer(13, service_status=99).customer(14, method=77)
    erp.customer(15, due="").customer(16, email="a@b.c" * 200)
    erp.add("fatura", id_fatura=1999, id_cliente=999, data_vencimento="2024-03-10",
            status="aberto", valor=10)                                   # unknown customer
    erp.add("fatura", id_fatura="abc", id_cliente=1, data_vencimento="2024-03-11")
    erp.add("fatura", id_fatura=None, id_cliente=1, data_vencimento="2024-03-12")
    erp.add("fatura", id_fatura=1001, id_cliente=1, data_vencimento="2024-03-13")  # duplicate
    erp.add("cliente", id_cliente="x", nome_razaosocial="Sem id numérico")
    erp.add("cliente_contato", id_cliente_contato=1, id_cliente=1, email="x@x")
    erp.add("forma_cobranca_regra_email", id_regra_email=9, id_forma_cobranca=1, dias="x",
            ativo="talvez")
    erp.add("rotina", id_rotina=3, tipo="", horario="25:99", ativo="S")
    return erp.write_sqlite(folder / "erp.sqlite", keys=False)


def _blob_email(folder: Path) -> str:
    """A contact whose e-mail is a BLOB of bytes that are not UTF-8 (SQLite keeps any type)."""
    erp = Erp.baseline()
    erp.add("cliente_contato", id_cliente_contato=1, id_cliente=1, email=b"\xff\xfe bytes")
    return erp.write_sqlite(folder / "erp.sqlite", keys=False)


def _without(statement: str) -> Callable[[Path], str]:
    def make(folder: Path) -> str:
        url = _good(folder)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
        engine.dispose()
        return url
    return make


def _file(content: bytes) -> Callable[[Path], str]:
    def make(folder: Path) -> str:
        (folder / "erp.sqlite").write_bytes(content)
        return f"sqlite:///{folder / 'erp.sqlite'}"
    return make


def _state_file(folder: Path) -> str:
    """Carteiro's own state file handed over as the ERP database."""
    from carteiro.sender.history import StateStore

    StateStore(folder / "state.sqlite")
    return f"sqlite:///{folder / 'state.sqlite'}"


def _server(kind: str, tail: str = "") -> Callable[[Path], str]:
    def make(_folder: Path) -> str:
        server = servers.postgres() if kind == "postgresql" else servers.mariadb()
        return server.url("postgres" if kind == "postgresql" else "mysql") + tail
    return make


DATABASES: dict[str, Callable[[Path], str]] = {
    "good": _good,
    "bad_rows": _bad_rows,
    "blob_email": _blob_email,
    "empty_tables": lambda folder: Erp().write_sqlite(folder / "erp.sqlite"),
    "missing_table": _without("DROP TABLE forma_cobranca_status_envio"),
    "missing_column": _without("ALTER TABLE cliente_servico DROP COLUMN envio_cobranca"),
    "garbage": _file(bytes(range(256)) * 64),
    "spreadsheet": _file(b"id;nome\n1;Fulano\n" * 300),
    "corrupt_header": _file(b"SQLite format 3\x00" + b"\xff" * 8000),
    "empty_file": _file(b""),
    "folder": lambda folder: f"sqlite:///{folder}",
    "missing_file": lambda folder: f"sqlite:///{folder / 'nao_existe.sqlite'}",
    "state_file": _state_file,
}


# Cases --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One hostile run: ``db`` is a key of :data:`DATABASES`, a literal URL, or a server maker;
    ``fails`` the fragment of the one line (None: exit 0 with the healthy invoice)."""

    id: str
    db: str | Callable[[Path], str] = "good"
    args: tuple[str, ...] = PERIOD
    env: dict[str, str] = field(default_factory=dict)
    queries: dict[str, str | bytes] = field(default_factory=dict)
    fails: str | None = None
    healthy_invoice: bool = True


EMPTY = "SELECT * FROM ({body}) AS q WHERE 1 = 0"
SPECIAL = "Seg?re#do/X9"
CASES = [
    # Dates
    Case("data-mes-13", args=("--start", "2024-13-01"), fails="--start: data inválida"),
    Case("data-texto", args=("--start", "ontem"), fails="--start: data inválida 'ontem'"),
    Case("data-30-fev", args=("--end", "2024-02-30"), fails="--end: data inválida"),
    Case("data-vazia", args=("--start", ""), fails="--start: data inválida ''"),
    Case("data-fim-antes", args=("--start", "2024-03-31", "--end", "2024-03-01"),
         fails="o fim (01/03/2024) é anterior ao início (31/03/2024)"),
    Case("data-9999", args=("--end", "9999-12-31"), fails="--end: a data (9999-12-31) está fora"),
    Case("data-ano-1", args=("--start", "0001-01-01"), fails="--start: a data (0001-01-01)"),
    Case("data-ano-10000", args=("--start", "10000-01-01"), fails="--start: data inválida"),
    Case("data-hora", args=("--start", "2024-03-01T10:00"), fails="--start: data inválida"),
    Case("periodo-sem-faturas", args=("--start", "1999-01-01"), healthy_invoice=False),
    # URLs: scheme, host, port, query parameters, passwords
    Case("url-esquema-desconhecido", db="nada://x/y", fails="URL do banco não suportada"),
    Case("url-driver-desconhecido", db="postgresql+naoexiste://h/db",
         fails="URL do banco não suportada"),
    Case("url-sem-esquema", db="banco.sqlite", fails="URL do banco inválida"),
    Case("url-vazia-http", db="http://example.com/x", fails="URL do banco não suportada"),
    Case("url-porta-texto", db="postgresql+psycopg://u:x@127.0.0.1:porta/erp",
         fails="a porta, depois de ':', deve ser um número"),
    Case("url-porta-grande", db="mysql+pymysql://u@127.0.0.1:99999/erp",
         fails="a porta 99999 não existe"),
    Case("url-porta-zero", db="postgresql+psycopg://u@127.0.0.1:0/erp", fails="porta 0 não"),
    Case("url-ipv6-quebrado", db="postgresql+psycopg://u@[::1/erp", fails="URL do banco inválida"),
    Case("url-host-inexistente", db="postgresql+psycopg://u@host.invalid:5432/erp",
         fails="host.invalid não existe no DNS"),
    Case("url-porta-fechada", db="postgresql+psycopg://u@127.0.0.1:9/erp",
         fails="conexão recusada em 127.0.0.1:9"),
    Case("url-senha-especial", db=f"postgresql+psycopg://u:{SPECIAL}@127.0.0.1:9/erp",
         fails="conexão recusada"),
    Case("url-senha-arroba", db="postgresql+psycopg://u:Seg@redo@127.0.0.1:9/erp",
         fails="a senha tem '@' sem codificar"),
    Case("url-senha-na-query", db=f"mysql+pymysql://u@127.0.0.1:9/erp?password={SPECIAL}",
         fails="conexão recusada"),
    Case("url-mysql-charset", db="mysql+pymysql://u@127.0.0.1:3306/erp?charset=bogus",
         fails="charset 'bogus' desconhecido"),
    Case("url-mysql-parametro", db=_server("mariadb", "?parametro_bogus=1"),
         fails="o parâmetro parametro_bogus não existe"),
    Case("url-mysql-init-command", db=_server("mariadb", "?init_command=DELETE%20FROM%20x"),
         fails="o parâmetro init_command, que o Carteiro não aceita"),
    Case("url-mysql-local-infile", db=_server("mariadb", "?local_infile=1"),
         fails="o parâmetro local_infile"),
    Case("url-postgres-parametro", db=_server("postgresql", "?parametro_bogus=1"),
         fails='invalid connection option "parametro_bogus"'),
    Case("url-postgres-sslmode", db=_server("postgresql", "?sslmode=talvez"),
         fails="sslmode"),
    Case("url-sqlite-modo-escrita", db="good?mode=rwc"),
    Case("url-sqlite-parametro", db="good?parametro_bogus=1"),
    Case("url-sqlite-timeout-texto", db="good?timeout=abc", fails="timeout"),
    # SQLite files that are not an ERP database
    Case("sqlite-lixo", db="garbage", fails="não é um banco SQLite"),
    Case("sqlite-planilha", db="spreadsheet", fails="não é um banco SQLite"),
    Case("sqlite-cabecalho-corrompido", db="corrupt_header", fails="não é um banco SQLite"),
    Case("sqlite-arquivo-vazio", db="empty_file",
         fails="a tabela cliente usada em queries/customers.sql não existe"),
    Case("sqlite-pasta", db="folder", fails="é uma pasta, não um banco SQLite"),
    Case("sqlite-inexistente", db="missing_file", fails="banco SQLite não encontrado"),
    Case("sqlite-estado-do-carteiro", db="state_file", fails="não existe neste banco"),
    # Tables, columns, rows
    Case("tabela-faltando", db="missing_table",
         fails="a tabela forma_cobranca_status_envio usada em queries/send_statuses.sql"),
    Case("coluna-faltando", db="missing_column",
         fails="a coluna envio_cobranca usada em queries/services.sql não existe"),
    Case("tabelas-vazias", db="empty_tables", healthy_invoice=False),
    Case("linhas-ruins", db="bad_rows"),
    Case("linhas-ruins-sqlalchemy", db="bad_rows", env={"CARTEIRO_READER": "sqlalchemy"}),
    # queries/ edited
    Case("consulta-status-vazia", queries={"service_statuses": EMPTY}),
    Case("consulta-status-vazia-sqlalchemy", queries={"service_statuses": EMPTY},
         env={"CARTEIRO_READER": "sqlalchemy"}),
    Case("consulta-remetentes-vazia", queries={"senders": EMPTY}),
    Case("consulta-faturas-vazia", queries={"invoices": EMPTY}, healthy_invoice=False),
    Case("consulta-rotinas-vazia", queries={"routines": EMPTY}),
    Case("consulta-com-delete", queries={"routines": "{body}; DELETE FROM fatura"},
         fails="2 comandos SQL (SELECT, DELETE)"),
    Case("consulta-so-delete", queries={"invoices": "DELETE FROM fatura"},
         fails="comando DELETE, não um SELECT"),
    Case("consulta-attach", queries={"routines": "ATTACH DATABASE '{tmp}/x.sqlite' AS y"},
         fails="comando ATTACH"),
    Case("consulta-vazia", queries={"customers": ""}, fails="arquivo sem consulta"),
    Case("consulta-sem-coluna", queries={"routines": "SELECT id_rotina AS routine_id FROM rotina"},
         fails="queries/routines.sql não devolve a(s) coluna(s) kind"),
    Case("consulta-nao-utf8", queries={"routines": b"SELECT 'S\xe3o' AS kind FROM rotina"},
         fails="não está em UTF-8"),
    Case("consulta-sintaxe", queries={"routines": "{body} WHERE (ativo ="},
         fails="não consegue conferir"),
    # Carteiro's own state file
    Case("estado-pasta", env={"CARTEIRO_STATE_DB": "{tmp}"}, fails="é uma pasta"),
    Case("estado-lixo", env={"CARTEIRO_STATE_DB": "{tmp}/lixo.bin"},
         fails="não é um banco SQLite válido"),
    Case("estado-e-o-erp", env={"CARTEIRO_STATE_DB": "{tmp}/erp.sqlite"},
         fails="não é o arquivo de estado do Carteiro"),
    Case("estado-sob-arquivo", env={"CARTEIRO_STATE_DB": "{tmp}/lixo.bin/state.sqlite"},
         fails="lixo.bin"),
]


def _url(case: Case, folder: Path) -> str:
    if callable(case.db):
        return case.db(folder)
    name, _, query = case.db.partition("?")
    if name in DATABASES:
        url = DATABASES[name](folder)
        return f"{url}?{query}" if query else url
    return case.db


def _queries(case: Case, folder: Path) -> Path:
    directory = folder / "queries"
    shutil.copytree(source.queries_dir(), directory)
    for name, text in case.queries.items():
        for copy in directory.glob(f"{name}.*.sql"):  # a dialect's copy would win over the case
            copy.unlink()
        path = directory / f"{name}.sql"
        if isinstance(text, bytes):
            path.write_bytes(text)
            continue
        original = path.read_text(encoding="utf-8")
        body = "\n".join(line for line in original.splitlines()
                         if not line.lstrip().startswith("--"))
        path.write_text(text.format(body=body, tmp=folder), encoding="utf-8")
    return directory


# Found by this table: a BLOB e-mail (bytes, not UTF-8) crashed the normalisation; it is read
# as text with the invalid bytes replaced (an invalid address).
BLOB_EMAIL = pytest.param(Case("email-blob", db="blob_email"), id="email-blob")


@pytest.mark.parametrize("case", [*(pytest.param(c, id=c.id) for c in CASES), BLOB_EMAIL])
def test_hostile_input(case: Case, tmp_path: Path) -> None:
    (tmp_path / "lixo.bin").write_bytes(bytes(range(256)) * 8)
    url = _url(case, tmp_path)
    env = {key: value.format(tmp=tmp_path) for key, value in case.env.items()}
    if case.queries:
        env["CARTEIRO_QUERIES_DIR"] = str(_queries(case, tmp_path))
    result = carteiro("audit", "--db", url, *case.args, env=env, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 2), result.stderr
    if case.fails is not None:
        line = assert_one_line_error(result, case.fails)
        assert line.startswith("carteiro: erro: ")
        for secret in (SPECIAL, "Seg@redo"):
            assert secret not in line
        return
    assert result.returncode == 0, result.stderr
    csv = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    assert list(csv.columns[:3]) == ["invoice_id", "customer_id", "eligible"]
    if case.healthy_invoice:
        healthy = csv[csv["invoice_id"] == GOOD_INVOICE]
        assert not healthy.empty, result.stdout[:500]
        assert set(healthy["customer_id"]) == {"1"}

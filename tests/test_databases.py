"""The same answers on SQLite, PostgreSQL and MariaDB, read-only everywhere.

The same ERP is written into a SQLite file, a fresh PostgreSQL database and a fresh MariaDB
database (created for this module on the servers of ``tests/servers.py``, dropped afterwards);
the audit of each, through ``carteiro.load.load_data`` + ``carteiro.engine.evaluate`` and
through the CLI, must be identical, invoice by invoice and customer by customer.

Two ERPs: the seeded demo database (``carteiro.demo.generate``) and a small one built with
``tests/erp_builder.py`` where every condition and every data problem that all three databases
can store occurs. The odd spellings only SQLite can store (flags ``'S'``/``'sim'``, dates as
text with a time or unreadable) are checked against the same ERP written with proper values
on the servers.
"""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from carteiro import demo
from carteiro.columns import CustomerAudit, Invoice, Problem
from carteiro.erp.connect import make_engine
from carteiro.erp.load import load_data, load_email_log
from carteiro.erp.source import resolve_source, url_from_connection_settings
from carteiro.errors import DataSourceError
from carteiro.period import Period
from carteiro.rules.engine import Audit, evaluate
from tests import servers
from tests.cli_helpers import carteiro
from tests.erp_builder import COLUMNS, Erp

pytestmark = pytest.mark.server

MARCH = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31))
PERIODS = [
    MARCH,
    Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
    Period(dt.date(2024, 2, 15), dt.date(2024, 3, 10)),  # across months, days inclusive
]
KINDS = ["postgresql", "mariadb"]
DEMO_ARGS = {"customers": 1_500, "months": 3, "seed": 11, "end_month": dt.date(2024, 3, 1),
             "as_of": dt.date(2024, 3, 20)}


# The ERPs ---------------------------------------------------------------------------------------
def portable_erp() -> Erp:
    """Every condition and every data problem, in values all three databases can store.

    Period: March 2024. Customer 1 (baseline) is eligible.
    """
    erp = Erp.baseline()
    erp.add("servico_status", id_servico_status=6, descricao="Cancelado (antigo)",
            prefixo="Cancelado ")  # same status as 3 once normalised
    erp.add("remetente_email", id_remetente_email=2, descricao="Gmail (antigo)",
            host="smtp.gmail.com", porta=465, seguranca="ssl", usuario=None,
            email_origem="provedor@gmail.com", intervalo_segundos=None, padrao=False,
            ativo=False)
    erp.add("forma_cobranca", id_forma_cobranca=2, descricao="Carnê", id_remetente_email=2,
            ativo=True)
    erp.add("forma_cobranca", id_forma_cobranca=3, descricao="Débito Automático", ativo=None)
    erp.add("forma_cobranca", id_forma_cobranca=4, descricao="Cartão de Crédito", ativo=True)
    erp.add("forma_cobranca_regra_email", id_regra_email=4, id_forma_cobranca=2, dias=0,
            assunto="Carnê", ativo=True)
    erp.add("forma_cobranca_regra_email", id_regra_email=5, id_forma_cobranca=4, dias=2,
            assunto="Cartão", ativo=True)
    erp.add("forma_cobranca_regra_email", id_regra_email=6, id_forma_cobranca=1, dias=10,
            assunto="Sem flag", ativo=None)  # null flag: inactive, reported
    erp.add("forma_cobranca_status_envio", id_forma_cobranca=4, id_servico_status=1)
    erp.add("forma_cobranca_status_envio", id_forma_cobranca=4, id_servico_status=42)
    # The period's edges and payments around the send dates.
    erp.customer(2, due="2024-03-31", paid="2024-03-31", name="José da Silva ", city="São José")
    erp.customer(3, due="2024-03-01", paid="2024-02-20", status="pago")
    erp.customer(4, due="2024-04-01")
    erp.customer(5, due="2024-02-29", paid="2024-03-02")
    erp.customer(6, due=None)
    erp.customer(7, method=2)
    erp.customer(8, method=3)
    erp.customer(9, method=None)
    erp.customer(10, method=99)
    erp.customer(11, service_status=3)
    erp.customer(12, service_status=6)
    erp.customer(13, method=4, service_status=2, due="2024-03-20")
    erp.customer(14, notice="somente_sms")
    erp.customer(15, notice="Somente SMS")
    erp.customer(16, notice="xpto")
    erp.customer(17, allows=False)
    erp.customer(18, allows=None)
    erp.customer(19, email="invalido@")
    erp.customer(20, email=" a@b.com.br ; lixo@ ", amount=0.1)
    erp.customer(21, allows=False, email="  ")
    erp.add("cliente_contato", id_cliente_contato=1, id_cliente=21, nome="Financeiro",
            email="financeiro@empresa21.com.br", permite_enviar_email=True)
    erp.add("cliente_contato", id_cliente_contato=2, id_cliente=17, nome="Sem permissão",
            email="contato17@x.com.br", permite_enviar_email=None)
    erp.add("cliente_contato", id_cliente_contato=3, id_cliente=777, nome="Órfão",
            email="orfao@x.com.br", permite_enviar_email=True)
    erp.customer(22, status="cancelado")
    erp.customer(23, status="pago", paid=None)
    erp.customer(24, status=None)
    erp.customer(25, status="quitado", paid="2024-03-05")
    erp.customer(26, status="em aberto")
    erp.customer(27, status="xyz")
    erp.customer(28, service_status=77)
    erp.customer(29, amount=1234.56)
    erp.set("fatura", "id_fatura", 1029, id_cliente_servico=999)  # service that does not exist
    erp.customer(30)
    erp.set("fatura", "id_fatura", 1030, id_cliente_servico=None)
    erp.customer(31)
    erp.set("fatura", "id_fatura", 1031, id_cliente_servico=101)  # customer 1's service
    erp.customer(32, paid="2024-03-08")  # paid after the -3 send date: fired
    erp.customer(33, due="2024-03-15", paid="2024-03-11")  # before the first send (03-12)
    # Customer 34: two invoices, one eligible, one not (partial).
    erp.customer(34, due="2024-03-05")
    erp.add("fatura", id_fatura=2034, id_cliente=34, id_cliente_servico=134,
            id_forma_cobranca=3, data_vencimento="2024-03-25", valor=50, status="aberto")
    # An invoice whose customer is not in the customer table.
    erp.add("fatura", id_fatura=2500, id_cliente=500, id_cliente_servico=None,
            id_forma_cobranca=1, data_vencimento="2024-03-12", valor=10, status="aberto")
    # February invoices too, for the other periods.
    for cid in (1, 7, 17, 29):
        erp.add("fatura", id_fatura=3000 + cid, id_cliente=cid, id_cliente_servico=100 + cid,
                id_forma_cobranca=1, data_vencimento="2024-02-15", valor=99.9,
                status="pago", data_pagamento="2024-02-14")
    # The e-mail log: ties, and a row without a send time.
    for log_id, sent, ok in [(1, "2024-03-07 08:00:00", True), (2, "2024-03-07 08:00:00", False),
                             (3, None, False), (4, "2024-03-10 08:00:00", True),
                             (5, "2024-02-12 08:00:00", True)]:
        erp.add("email_enviado", id_email_enviado=log_id, id_cliente=1, id_fatura=1001,
                email_destino="cliente1@gmail.com", tipo_documento="fatura", data_envio=sent,
                enviado=ok, mensagem_erro=None if ok else "550 mailbox unavailable")
    return erp


ODD_TRUE = ["S", "sim", "t", "TRUE", "1", "Yes"]
ODD_FALSE = ["N", "não", "f", "false", "0", "no"]


def odd_spellings(erp: Erp) -> Erp:
    """The same ERP as SQLite-only spellings: text flags, dates with a time, and three due
    dates that cannot be read (which on the servers are NULL: both are left out and reported)."""
    odd = erp.copy()
    flags = {"cliente": ("permite_enviar_email", "ativo"),
             "cliente_contato": ("permite_enviar_email",),
             "remetente_email": ("padrao", "ativo"), "forma_cobranca": ("ativo",),
             "forma_cobranca_regra_email": ("ativo",), "rotina": ("ativo",),
             "email_enviado": ("enviado",)}
    n = 0
    for table, columns in flags.items():
        for row in odd.rows[table]:
            for column in columns:
                if row[column] is True:
                    row[column] = ODD_TRUE[n % len(ODD_TRUE)]
                elif row[column] is False:
                    row[column] = ODD_FALSE[n % len(ODD_FALSE)]
                n += 1
    for row in odd.rows["fatura"]:
        if row["data_vencimento"] == "2024-03-31":
            row["data_vencimento"] = "2024-03-31 23:59:59"  # a datetime on the last day
        if row["data_pagamento"] == "2024-03-05":
            row["data_pagamento"] = "2024-03-05T10:30:00-03:00"
    for invoice_id, text in UNREADABLE.items():
        odd.add("fatura", id_fatura=invoice_id, id_cliente=1, id_cliente_servico=101,
                id_forma_cobranca=1, data_vencimento=text, valor=1, status="aberto")
    return odd


UNREADABLE = {4001: "31/03/2024", 4002: "lixo", 4003: "2024-13-45"}


def with_null_due_dates(erp: Erp) -> Erp:
    """What the unreadable due dates of :func:`odd_spellings` are on a typed database."""
    typed = erp.copy()
    for invoice_id in UNREADABLE:
        typed.add("fatura", id_fatura=invoice_id, id_cliente=1, id_cliente_servico=101,
                  id_forma_cobranca=1, data_vencimento=None, valor=1, status="aberto")
    return typed


# Comparing audits -------------------------------------------------------------------------------
def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def assert_same_audit(expected: Audit, actual: Audit, *, problems: bool = True) -> None:
    pd.testing.assert_frame_equal(_sorted(expected.invoices, [Invoice.ID]),
                                  _sorted(actual.invoices, [Invoice.ID]))
    pd.testing.assert_frame_equal(_sorted(expected.customers, [CustomerAudit.ID]),
                                  _sorted(actual.customers, [CustomerAudit.ID]))
    assert [a.code for a in expected.alerts] == [a.code for a in actual.alerts]
    if problems:
        keys = [Problem.KIND, Problem.TABLE, Problem.ID]
        pd.testing.assert_frame_equal(_sorted(expected.problems, keys),
                                      _sorted(actual.problems, keys))


def audit_of(url: str, period: Period = MARCH) -> Audit:
    return evaluate(load_data(url, period), period)


def cli_frame(url: str, level: str, period: Period = MARCH,
              env: dict[str, str] | None = None) -> pd.DataFrame:
    args = ["audit", "--start", period.start.isoformat(), "--end", period.end.isoformat(),
            "--level", level]
    if url:
        args[1:1] = ["--db", url]
    result = carteiro(*args, env=env)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    key = "invoice_id" if level == "invoice" else "customer_id"
    return frame.sort_values(key, key=lambda s: s.astype(int)).reset_index(drop=True)


def table_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            names = sorted(sa.inspect(conn).get_table_names())
            return {n: conn.execute(sa.text(f"SELECT COUNT(*) FROM {n}")).scalar_one()
                    for n in names}
    finally:
        engine.dispose()


# Fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fresh_database() -> Iterator[Callable[[str], tuple[servers.Server, str]]]:
    """Make a fresh database on a server: ``(server, database name)``; all dropped at the end."""
    made: list[tuple[servers.Server, str]] = []

    def make(kind: str) -> tuple[servers.Server, str]:
        server = servers.server(kind)
        made.append((server, server.create_database()))
        return made[-1]

    yield make
    for server, name in made:
        server.drop_database(name)


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    demo.generate(url, **DEMO_ARGS)
    return url


@pytest.fixture(scope="module", params=KINDS)
def demo_server(request: pytest.FixtureRequest, fresh_database) -> tuple[servers.Server, str]:
    """The same demo database on a fresh PostgreSQL / MariaDB database: (server, admin url)."""
    server, name = fresh_database(request.param)
    url = server.url(name)
    demo.generate(url, **DEMO_ARGS)
    return server, url


@pytest.fixture(scope="module")
def portable_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    return portable_erp().write_sqlite(tmp_path_factory.mktemp("erp") / "portable.sqlite")


@pytest.fixture(scope="module", params=KINDS)
def portable_server(request: pytest.FixtureRequest, fresh_database) -> tuple[servers.Server, str]:
    server, name = fresh_database(request.param)
    return server, portable_erp().write(server.url(name))


# The demo database ------------------------------------------------------------------------------
@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.start}_{p.end}")
def test_demo_audit_is_the_same_as_on_sqlite(demo_sqlite, demo_server, period):
    expected, actual = audit_of(demo_sqlite, period), audit_of(demo_server[1], period)
    assert len(expected.invoices) > 1_000 and not expected.invoices[Invoice.ELIGIBLE].all()
    assert_same_audit(expected, actual)


@pytest.mark.parametrize("level", ["invoice", "customer"])
def test_demo_cli_csv_is_the_same_as_on_sqlite(demo_sqlite, demo_server, level):
    expected = cli_frame(demo_sqlite, level)
    actual = cli_frame(demo_server[1], level)
    assert len(expected) > 500
    pd.testing.assert_frame_equal(expected, actual)


def test_demo_email_log_is_the_same_as_on_sqlite(demo_sqlite, demo_server):
    customers = audit_of(demo_sqlite).customers[CustomerAudit.ID].head(40).tolist()
    compared = 0
    for customer_id in customers:
        expected = load_email_log(demo_sqlite, customer_id)
        actual = load_email_log(demo_server[1], customer_id)
        assert list(expected.columns) == list(actual.columns)
        assert len(expected) == len(actual)
        if len(expected):  # an empty frame's dtypes say nothing
            pd.testing.assert_frame_equal(normalised_log(expected), normalised_log(actual))
            compared += 1
    assert compared >= 10


def normalised_log(frame: pd.DataFrame) -> pd.DataFrame:
    """The e-mail log with the types every database agrees on (SQLite returns text and 0/1)."""
    out = frame.copy()
    for column in ("address", "document_type", "error_message"):  # all-null: float or object
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    out["sent_at"] = pd.to_datetime(out["sent_at"]).astype("datetime64[us]")
    out["accepted"] = out["accepted"].map(lambda v: None if pd.isna(v) else bool(int(v)))
    return out.astype({"invoice_id": "float64"}).reset_index(drop=True)


# The period through the due-date index ---------------------------------------------------------
def _explained(name: str, backend: str) -> str:
    """``queries/<name>`` for ``backend`` with the March period written in (EXPLAIN only)."""
    from carteiro.erp.queries import query_text

    return (query_text(name, backend).replace(":start", "'2024-03-01'")
            .replace(":end_exclusive", "'2024-04-01'"))


@pytest.mark.parametrize("name", ["invoices", "unreadable_due_dates"])
def test_invoices_are_read_through_the_due_date_index(name, demo_sqlite, demo_server):
    """EXPLAIN on each database: the period's invoices and the unreadable due dates are found
    through the index on fatura.data_vencimento, never by reading the whole table
    (PostgreSQL with sequential scans priced out, so the test database's size does not
    matter: a query the index cannot serve would still be planned as a scan)."""
    path = sa.make_url(demo_sqlite).database
    plan = sqlite3.connect(path).execute(
        "EXPLAIN QUERY PLAN " + _explained(name, "sqlite")).fetchall()
    steps = [row[-1] for row in plan]
    assert any("USING INDEX ix_fatura_data_vencimento" in step
               or "USING COVERING INDEX ix_fatura_data_vencimento" in step for step in steps)
    assert not any(step.startswith("SCAN f") for step in steps), steps
    server, url = demo_server
    database = sa.make_url(url).database
    if server.kind == "postgresql":
        rows = server.execute("SET enable_seqscan = off",
                              "EXPLAIN " + _explained(name, "postgresql"), database=database)[-1]
        text = "\n".join(r[0] for r in rows)
        assert "ix_fatura_data_vencimento" in text and "Seq Scan" not in text, text
    else:
        rows = server.execute("EXPLAIN " + _explained(name, "mysql"), database=database)[0]
        on_fatura = [r for r in rows if r[2] in ("fatura", "f", "p")]
        assert on_fatura and all(r[3] != "ALL" for r in on_fatura), rows
        assert any(r[5] == "ix_fatura_data_vencimento" for r in on_fatura), rows


# Every condition and data problem ---------------------------------------------------------------
@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.start}_{p.end}")
def test_portable_erp_audit_is_the_same_everywhere(portable_sqlite, portable_server, period):
    expected = audit_of(portable_sqlite, period)
    assert_same_audit(expected, audit_of(portable_server[1], period))


def test_portable_erp_covers_every_condition_and_problem(portable_sqlite):
    audit = audit_of(portable_sqlite)
    inv = audit.invoices
    reasons = set(inv[Invoice.PRIMARY_REASON].dropna().astype(str))
    assert reasons >= {"sender_unavailable", "method_without_rules", "invoice_outside_rules",
                       "service_missing", "service_status_excluded", "service_blocks_email",
                       "no_contact_allows_email", "no_valid_email"}
    assert set(audit.customers[CustomerAudit.STATUS].astype(str)) == {
        "covered", "partial", "not_covered"}
    kinds = set(audit.problems[Problem.KIND])
    assert len(kinds) >= 5, kinds
    # the period's edges: first and last day in, the day before and after out
    assert {1002, 1003}.issubset(set(inv[Invoice.ID])) and not {1004, 1005} & set(inv[Invoice.ID])


@pytest.mark.parametrize("level", ["invoice", "customer"])
def test_portable_erp_cli_csv_is_the_same_everywhere(portable_sqlite, portable_server, level):
    pd.testing.assert_frame_equal(cli_frame(portable_sqlite, level),
                                  cli_frame(portable_server[1], level))


def test_email_log_order_is_the_same_everywhere(portable_sqlite, portable_server):
    """Newest first, ties by id (highest first), a row without a send time last."""
    expected = load_email_log(portable_sqlite, 1)
    actual = load_email_log(portable_server[1], 1)
    assert expected["log_id"].tolist() == [4, 2, 1, 5, 3]
    pd.testing.assert_frame_equal(normalised_log(expected), normalised_log(actual))


def test_odd_sqlite_spellings_give_the_typed_answers(tmp_path, fresh_database):
    """Flags as 'S'/'sim'/'t'…, a due date with a time on the last day, unreadable due dates:
    on SQLite the same answers as the typed values on the servers (those unreadable dates are
    NULL there: left out of the population either way, and reported with their id)."""
    odd_url = odd_spellings(portable_erp()).write_sqlite(tmp_path / "odd.sqlite")
    odd = audit_of(odd_url)
    typed_erp = with_null_due_dates(portable_erp())
    references = [audit_of(typed_erp.write_sqlite(tmp_path / "typed.sqlite"))]
    for kind in KINDS:
        server, name = fresh_database(kind)
        references.append(audit_of(typed_erp.write(server.url(name))))
    unreadable = {str(i) for i in UNREADABLE}
    for typed in references:
        assert_same_audit(typed, odd, problems=False)
        odd_problems = odd.problems[odd.problems[Problem.ID].astype(str).isin(unreadable)]
        typed_problems = typed.problems[typed.problems[Problem.ID].astype(str).isin(unreadable)]
        assert set(odd_problems[Problem.ID].astype(str)) == unreadable
        assert set(typed_problems[Problem.ID].astype(str)) == unreadable
        keys = [Problem.KIND, Problem.TABLE, Problem.ID]
        rest = ~odd.problems[Problem.ID].astype(str).isin(unreadable)
        rest_typed = ~typed.problems[Problem.ID].astype(str).isin(unreadable)
        pd.testing.assert_frame_equal(_sorted(typed.problems[rest_typed], keys),
                                      _sorted(odd.problems[rest], keys))


# Read-only ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def select_only(demo_server) -> Iterator[str]:
    """A user that may only SELECT, on the demo database (the README's recipe): its URL."""
    server, url = demo_server
    database = sa.make_url(url).database
    password = "Leitura#2024"
    user = server.create_user(password=password)
    server.grant_select_only(database, user)
    yield server.url(database, username=user, password=password)
    server.drop_user(user)


def test_audit_as_a_select_only_user(demo_sqlite, demo_server, select_only):
    assert_same_audit(audit_of(demo_sqlite), audit_of(select_only))
    pd.testing.assert_frame_equal(cli_frame(demo_sqlite, "customer"),
                                  cli_frame(select_only, "customer"))


SENDER_COLUMNS = ("id_remetente_email, descricao, host, porta, seguranca, usuario, "
                  "email_origem, intervalo_segundos, padrao, ativo")


def test_audit_with_column_grants_on_the_senders(portable_sqlite, portable_server):
    """The README's tighter recipe: on remetente_email (where a real ERP keeps the SMTP
    password) only the columns senders.sql reads."""
    server, url = portable_server
    database = sa.make_url(url).database
    user = server.create_user(password="Col-9x")
    try:
        tables = [t for t in COLUMNS if t != "remetente_email"]
        if server.kind == "postgresql":
            server.execute(f"GRANT CONNECT ON DATABASE {database} TO {user}")
            server.execute(f"GRANT USAGE ON SCHEMA public TO {user}",
                           f"GRANT SELECT ON {', '.join(tables)} TO {user}",
                           f"GRANT SELECT ({SENDER_COLUMNS}) ON remetente_email TO {user}",
                           database=database)
        else:
            server.execute(*(f"GRANT SELECT ON {database}.{t} TO '{user}'@'%'" for t in tables))
            server.execute(f"GRANT SELECT ({SENDER_COLUMNS}) ON {database}.remetente_email "
                           f"TO '{user}'@'%'")
        restricted = server.url(database, username=user, password="Col-9x")
        assert_same_audit(audit_of(portable_sqlite), audit_of(restricted))
    finally:
        server.drop_user(user)


def test_select_only_user_really_cannot_write(select_only):
    """The grant is what the README says: the user itself has no write right (without
    Carteiro's read-only session)."""
    engine = sa.create_engine(select_only, poolclass=sa.NullPool)
    try:
        with pytest.raises(sa.exc.DBAPIError) as caught, engine.begin() as conn:
            conn.execute(sa.text("UPDATE rotina SET ativo = NULL"))
        assert "denied" in str(caught.value).lower()
    finally:
        engine.dispose()


WRITES = [
    "INSERT INTO rotina (id_rotina, tipo, horario, ativo) VALUES (99, 'x', '00:00', NULL)",
    "UPDATE rotina SET ativo = NULL",
    "DELETE FROM fatura",
    "CREATE TABLE carteiro_estado (id INTEGER)",
    "DROP TABLE email_enviado",
]


@pytest.mark.parametrize("statement", WRITES, ids=lambda s: s.split()[0].lower())
def test_carteiro_session_refuses_writes_even_as_admin(portable_server, statement):
    """postgres / root may write; through make_engine they cannot: the session is read-only."""
    server, url = portable_server
    before = table_counts(url)
    engine = make_engine(url)
    try:
        with pytest.raises(sa.exc.DBAPIError) as caught, engine.connect() as conn:
            conn.execute(sa.text(statement))
            conn.commit()
    finally:
        engine.dispose()
    assert "read" in str(caught.value.orig).lower()  # read-only transaction, not a grant
    assert table_counts(url) == before


@pytest.mark.parametrize("statement", WRITES, ids=lambda s: s.split()[0].lower())
def test_carteiro_session_refuses_writes_on_sqlite(portable_sqlite, statement):
    before = table_counts(portable_sqlite)
    engine = make_engine(portable_sqlite)
    try:
        with pytest.raises(sa.exc.DBAPIError) as caught, engine.connect() as conn:
            conn.execute(sa.text(statement))
            conn.commit()
    finally:
        engine.dispose()
    assert "readonly" in str(caught.value.orig)
    assert table_counts(portable_sqlite) == before


def test_postgres_url_options_cannot_switch_read_only_off(fresh_database):
    """A URL's own libpq options (search_path, …) are kept, but not a read-write switch."""
    server, name = fresh_database("postgresql")
    url = Erp.baseline().write(server.url(name))
    engine = make_engine(url + "?options=-cdefault_transaction_read_only%3Doff"
                               "%20-capplication_name%3Dcarteiro_teste")
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW default_transaction_read_only")).scalar() == "on"
            assert conn.execute(sa.text("SHOW application_name")).scalar() == "carteiro_teste"
            assert conn.execute(sa.text("SHOW DateStyle")).scalar().startswith("ISO")
    finally:
        engine.dispose()


def test_postgres_schema_through_search_path(fresh_database, portable_sqlite):
    """An ERP in its own schema: ``?options=-csearch_path%3Derp`` in the URL is honoured."""
    server, name = fresh_database("postgresql")
    server.execute("CREATE SCHEMA erp", database=name)
    portable_erp().write(server.url(name) + "?options=-csearch_path%3Derp")
    url = server.url(name) + "?options=-csearch_path%3Derp"
    assert_same_audit(audit_of(portable_sqlite), audit_of(url))


def test_postgres_datestyle_of_the_server_does_not_matter(fresh_database, portable_sqlite):
    """A server whose DateStyle prints 10/03/2024 (e.g. 'SQL, DMY'): Carteiro's session
    uses ISO, so invoices.sql's text check of due dates still works (only the period's
    invoices and the unreadable ones come back)."""
    server, name = fresh_database("postgresql")
    url = portable_erp().write(server.url(name))
    server.execute(f"ALTER DATABASE {name} SET DateStyle = 'SQL, DMY'")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW DateStyle")).scalar().startswith("ISO")
            assert conn.execute(sa.text(
                "SELECT CAST(data_vencimento AS CHAR(30)) FROM fatura WHERE id_fatura = 1001"
            )).scalar().strip() == "2024-03-10"
    finally:
        engine.dispose()
    assert_same_audit(audit_of(portable_sqlite), audit_of(url))


# Due dates in a text column -------------------------------------------------------------------
# Unreadable due dates that sort outside March 2024 (found by unreadable_due_dates.sql) and
# inside it (returned by invoices.sql's range), a date with a time on the last day, a leading
# space (readable once trimmed), and an ISO date of February.
TEXT_DUE_DATES = {4001: "31/03/2024", 4002: "lixo", 4003: "2024-13-45", 4004: "2024-02-30",
                  4005: "2024-03-32", 4006: "2024-03-31 23:59:59", 4007: " 2024-03-10",
                  4008: "2024-02-15", 4009: "", 4010: "0000-00-00"}
TEXT_COLUMN = {"postgresql": "ALTER TABLE fatura ALTER COLUMN data_vencimento TYPE TEXT",
               "mariadb": "ALTER TABLE fatura MODIFY data_vencimento VARCHAR(30)"}


def text_due_date_erp() -> Erp:
    erp = portable_erp()
    for invoice_id, text in TEXT_DUE_DATES.items():
        erp.add("fatura", id_fatura=invoice_id, id_cliente=1, id_cliente_servico=101,
                id_forma_cobranca=1, data_vencimento=text, valor=1, status="aberto")
    return erp


@pytest.mark.parametrize("kind", KINDS)
def test_due_dates_in_a_text_column_are_read_and_reported(kind, tmp_path, fresh_database):
    """A provider whose fatura.data_vencimento is TEXT/VARCHAR (with the index on it): the
    period is still selected by comparing text, and the unreadable due dates outside the
    period are still found and reported — the same audit as the same text on SQLite."""
    erp = text_due_date_erp()
    sqlite = erp.write_sqlite(tmp_path / "text.sqlite")
    expected = {period: audit_of(sqlite, period) for period in PERIODS}
    server, name = fresh_database(kind)
    url = portable_erp().write(server.url(name))
    rows = ", ".join(f"({i}, 1, 101, 1, '{text}', 1, 'aberto')"
                     for i, text in TEXT_DUE_DATES.items())
    server.execute(TEXT_COLUMN[kind],
                   "CREATE INDEX ix_fatura_vencimento ON fatura (data_vencimento)",
                   "INSERT INTO fatura (id_fatura, id_cliente, id_cliente_servico, "
                   f"id_forma_cobranca, data_vencimento, valor, status) VALUES {rows}",
                   database=name)
    for period in PERIODS:
        actual = audit_of(url, period)
        assert_same_audit(expected[period], actual)
        unreadable = actual.problems[actual.problems[Problem.KIND] == "unreadable_date"]
        assert {"4001", "4002", "4003", "4004", "4005", "4010"} <= set(
            unreadable[Problem.ID].astype(str)), period
    march = expected[MARCH].invoices[Invoice.ID]
    assert {4006, 4007} <= set(march) and 4008 not in set(march)


def test_mariadb_zero_and_partial_dates_are_reported(fresh_database):
    """MariaDB (without NO_ZERO_DATE / NO_ZERO_IN_DATE) stores '0000-00-00' and '2024-03-00':
    invoices.sql returns them as unreadable, whatever the period."""
    server, name = fresh_database("mariadb")
    url = Erp.baseline().write(server.url(name))
    server.execute(
        "SET SESSION sql_mode = ''",
        "INSERT INTO fatura (id_fatura, id_cliente, data_vencimento, status) VALUES "
        "(7001, 1, '0000-00-00', 'aberto'), (7002, 1, '2024-03-00', 'aberto'), "
        "(7003, 1, '2024-00-10', 'aberto')",
        database=name,
    )
    audit = audit_of(url, Period(dt.date(2024, 6, 1), dt.date(2024, 6, 30)))
    reported = set(audit.problems[Problem.ID].astype(str))
    assert {"7001", "7002", "7003"} <= reported


def test_nothing_is_written_to_the_erp_by_an_audit(portable_server, tmp_path):
    """The CLI audit (state store included) leaves the ERP database as it was."""
    server, url = portable_server
    before = table_counts(url)
    state = tmp_path / "state.sqlite"
    cli_frame(url, "invoice", env={"CARTEIRO_STATE_DB": str(state)})
    assert table_counts(url) == before
    assert set(before) == set(COLUMNS)


# Where the URL comes from ------------------------------------------------------------------------
def test_database_url_from_the_environment(portable_sqlite, portable_server):
    server, url = portable_server
    from_env = cli_frame("", "invoice", env={"CARTEIRO_DB_URL": url})
    pd.testing.assert_frame_equal(cli_frame(portable_sqlite, "invoice"), from_env)


def test_mariadb_dialect_name_in_the_url(portable_sqlite, fresh_database):
    """``mariadb+pymysql://`` (SQLAlchemy's MariaDB dialect) works like ``mysql+pymysql://``."""
    server, name = fresh_database("mariadb")
    url = portable_erp().write(server.url(name)).replace("mysql+pymysql", "mariadb+pymysql", 1)
    assert_same_audit(audit_of(portable_sqlite), audit_of(url))


@pytest.fixture(scope="module")
def password_user(portable_server) -> Iterator[tuple[servers.Server, str, str, str]]:
    """A SELECT-only user whose password needs escaping in a URL, that the server checks
    (PostgreSQL: through a temporary pg_hba.conf line)."""
    server, url = portable_server
    database = sa.make_url(url).database
    password = "p@ss:w/rd#1%?"
    user = server.create_user(password=password)
    server.grant_select_only(database, user)
    if server.kind == "postgresql":
        with servers.pg_password_auth(server, user):
            yield server, database, user, password
    else:
        yield server, database, user, password
    server.drop_user(user)


def _secrets(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "secrets.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_secrets_toml_in_parts(portable_sqlite, password_user, tmp_path, monkeypatch):
    """``[connections.erp]`` as dialect/driver/host/port/database/username/password, the shape
    ``st.connection(..., type="sql")`` reads, with a password full of URL characters."""
    monkeypatch.delenv("CARTEIRO_DB_URL", raising=False)
    server, database, user, password = password_user
    dialect, driver = (("postgresql", "psycopg") if server.kind == "postgresql"
                       else ("mysql", "pymysql"))
    admin = server.admin_url
    secrets = _secrets(tmp_path, (
        f'[connections.erp]\ndialect = "{dialect}"\ndriver = "{driver}"\n'
        f'host = "{admin.host}"\nport = {admin.port}\ndatabase = "{database}"\n'
        f'username = "{user}"\npassword = "{password}"\n'))
    source = resolve_source(None, secrets)
    assert source.origin == "secrets.toml"
    assert password not in source.display
    assert sa.make_url(source.url).password == password
    assert_same_audit(audit_of(portable_sqlite), audit_of(source.url))


def test_secrets_toml_url_and_wrong_password(password_user, tmp_path, monkeypatch):
    monkeypatch.delenv("CARTEIRO_DB_URL", raising=False)
    server, database, user, _password = password_user
    wrong = server.url(database, username=user, password="errada")
    secrets = _secrets(tmp_path, f'[connections.erp]\nurl = "{wrong}"\n')
    source = resolve_source(None, secrets)
    assert source.url == wrong
    with pytest.raises(DataSourceError, match="usuário ou senha recusados") as caught:
        load_data(source.url, MARCH)
    assert "errada" not in str(caught.value)


def test_environment_wins_over_secrets(portable_server, tmp_path, monkeypatch):
    server, url = portable_server
    secrets = _secrets(tmp_path, '[connections.erp]\nurl = "sqlite:///nao/existe.sqlite"\n')
    monkeypatch.setenv("CARTEIRO_DB_URL", url)
    assert resolve_source(None, secrets).url == url
    assert resolve_source("sqlite:///argumento.sqlite", secrets).url == "sqlite:///argumento.sqlite"


def test_parts_without_driver_use_the_installed_driver(portable_sqlite, portable_server):
    """``dialect = "mysql"`` / ``"postgresql"`` alone (as Streamlit's examples write it) means
    SQLAlchemy's default driver, which Carteiro does not install: the installed one is used."""
    server, url = portable_server
    parsed = sa.make_url(url)
    settings = {"dialect": parsed.get_backend_name(), "host": parsed.host, "port": parsed.port,
                "database": parsed.database, "username": parsed.username}
    plain = url_from_connection_settings(settings)
    assert "+" not in plain.split("://")[0]
    assert_same_audit(audit_of(portable_sqlite), audit_of(plain))

"""The fast (Arrow-native, ADBC) reader gives what the SQLAlchemy reader gives.

``carteiro.load`` reads SQLite files (and PostgreSQL) through ADBC and everything else through
``pandas.read_sql`` over SQLAlchemy (``CARTEIRO_READER=sqlalchemy`` forces that reference path).
Here both readers load the same databases and are compared column by column, dtype by dtype:

* the raw frames — equal, dtypes included, except the one intended difference documented in
  ``carteiro.load``: a SQLite column that mixes text with numbers is text on the fast reader
  (``'1'``, ``'S'``) and Python objects of mixed types on the reference one
  (:func:`assert_raw_equivalent`);
* the normalised tables (every frame of ``ErpData``, the problems included) — identical;
* the engine's results (invoices, customers, alerts) and the CLI's CSV — identical.

Databases: a small seeded demo (2,000 customers × 3 months) and an odd ERP built with
``tests/erp_builder.py`` whose columns change type after the first thousand rows (flags as
1/0 then ``'S'``/``'sim'``/``'talvez'``, ISO dates then ``'lixo'``, datetimes, a number;
integer then real amounts; text ids; nulls), which is what trips Arrow type inference that
looks only at a first batch. It also checks the positional parameters, the choice of reader,
read-only access, the SQLite timeout, PostgreSQL when its server is there, and the e-mail
fast paths against ``email-validator``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import sqlite3
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from carteiro import demo
from carteiro.erp import source as config
from carteiro.erp.connect import make_engine
from carteiro.erp.dataset import ErpData, RawTables, normalise_reference
from carteiro.erp.emails import field_validity, library_accepts, validate_addresses
from carteiro.erp.load import load_data, read_invoices
from carteiro.erp.queries import positional_sql
from carteiro.erp.readers import (
    ADBC_POSTGRESQL,
    ADBC_SQLITE,
    CONNECTORX_MYSQL,
    READER_ENV,
    SQLALCHEMY,
    read_query,
    reader_for,
)
from carteiro.errors import DataSourceError
from carteiro.period import Period
from carteiro.rules.engine import evaluate
from tests import servers
from tests.cli_helpers import carteiro
from tests.erp_builder import Erp

ADBC_POSTGRESQL_INSTALLED = importlib.util.find_spec("adbc_driver_postgresql") is not None
CONNECTORX_INSTALLED = importlib.util.find_spec("connectorx") is not None
MARCH = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31))
DEMO_PERIOD = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31))
ODD_CUSTOMERS = 1_500  # more than a first batch of 1,024 rows
SWITCH = 1_100  # from this customer on, the columns change type


# Databases --------------------------------------------------------------------------------------
def odd_erp() -> Erp:
    """An ERP whose columns hold one type in their first thousand rows and others after."""
    erp = Erp.baseline()
    odd_true, odd_false = ["S", "sim", "t", "TRUE", "Yes"], ["N", "não", "f", "false", "no"]
    odd_due = ["lixo", "2024-03-31 23:59:59", "2024-03-05T10:30:00-03:00", 20240310,
               "31/03/2024", "2024-02-30", None, "2024-13-01", "", "2024-03-15"]
    emails = ["a@gmail.com; b@@gmail.com", "  joão@provedor.com.br ", '"a b"@x.com',
              "maria souza@gmail.com", "x@gmail..com", "ok@uol.com.br", None, "lixo",
              "A@GMAIL.COM", "a@foo.test"]
    for cid in range(2, ODD_CUSTOMERS + 1):
        late = cid >= SWITCH
        k = cid % 10
        erp.customer(
            cid,
            email=emails[k] if late else "cliente{cid}@gmail.com",
            allows=(odd_true + odd_false + ["talvez"])[cid % 11] if late else cid % 7 != 0,
            service_status=(1, 2, 3, 5, 99)[cid % 5] if late else 1,
            method=(1, None, 7, 1)[cid % 4] if late else 1,
            due=odd_due[k] if late else f"2024-03-{cid % 28 + 1:02d}",
            status=("Pago", "aberto", None, "talvez", "Cancelada ")[cid % 5] if late
            else ("aberto" if cid % 3 else "pago"),
            paid=("2024-03-02", "ontem", None, "2024-03-20 18:00:00")[cid % 4] if late
            else ("2024-03-01" if cid % 3 == 0 else None),
            notice=("Somente SMS", None, "nenhum", "somente_e_mail")[cid % 4] if late else None,
            amount=99.9 + cid / 100 if late else 100,  # integers first, then reals
        )
        if late and cid % 9 == 0:
            erp.add("cliente_contato", id_cliente_contato=cid, id_cliente=cid,
                    nome=f"Contato {cid}", email=f"contato{cid}@empresa.com.br",
                    permite_enviar_email="sim")
        if late and cid % 50 == 0:
            erp.add("cliente_contato", id_cliente_contato=90_000 + cid, id_cliente=f"x{cid}",
                    nome="id de cliente em texto", email="t@t.com", permite_enviar_email=1)
    erp.add("forma_cobranca_regra_email", id_regra_email=9, id_forma_cobranca=1, dias="três",
            assunto="dias em texto", ativo=1)
    erp.add("rotina", id_rotina=3, tipo="Envio E-mail Cobrança", horario=None, ativo="sim")
    return erp


@pytest.fixture(scope="module")
def odd_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return odd_erp().write_sqlite(tmp_path_factory.mktemp("odd") / "odd.sqlite")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    demo.generate(f"sqlite:///{path}", customers=2_000, months=3, seed=7,
                  end_month=dt.date(2024, 3, 1), as_of=dt.date(2024, 3, 20))
    return f"sqlite:///{path}"


def read_raw(url: str, period: Period, reader: str, monkeypatch: pytest.MonkeyPatch,
             ) -> RawTables:
    with monkeypatch.context() as patch:
        if reader == SQLALCHEMY:
            patch.setenv(READER_ENV, SQLALCHEMY)
        else:
            patch.delenv(READER_ENV, raising=False)
        engine = make_engine(url)
        try:
            assert reader_for(engine) == reader
            params = period.bind_parameters()
            return RawTables(**{name: read_invoices(engine, params) if name == "invoices"
                                else read_query(engine, name, params)
                                for name in RawTables.names()})
        finally:
            engine.dispose()


def read_data(url: str, period: Period, reader: str, monkeypatch: pytest.MonkeyPatch,
              ) -> ErpData:
    with monkeypatch.context() as patch:
        if reader == SQLALCHEMY:
            patch.setenv(READER_ENV, SQLALCHEMY)
        else:
            patch.delenv(READER_ENV, raising=False)
        return load_data(url, period)


# Comparisons ------------------------------------------------------------------------------------
def _as_text(value: object) -> object:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def assert_raw_equivalent(reference: pd.Series, fast: pd.Series, where: str) -> str:
    """Equal values and dtype, or one of the documented raw differences (returned):

    * ``mixed → text`` — a SQLite column mixing text and numbers is text (ADBC SQLite);
    * ``dates → datetime64`` — a DATE column is ``datetime64`` days, not ``date`` objects;
    * ``flags → boolean`` — a BOOLEAN column with nulls is pandas' ``boolean``, not objects.
    """
    if reference.dtype == fast.dtype:
        pd.testing.assert_series_equal(reference, fast, obj=where)
        return "same"
    assert reference.dtype == object, (
        f"{where}: undocumented dtype difference {reference.dtype} vs {fast.dtype}")
    kinds = {type(v).__name__ for v in reference.dropna()}
    if pd.api.types.is_datetime64_dtype(fast.dtype):
        assert kinds <= {"date"}, f"{where}: not a date column ({kinds})"
        expected = pd.to_datetime(reference).astype(fast.dtype)
        pd.testing.assert_series_equal(expected, fast, check_names=False, obj=where)
        return "dates → datetime64"
    if isinstance(fast.dtype, pd.BooleanDtype):
        assert kinds <= {"bool"} and reference.isna().any(), f"{where}: {kinds}"
        assert reference.tolist() == [None if v is pd.NA else v for v in fast.tolist()], where
        return "flags → boolean"
    assert pd.api.types.is_string_dtype(fast.dtype), (
        f"{where}: undocumented dtype difference {reference.dtype} vs {fast.dtype}")
    assert "str" in kinds and len(kinds) > 1, f"{where}: not a mixed column ({kinds})"
    assert reference.map(_as_text).tolist() == fast.astype(object).map(_as_text).tolist(), where
    return "mixed → text"


def assert_same_data(reference: ErpData, fast: ErpData) -> None:
    for name in reference.__dataclass_fields__:
        pd.testing.assert_frame_equal(getattr(reference, name), getattr(fast, name),
                                      check_dtype=True, check_exact=True, obj=name)


def assert_same_results(reference: ErpData, fast: ErpData, period: Period) -> None:
    left, right = evaluate(reference, period), evaluate(fast, period)
    pd.testing.assert_frame_equal(left.invoices, right.invoices, check_exact=True)
    pd.testing.assert_frame_equal(left.customers, right.customers, check_exact=True)
    pd.testing.assert_frame_equal(left.billing_methods, right.billing_methods, check_exact=True)
    assert left.alerts == right.alerts
    assert left.routine_active == right.routine_active


# The comparisons ---------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["odd", "demo"])
def test_raw_frames_match_column_by_column(which, odd_db, demo_db, monkeypatch):
    url, period = (odd_db, MARCH) if which == "odd" else (demo_db, DEMO_PERIOD)
    reference = read_raw(url, period, SQLALCHEMY, monkeypatch)
    fast = read_raw(url, period, ADBC_SQLITE, monkeypatch)
    differences: dict[str, str] = {}
    for name in RawTables.names():
        left, right = getattr(reference, name), getattr(fast, name)
        assert list(left.columns) == list(right.columns), name
        assert len(left) == len(right), name
        for column in left.columns:
            kind = assert_raw_equivalent(left[column], right[column], f"{name}.{column}")
            if kind != "same":
                differences[f"{name}.{column}"] = kind
    if which == "odd":  # the odd columns are there, and only they differ
        assert differences["recipients.allows_email"] == "mixed → text"
        assert differences["invoices.due_date"] == "mixed → text"
        assert differences["recipients.customer_id"] == "mixed → text"
        assert differences["email_rules.days_offset"] == "mixed → text"
        assert fast.invoices["amount"].dtype == np.float64  # integers, then reals
        assert set(differences) <= {
            "recipients.allows_email", "invoices.due_date", "recipients.customer_id",
            "email_rules.days_offset", "customers.active", "invoices.paid_on",
            "routines.time_of_day", "email_rules.active", "routines.active",
        }, differences
    else:  # the demo: the recipients' flags mix 0/1 with 'S'/'sim' (about 2%)
        assert differences == {"recipients.allows_email": "mixed → text"}


@pytest.mark.parametrize("which", ["odd", "demo"])
def test_normalised_tables_and_results_are_identical(which, odd_db, demo_db, monkeypatch):
    url, period = (odd_db, MARCH) if which == "odd" else (demo_db, DEMO_PERIOD)
    reference = read_data(url, period, SQLALCHEMY, monkeypatch)
    fast = read_data(url, period, ADBC_SQLITE, monkeypatch)
    assert_same_data(reference, fast)
    assert_same_results(reference, fast, period)
    if which == "odd":  # the odd values did reach the engine
        kinds = set(fast.problems["kind"])
        assert {"unreadable_date", "missing_date", "unknown_value", "unknown_id"} <= kinds
        assert fast.invoices["due_date"].notna().all()


def test_normalising_raw_frames_of_either_reader_is_identical(odd_db, monkeypatch):
    """The normalisation on each reader's raw frames."""
    raw = read_raw(odd_db, MARCH, SQLALCHEMY, monkeypatch)
    reference = normalise_reference(raw).with_invoices(raw.invoices, MARCH)
    raw = read_raw(odd_db, MARCH, ADBC_SQLITE, monkeypatch)
    fast = normalise_reference(raw).with_invoices(raw.invoices, MARCH)
    assert_same_data(reference, fast)


@pytest.mark.parametrize("level", ["invoice", "customer"])
def test_cli_csv_is_byte_identical(level, odd_db):
    args = ("audit", "--db", odd_db, "--start", "2024-03-01", "--end", "2024-03-31",
            "--level", level)
    fast = carteiro(*args)
    reference = carteiro(*args, env={READER_ENV: SQLALCHEMY})
    assert fast.returncode == reference.returncode == 0, fast.stderr + reference.stderr
    assert fast.stdout == reference.stdout
    summary = [line for line in fast.stderr.splitlines() if not line.startswith("Tempo")]
    assert summary == [line for line in reference.stderr.splitlines()
                       if not line.startswith("Tempo")]


SERVER_READERS = {"postgresql": ADBC_POSTGRESQL, "mariadb": CONNECTORX_MYSQL}
# Where each server's fast reader differs from pandas.read_sql, by design (see
# assert_raw_equivalent); every other column is equal, dtype included. PostgreSQL's BOOLEAN
# columns with a null are "flags → boolean"; MariaDB's are TINYINT (numbers) on both readers.
DATES = {"invoices.due_date": "dates → datetime64", "invoices.paid_on": "dates → datetime64"}
NULL_FLAGS = {"postgresql": {"recipients.allows_email": "flags → boolean",
                             "senders.active": "flags → boolean",
                             "senders.is_default": "flags → boolean"},
              "mariadb": {}}


def nulls_erp() -> Erp:
    """Nulls and edges in every kind of column (the demo has few)."""
    erp = Erp.baseline().customer(2, due="2024-03-31", paid="2024-03-31", amount=10.25)
    erp.customer(3, service_status=3, allows=None).customer(4, due=None, method=None)
    erp.customer(5, email=None, status=None, notice="somente_sms", name="Zoë O'Brien; \"x\"")
    erp.add("cliente_contato", id_cliente_contato=1, id_cliente=2, nome=None, email=None,
            permite_enviar_email=None)
    erp.add("remetente_email", id_remetente_email=2, descricao="Reserva", host="h", porta=25,
            seguranca="nenhuma", usuario=None, email_origem="x@y.com.br",
            intervalo_segundos=None, padrao=None, ativo=None)
    erp.add("forma_cobranca_status_envio", id_forma_cobranca=1, id_servico_status=1)
    return erp


@pytest.fixture(scope="module", params=list(SERVER_READERS))
def server_erps(request: pytest.FixtureRequest) -> Iterator[tuple[str, list[str]]]:
    """A fresh database on the server with :func:`nulls_erp`, and one with a seeded demo."""
    kind = request.param
    server = servers.server(kind)
    names = [server.create_database(), server.create_database()]
    try:
        urls = [nulls_erp().write(server.url(names[0])), server.url(names[1])]
        demo.generate(urls[1], customers=2_000, months=3, seed=7,
                      end_month=dt.date(2024, 3, 1), as_of=dt.date(2024, 3, 20))
        yield kind, urls
    finally:
        for name in names:
            server.drop_database(name)


def test_server_readers_agree(server_erps, caplog):
    """PostgreSQL (ADBC) and MariaDB (connectorx) against psycopg / PyMySQL through
    ``pandas.read_sql``: raw frames column by column and dtype by dtype (equal, or one of the
    documented differences), normalised tables identical, engine results identical."""
    kind, urls = server_erps
    fast_reader = SERVER_READERS[kind]
    if fast_reader == ADBC_POSTGRESQL and not ADBC_POSTGRESQL_INSTALLED:
        pytest.skip("adbc-driver-postgresql is not installed: PostgreSQL uses SQLAlchemy")
    caplog.set_level(logging.INFO, logger="carteiro.erp.readers")
    mp = pytest.MonkeyPatch()
    try:
        for url in urls:
            reference = read_raw(url, MARCH, SQLALCHEMY, mp)
            fast = read_raw(url, MARCH, fast_reader, mp)
            differences = {}
            for table in RawTables.names():
                left, right = getattr(reference, table), getattr(fast, table)
                assert list(left.columns) == list(right.columns)
                assert len(left) == len(right) and len(left) > 0, table
                for column in left.columns:
                    found = assert_raw_equivalent(left[column], right[column],
                                                  f"{table}.{column}")
                    if found != "same":
                        differences[f"{table}.{column}"] = found
            dates = {k: v for k, v in differences.items() if k in DATES}
            assert dates == DATES
            flags = {k: v for k, v in differences.items() if k not in DATES}
            if url == urls[0]:  # the ERP with nulls in every flag column
                assert flags == NULL_FLAGS[kind]
            else:  # the demo: whichever flag columns have a null
                assert set(flags.values()) <= set(NULL_FLAGS[kind].values())
            slow, quick = read_data(url, MARCH, SQLALCHEMY, mp), read_data(url, MARCH,
                                                                         fast_reader, mp)
            assert_same_data(slow, quick)
            assert_same_results(slow, quick, MARCH)
        assert "could not" not in caplog.text  # the fast reader itself read everything
    finally:
        mp.undo()


@pytest.mark.parametrize("level", ["invoice", "customer"])
def test_server_cli_csv_is_byte_identical(server_erps, level):
    kind, urls = server_erps
    args = ("audit", "--db", urls[1], "--start", "2024-03-01", "--end", "2024-03-31",
            "--level", level)
    fast = carteiro(*args)
    reference = carteiro(*args, env={READER_ENV: SQLALCHEMY})
    assert fast.returncode == reference.returncode == 0, fast.stderr + reference.stderr
    assert fast.stdout == reference.stdout and len(fast.stdout.splitlines()) > 500
    assert fast.stderr.count("\n") == reference.stderr.count("\n")


# When unreadable_due_dates.sql is read ----------------------------------------------------------
@pytest.mark.parametrize(("backend", "due", "needed"), [
    ("sqlite", pd.Series(pd.to_datetime(["2024-03-10"])), True),  # SQLite: any value anywhere
    ("mysql", pd.Series([dt.date(2024, 3, 10)]), True),  # MariaDB: zero dates in DATE columns
    ("mariadb", pd.Series(pd.to_datetime(["2024-03-10"])), True),
    ("postgresql", pd.Series(pd.to_datetime(["2024-03-10", None])), False),  # DATE column
    ("postgresql", pd.Series([dt.date(2024, 3, 10), None], dtype=object), False),
    ("postgresql", pd.Series([dt.datetime(2024, 3, 10, 8)], dtype=object), False),
    ("postgresql", pd.Series(["2024-03-10"], dtype="str"), True),  # TEXT column
    ("postgresql", pd.Series([None], dtype=object), True),  # nothing to tell the type by
    ("postgresql", pd.Series([], dtype=object), True),
])
def test_when_the_unreadable_due_dates_are_looked_for(backend, due, needed):
    from carteiro.erp.load import needs_unreadable_check

    assert needs_unreadable_check(backend, pd.DataFrame({"due_date": due})) is needed
    assert needs_unreadable_check(backend, None) is True


OLD_INVOICES_SQL = """SELECT id_fatura AS invoice_id, id_cliente AS customer_id,
  id_cliente_servico AS service_id, id_forma_cobranca AS method_id,
  data_vencimento AS due_date, valor AS amount, status AS status, data_pagamento AS paid_on
FROM fatura
WHERE (data_vencimento >= :start AND data_vencimento < :end_exclusive)
   OR data_vencimento IS NULL
   OR CAST(data_vencimento AS CHAR(30)) NOT LIKE '____-__-__%'
   OR SUBSTR(CAST(data_vencimento AS CHAR(30)), 6, 2) NOT BETWEEN '01' AND '12'
   OR SUBSTR(CAST(data_vencimento AS CHAR(30)), 9, 2) NOT BETWEEN '01' AND '31'
   OR SUBSTR(CAST(data_vencimento AS CHAR(30)), 6, 5)
      IN ('02-30', '02-31', '04-31', '06-31', '09-31', '11-31')
"""


def test_an_older_queries_folder_still_finds_unreadable_due_dates(odd_db, tmp_path,
                                                                    monkeypatch):
    """A provider's queries folder from before unreadable_due_dates.sql: its invoices.sql
    returns those rows itself, and the same problems are reported."""
    expected = load_data(odd_db, MARCH)
    _queries_with(tmp_path, monkeypatch, "invoices", OLD_INVOICES_SQL)
    for path in (tmp_path / "queries").glob("unreadable_due_dates*.sql"):
        path.unlink()
    older = load_data(odd_db, MARCH)
    unreadable = older.problems[older.problems["kind"] == "unreadable_date"]
    assert len(unreadable) > 10
    keys = ["kind", "table", "id"]
    pd.testing.assert_frame_equal(
        unreadable.sort_values(keys).reset_index(drop=True),
        expected.problems[expected.problems["kind"] == "unreadable_date"]
        .sort_values(keys).reset_index(drop=True))


# MariaDB through connectorx: session, timeout, errors, parameters, zero dates -------------------
@pytest.fixture(scope="module")
def mariadb_url() -> Iterator[str]:
    """:func:`nulls_erp` on a fresh MariaDB database, plus zero dates (MariaDB keeps them
    unless sql_mode forbids): a payment date in the period and a due date outside it."""
    if not CONNECTORX_INSTALLED:
        pytest.skip("connectorx is not installed: MariaDB uses SQLAlchemy")
    server = servers.mariadb()
    name = server.create_database()
    try:
        url = nulls_erp().write(server.url(name))
        server.execute(
            "SET SESSION sql_mode = ''",
            "INSERT INTO fatura (id_fatura, id_cliente, id_cliente_servico, id_forma_cobranca,"
            " data_vencimento, valor, status, data_pagamento) VALUES"
            " (7001, 1, 101, 1, '2024-03-20', 10, 'pago', '0000-00-00'),"
            " (7002, 1, 101, 1, '0000-00-00', 10, 'aberto', NULL)",
            database=name)
        yield url
    finally:
        server.drop_database(name)


def _queries_with(tmp_path, monkeypatch, name: str, sql: str) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    for path in config.queries_dir().glob("*.sql"):
        (queries / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (queries / f"{name}.sql").write_text(sql, encoding="utf-8")
    for copy in queries.glob(f"{name}.*.sql"):  # a dialect's copy would win over this one
        copy.unlink()
    monkeypatch.setenv("CARTEIRO_QUERIES_DIR", str(queries))


def test_connectorx_session_is_read_only_with_the_timeout(mariadb_url, monkeypatch):
    from carteiro.erp.mysql_reader import read_arrow

    monkeypatch.setenv("CARTEIRO_STATEMENT_TIMEOUT", "7.5")
    engine = make_engine(mariadb_url)
    try:
        with engine.connect():
            pass  # the dialect learns the server (MariaDB)
        table = read_arrow(engine, "SELECT @@session.tx_read_only AS ro, "
                                   "@@session.max_statement_time AS t FROM DUAL", {})
    finally:
        engine.dispose()
    assert table.column("ro").to_pylist() == [1]
    assert table.column("t").to_pylist() == [7.5]


def test_connectorx_timeout_is_explained(mariadb_url, tmp_path, monkeypatch):
    monkeypatch.delenv(READER_ENV, raising=False)
    _queries_with(tmp_path, monkeypatch, "customers",
                  "SELECT id_cliente AS customer_id, nome_razaosocial AS name, cpf_cnpj AS "
                  "document, cidade AS city, ativo AS active FROM cliente WHERE SLEEP(5) = 0")
    monkeypatch.setenv("CARTEIRO_STATEMENT_TIMEOUT", "1")
    # The message says the time limit stopped it; how fast is measured in
    # bench/statement_timeout.py (no wall-clock assert on a shared machine).
    with pytest.raises(DataSourceError, match="queries/customers.sql passou do tempo limite"):
        load_data(mariadb_url, MARCH)


def test_connectorx_errors_are_the_drivers_own(mariadb_url, tmp_path, monkeypatch):
    """A query connectorx cannot run is run through SQLAlchemy, so it fails with PyMySQL's
    error, explained in the same line as on the reference reader."""
    _queries_with(tmp_path, monkeypatch, "services",
                  "SELECT id AS service_id, 1 AS customer_id, 1 AS status_id, 'x' AS plan, "
                  "NULL AS billing_notice FROM nao_existe")
    messages = []
    for reader in (CONNECTORX_MYSQL, SQLALCHEMY):
        if reader == SQLALCHEMY:
            monkeypatch.setenv(READER_ENV, SQLALCHEMY)
        with pytest.raises(DataSourceError) as caught:
            load_data(mariadb_url, MARCH)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "a tabela nao_existe usada em queries/services.sql não existe" in messages[0]


@pytest.mark.parametrize("hostile", ["1 OR 1=1", "1' OR '1'='1", "1); DROP TABLE fatura; --"])
def test_connectorx_parameters_are_escaped_by_the_driver(mariadb_url, hostile, monkeypatch):
    """A value that would be SQL if formatted in stays a value (MariaDB compares it with the
    integer column as the number it starts with: customer 1's rows, on both readers)."""
    from carteiro.erp.load import load_email_log

    monkeypatch.delenv(READER_ENV, raising=False)
    engine = make_engine(mariadb_url)
    try:
        fast = read_query(engine, "email_log", {"customer_id": hostile})
        monkeypatch.setenv(READER_ENV, SQLALCHEMY)
        reference = read_query(engine, "email_log", {"customer_id": hostile})
    finally:
        engine.dispose()
    assert fast["log_id"].tolist() == reference["log_id"].tolist()
    assert set(fast["customer_id"]) <= {1}
    assert len(load_email_log(mariadb_url, 2)) == 0  # and the tables are still there


def test_connectorx_zero_dates_fall_back_quietly(mariadb_url):
    """connectorx panics on a zero date: the query is read through SQLAlchemy, the CSV is the
    reference reader's, and Rust's panic report stays off standard error."""
    args = ("audit", "--db", mariadb_url, "--start", "2024-03-01", "--end", "2024-03-31",
            "--verbose")
    fast = carteiro(*args, env={"RUST_BACKTRACE": "1"})
    reference = carteiro(*args, env={READER_ENV: SQLALCHEMY})
    assert fast.returncode == reference.returncode == 0, fast.stderr
    assert fast.stdout == reference.stdout
    assert "panicked" not in fast.stderr and "RUST_BACKTRACE" not in fast.stderr
    assert "Lendo clientes" in fast.stderr  # other output is kept
    assert "7001" in fast.stdout and "7002" not in fast.stdout  # out of the period
    assert "invoices id 7002: data de vencimento ilegível '0000-00-00'" in fast.stderr


def test_panic_reports_are_removed_and_the_rest_kept():
    from carteiro.erp.mysql_reader import without_panics

    text = (b"antes\n"
            b"thread '<unnamed>' (8628) panicked at /x/mod.rs:122:23:\n"
            b"Could not retrieve `Option<NaiveDate>`\n"
            b"stack backtrace:\n   0: rust_begin_unwind\n             at /x.c:542:18\n"
            b"note: Some details are omitted, run with `RUST_BACKTRACE=full` for more.\n"
            b"Lendo clientes\n"
            b"thread 'x' panicked at src/a.rs:1:2:\nboom\n"
            b"note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"
            b"thread 'y' panicked at src/a.rs:1:2:\nboom2\nstack backtrace:\n   0: a\n"
            b"fim\n")
    assert without_panics(text) == b"antes\nLendo clientes\nfim\n"
    assert without_panics(b"sem panico\n") == b"sem panico\n"


# Parameters, reader choice, read-only, timeout ---------------------------------------------------
def test_named_parameters_become_numbered_placeholders():
    sql = ("SELECT ':start' AS literal, x::date, 'it''s :end' FROM t "
           "WHERE d >= :start AND d < :end_exclusive OR d = :start")
    text, names = positional_sql(sql, "?")
    assert names == ["start", "end_exclusive"]
    assert text == ("SELECT ':start' AS literal, x::date, 'it''s :end' FROM t "
                    "WHERE d >= ?1 AND d < ?2 OR d = ?1")
    assert positional_sql(sql, "$")[0].endswith("d >= $1 AND d < $2 OR d = $1")


def test_parameters_are_bound_not_formatted(tmp_path, monkeypatch):
    """A value that would be SQL if formatted in stays a value."""
    queries = tmp_path / "queries"
    queries.mkdir()
    for path in config.queries_dir().glob("*.sql"):
        (queries / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (queries / "email_log.sql").write_text(
        "SELECT id_email_enviado AS log_id, id_cliente AS customer_id, id_fatura AS invoice_id,"
        " email_destino AS address, tipo_documento AS document_type, data_envio AS sent_at,"
        " enviado AS accepted, mensagem_erro AS error_message, :customer_id AS echoed"
        " FROM email_enviado WHERE id_cliente = :customer_id", encoding="utf-8")
    monkeypatch.setenv("CARTEIRO_QUERIES_DIR", str(queries))
    url = Erp.baseline().write_sqlite(tmp_path / "erp.sqlite")
    engine = make_engine(url)
    try:
        frame = read_query(engine, "email_log", {"customer_id": "1 OR 1=1"})
    finally:
        engine.dispose()
    assert frame.empty  # compared as a value, matched nothing


def test_reader_choice(tmp_path, monkeypatch):
    monkeypatch.delenv(READER_ENV, raising=False)
    url = Erp.baseline().write_sqlite(tmp_path / "erp.sqlite")
    engines = {
        "file": make_engine(url),
        "memory": make_engine("sqlite://"),
        "postgresql": make_engine("postgresql+psycopg://u:p@127.0.0.1:9/erp"),
        "mariadb": make_engine("mysql+pymysql://u:p@127.0.0.1:9/erp"),
    }
    try:
        assert reader_for(engines["file"]) == ADBC_SQLITE
        assert reader_for(engines["memory"]) == SQLALCHEMY
        assert reader_for(engines["postgresql"]) == (
            ADBC_POSTGRESQL if ADBC_POSTGRESQL_INSTALLED else SQLALCHEMY)
        assert reader_for(engines["mariadb"]) == (
            CONNECTORX_MYSQL if CONNECTORX_INSTALLED else SQLALCHEMY)
        monkeypatch.setenv(READER_ENV, SQLALCHEMY)
        assert reader_for(engines["file"]) == SQLALCHEMY
        assert reader_for(engines["postgresql"]) == SQLALCHEMY
    finally:
        for engine in engines.values():
            engine.dispose()


@pytest.mark.parametrize(("url", "reader"), [
    ("mysql+pymysql://u:p@127.0.0.1:9/erp", CONNECTORX_MYSQL),
    ("mariadb+pymysql://u:p@servidor/erp?charset=utf8mb4", CONNECTORX_MYSQL),
    ("mysql+pymysql://u@[::1]:3306/erp", CONNECTORX_MYSQL),
    # what connectorx would not honour the same way: read through SQLAlchemy
    ("mysql+pymysql://u:p@127.0.0.1:9/erp?ssl_ca=/etc/ca.pem", SQLALCHEMY),
    ("mysql+pymysql://u:p@127.0.0.1:9/erp?charset=latin1", SQLALCHEMY),
    ("mysql+pymysql://u:p@/erp?unix_socket=/run/mysqld/mysqld.sock", SQLALCHEMY),
    ("mysql+pymysql://127.0.0.1:9/erp", SQLALCHEMY),  # no user: PyMySQL's default
])
def test_mariadb_reader_choice(url, reader, monkeypatch):
    if not CONNECTORX_INSTALLED:
        pytest.skip("connectorx is not installed: MariaDB uses SQLAlchemy")
    monkeypatch.delenv(READER_ENV, raising=False)
    engine = make_engine(url)
    try:
        assert reader_for(engine) == reader
    finally:
        engine.dispose()


def test_connectorx_uri_encodes_the_password():
    from carteiro.erp.mysql_reader import connectorx_uri

    engine = make_engine("mysql+pymysql://leitor:p%40ss%3Aw%2Frd%231%25%3F@db.local:3307/erp")
    try:
        assert connectorx_uri(engine) == (
            "mysql://leitor:p%40ss%3Aw%2Frd%231%25%3F@db.local:3307/erp")
    finally:
        engine.dispose()


def test_fast_reader_opens_sqlite_read_only(tmp_path, monkeypatch):
    from carteiro.erp.readers import _adbc_connect

    monkeypatch.delenv(READER_ENV, raising=False)
    path = tmp_path / "erp.sqlite"
    url = Erp.baseline().write_sqlite(path)
    before = path.read_bytes()
    engine = make_engine(url)
    connection = _adbc_connect(engine, ADBC_SQLITE)
    try:
        cursor = connection.cursor()
        with pytest.raises(Exception, match="(?i)readonly|read-only|read only"):
            cursor.execute("DELETE FROM fatura")
        cursor.close()
    finally:
        connection.close()
        engine.dispose()
    assert path.read_bytes() == before
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM fatura").fetchone()[0] == 1


def test_sqlite_statement_timeout_on_the_fast_reader(tmp_path, monkeypatch):
    """ADBC cannot interrupt SQLite: the statement is abandoned at the timeout and reported
    like SQLAlchemy's interrupted one."""
    monkeypatch.delenv(READER_ENV, raising=False)
    queries = tmp_path / "queries"
    queries.mkdir()
    for path in config.queries_dir().glob("*.sql"):
        (queries / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (queries / "customers.sql").write_text(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000000)\n"
        "SELECT id_cliente AS customer_id, nome_razaosocial AS name, cpf_cnpj AS document,\n"
        "  cidade AS city, ativo AS active\n"
        "FROM cliente WHERE (SELECT MAX(i) FROM n) > 0", encoding="utf-8")
    monkeypatch.setenv("CARTEIRO_QUERIES_DIR", str(queries))
    monkeypatch.setenv("CARTEIRO_STATEMENT_TIMEOUT", "0.5")
    url = Erp.baseline().write_sqlite(tmp_path / "erp.sqlite")
    # timing: bench/statement_timeout.py
    with pytest.raises(DataSourceError, match="queries/customers.sql passou do tempo limite"):
        load_data(url, MARCH)


# E-mail fast paths -------------------------------------------------------------------------------
CERTAIN_REJECTS = ["maria souza@gmail.com", "ana@@gmail.com", "ana@gmail..com", "a..b@x.com",
                   "a @x.com", "a@ x.com", "a@b@c.com", "a@b.com / c@d.com", "x@y..", "@@a.com"]
NOT_CERTAIN = ['"a b"@x.com', '"a@b"@x.com', "joão silva@x.com", "a@[1.2.3.4]", "a\\ b@x.com",
               "Nome <a@x.com>", "a(b)@x.com", "a.@x.com"]


def test_certain_rejects_agree_with_the_library():
    for address in CERTAIN_REJECTS + NOT_CERTAIN:
        assert validate_addresses(pd.Series([address])).iloc[0] == library_accepts(address), \
            address


plain = st.text(st.sampled_from(list("abz09.-_+@ ")), min_size=1, max_size=14)


@settings(max_examples=500, deadline=None)
@given(local=plain, domain=plain, tld=st.sampled_from(["com", "com.br", "", "c", "test"]))
def test_fast_verdicts_agree_with_the_library_on_spaces_ats_and_dots(local, domain, tld):
    address = f"{local}@{domain}.{tld}" if tld else f"{local}@{domain}"
    assert validate_addresses(pd.Series([address])).iloc[0] == library_accepts(address)


@settings(max_examples=300, deadline=None)
@given(fields=st.lists(st.one_of(st.none(), st.text(st.sampled_from(list("ab@.; ,çx")),
                                                    max_size=16)), max_size=8))
def test_field_validity_is_any_part_valid(fields):
    """field_validity (with its plain-address first pass) against the definition."""
    expected = []
    for field in fields:
        if field is None:
            expected.append(False)
            continue
        parts = [field] if not any(c in field for c in ",;") else \
            field.replace(";", ",").split(",")
        expected.append(any(library_accepts(p.strip()) for p in parts))
    assert field_validity(pd.Series(fields, dtype=object)).tolist() == expected


def test_plain_addresses_of_a_demo_database(demo_db):
    """Every recipient field of the demo, fast verdict against the library."""
    engine = sa.create_engine(demo_db)
    with engine.connect() as connection:
        fields = pd.read_sql("SELECT email FROM cliente_contato UNION ALL "
                             "SELECT email_principal FROM cliente", connection)["email"]
    engine.dispose()
    expected = [
        False if not isinstance(f, str) else any(library_accepts(p.strip()) for p in
                                    (f.replace(";", ",").split(",") if any(c in f for c in ",;")
                                     else [f]))
        for f in fields
    ]
    assert field_validity(fields).tolist() == expected


def test_row_order_of_field_validity_is_kept():
    fields = pd.Series(["a@gmail.com", None, "x; b@uol.com.br", "lixo", " c@d.com.br "],
                       index=[5, 3, 9, 1, 7])
    result = field_validity(fields)
    assert result.index.tolist() == [5, 3, 9, 1, 7]
    assert result.tolist() == [True, False, True, False, True]


def test_database_path_with_odd_characters(tmp_path, monkeypatch):
    """The fast reader opens the engine's own (percent-encoded) read-only URI."""
    monkeypatch.delenv(READER_ENV, raising=False)
    folder = tmp_path / "pasta com espaço #1 ?x"
    folder.mkdir()
    url = Erp.baseline().write_sqlite(folder / "erp %20.sqlite")
    data = load_data(url, MARCH)
    assert data.invoices["invoice_id"].tolist() == [1001]


def test_a_missing_file_is_explained_before_reading(tmp_path):
    with pytest.raises(DataSourceError, match="não encontrado"):
        load_data(f"sqlite:///{tmp_path / 'nao_existe.sqlite'}", MARCH)
    assert not (tmp_path / "nao_existe.sqlite").exists()


def test_fast_reader_that_cannot_connect_falls_back_to_sqlalchemy(tmp_path, monkeypatch, caplog):
    import adbc_driver_manager

    import carteiro.erp.readers as readers

    def refuse(*_args: object) -> None:
        raise adbc_driver_manager.OperationalError(
            "IO: [libpq] Failed to connect: boom",
            status_code=adbc_driver_manager.AdbcStatusCode.IO)

    monkeypatch.delenv(READER_ENV, raising=False)
    monkeypatch.setattr(readers, "_adbc_connect", refuse)
    url = Erp.baseline().write_sqlite(tmp_path / "erp.sqlite")
    data = load_data(url, MARCH)
    assert data.invoices["invoice_id"].tolist() == [1001]
    assert "could not connect" in caplog.text

"""The demo ERP database (carteiro.demo) on real databases: SQLite, PostgreSQL and MariaDB.

The PostgreSQL and MariaDB tests create a fresh database ``carteiro_demo_test_<random>`` on the
server and drop it afterwards. They skip when the server is unreachable, unless
``CARTEIRO_REQUIRE_SERVERS=1``, in which case they fail. Server URLs (an account allowed to create
databases): ``CARTEIRO_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) and ``CARTEIRO_TEST_MYSQL_URL``
(default ``mysql+pymysql://root@127.0.0.1:3306/``).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sqlite3
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from carteiro import demo
from carteiro.demo import schema

REQUIRE_SERVERS = os.environ.get("CARTEIRO_REQUIRE_SERVERS") == "1"
POSTGRES_URL = os.environ.get(
    "CARTEIRO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MYSQL_URL = os.environ.get("CARTEIRO_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")

# Small and pinned: the same data on any day.
SMALL: dict[str, Any] = {
    "customers": 300,
    "months": 3,
    "seed": 7,
    "end_month": dt.date(2024, 3, 1),
    "as_of": dt.date(2024, 3, 18),
}

# Column names of docs/erp-schema.md, in order (independent of carteiro.schema on purpose).
ERP_COLUMNS: dict[str, list[str]] = {
    "servico_status": ["id_servico_status", "descricao", "prefixo"],
    "cliente": ["id_cliente", "nome_razaosocial", "cpf_cnpj", "cidade", "email_principal",
                "permite_enviar_email", "ativo"],
    "cliente_contato": ["id_cliente_contato", "id_cliente", "nome", "email",
                        "permite_enviar_email"],
    "cliente_servico": ["id_cliente_servico", "id_cliente", "id_servico_status", "plano",
                        "envio_cobranca"],
    "remetente_email": ["id_remetente_email", "descricao", "host", "porta", "seguranca",
                        "usuario", "email_origem", "intervalo_segundos", "padrao", "ativo"],
    "forma_cobranca": ["id_forma_cobranca", "descricao", "id_remetente_email", "ativo"],
    "forma_cobranca_regra_email": ["id_regra_email", "id_forma_cobranca", "dias", "assunto",
                                   "ativo"],
    "forma_cobranca_status_envio": ["id_forma_cobranca", "id_servico_status"],
    "rotina": ["id_rotina", "tipo", "horario", "ativo"],
    "fatura": ["id_fatura", "id_cliente", "id_cliente_servico", "id_forma_cobranca",
               "data_vencimento", "valor", "status", "data_pagamento"],
    "email_enviado": ["id_email_enviado", "id_cliente", "id_fatura", "email_destino",
                      "tipo_documento", "data_envio", "enviado", "mensagem_erro"],
}
NOT_NULL: dict[str, set[str]] = {
    "servico_status": {"id_servico_status", "descricao", "prefixo"},
    "cliente": {"id_cliente", "nome_razaosocial"},
    "cliente_contato": {"id_cliente_contato", "id_cliente"},
    "cliente_servico": {"id_cliente_servico", "id_cliente", "id_servico_status"},
    "remetente_email": {"id_remetente_email", "descricao", "host", "porta", "seguranca",
                        "email_origem"},
    "forma_cobranca": {"id_forma_cobranca", "descricao"},
    "forma_cobranca_regra_email": {"id_regra_email", "id_forma_cobranca", "dias"},
    "forma_cobranca_status_envio": {"id_forma_cobranca", "id_servico_status"},
    "rotina": {"id_rotina", "tipo"},
    "fatura": {"id_fatura", "id_cliente"},
    "email_enviado": {"id_email_enviado"},
}

_TRUE = {"1", "t", "true", "s", "sim", "y", "yes"}
_FALSE = {"0", "f", "false", "n", "nao", "no"}


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------


def norm(text: object) -> str:
    """Normalised word (domain.md): trimmed, lower case, no accents, spaces/hyphens as '_'."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return plain.strip().lower().replace(" ", "_").replace("-", "_")


def flag(value: object) -> bool | None:
    """A yes/no flag as the ERP may store it; None when null."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, bool | int | float):  # bool, 0/1, 0.0/1.0 (a column with nulls)
        assert value in (0, 1), value
        return bool(value)
    word = norm(value)
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise AssertionError(f"unexpected flag value {value!r}")


def valid_field(field: object) -> bool:
    """domain.md: a field is valid when one of its ,/; separated addresses is valid."""
    if field is None or (isinstance(field, float) and pd.isna(field)):
        return False
    for part in str(field).replace(";", ",").split(","):
        try:
            validate_email(part.strip(), check_deliverability=False)
        except EmailNotValidError:
            continue
        return True
    return False


def order_by(table: str) -> str:
    return ", ".join(ERP_COLUMNS[table][:2] if table == "forma_cobranca_status_envio"
                     else ERP_COLUMNS[table][:1])


def read_table(url: str, table: str) -> pd.DataFrame:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return pd.read_sql(sa.text(f"SELECT * FROM {table} ORDER BY {order_by(table)}"),
                               conn)
    finally:
        engine.dispose()


def normalised(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The same logical values whatever the database returned them as."""
    out = {}
    for col in schema.metadata.tables[table].columns:
        values = frame[col.name].astype(object).where(frame[col.name].notna(), None)
        if isinstance(col.type, sa.Boolean):
            out[col.name] = [flag(v) for v in values]
        elif isinstance(col.type, sa.DateTime):
            out[col.name] = [None if v is None else pd.Timestamp(v).isoformat(sep=" ")
                             for v in values]
        elif isinstance(col.type, sa.Date):
            out[col.name] = [None if v is None else str(v)[:10] for v in values]
        elif isinstance(col.type, sa.Numeric):
            out[col.name] = [None if v is None else round(float(v), 2) for v in values]
        elif isinstance(col.type, sa.Integer):
            out[col.name] = [None if v is None else int(v) for v in values]
        else:
            out[col.name] = [None if v is None else str(v) for v in values]
    return pd.DataFrame(out, dtype=object)


def sqlite_rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    """The raw stored values (types included), in storage order."""
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()


def generate_sqlite(path: Path, **overrides: Any) -> demo.DemoSummary:
    return demo.generate(f"sqlite:///{path}", **{**SMALL, **overrides})


# ------------------------------------------------------------------------------------------
# fixtures
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, demo.DemoSummary]:
    path = tmp_path_factory.mktemp("demo") / "small.sqlite"
    messages: list[str] = []
    summary = generate_sqlite(path, progress=messages.append)
    assert messages and messages[-1].startswith("Concluído")
    return path, summary


def _server_database(admin_url: str) -> Iterator[str]:
    """Create ``carteiro_demo_test_<random>`` on the server; yield its URL; drop it."""
    name = f"carteiro_demo_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
    except sa.exc.OperationalError as err:
        admin.dispose()
        if REQUIRE_SERVERS:
            pytest.fail(f"server unreachable ({admin_url}): {err}")
        pytest.skip(f"server unreachable ({admin_url})")
    try:
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            force = " WITH (FORCE)" if admin.dialect.name == "postgresql" else ""
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}{force}"))
        admin.dispose()


@pytest.fixture(params=["postgresql", "mysql"])
def server_db(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from _server_database(POSTGRES_URL if request.param == "postgresql" else MYSQL_URL)


@pytest.fixture(scope="module")
def current_month_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dt.date]:
    """Enough customers for every signal, with the defaults (ending this month, as of today)."""
    path = tmp_path_factory.mktemp("demo") / "current.sqlite"
    summary = demo.generate(f"sqlite:///{path}", customers=4000, months=2, seed=11)
    assert summary.end_month == dt.date.today().replace(day=1)
    return f"sqlite:///{path}", summary.end_month


# ------------------------------------------------------------------------------------------
# SQLite: shape, counts, determinism
# ------------------------------------------------------------------------------------------


def test_every_erp_table_with_the_documented_columns(small_db: tuple[Path, Any]) -> None:
    path, _ = small_db
    inspector = sa.inspect(sa.create_engine(f"sqlite:///{path}"))
    assert set(ERP_COLUMNS) <= set(inspector.get_table_names())
    for table, expected in ERP_COLUMNS.items():
        columns = inspector.get_columns(table)
        assert [c["name"] for c in columns] == expected, table
        assert {c["name"] for c in columns if not c["nullable"]} >= NOT_NULL[table] - {
            *inspector.get_pk_constraint(table)["constrained_columns"]
        }, table
        pk = inspector.get_pk_constraint(table)["constrained_columns"]
        assert pk == ([] if table == "forma_cobranca_status_envio" else expected[:1]), table
    indexed = {ix["name"] for t in ERP_COLUMNS for ix in inspector.get_indexes(t)}
    assert {"ix_fatura_data_vencimento", "ix_fatura_id_cliente", "ix_cliente_contato_id_cliente",
            "ix_cliente_servico_id_cliente", "ix_email_enviado_id_cliente"} <= indexed


def test_schema_module_matches_the_contract() -> None:
    assert list(schema.metadata.tables) == list(ERP_COLUMNS)
    for table, expected in ERP_COLUMNS.items():
        t = schema.metadata.tables[table]
        assert [c.name for c in t.columns] == expected
        assert {c.name for c in t.columns if not c.nullable} == NOT_NULL[table]
        for c in t.columns:
            if isinstance(c.type, sa.Boolean):
                assert c.type.create_constraint is False


def test_create_and_drop_schema(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    schema.create_schema(engine)
    schema.create_schema(engine)  # idempotent
    assert set(sa.inspect(engine).get_table_names()) == set(ERP_COLUMNS)
    with engine.begin() as conn:  # odd boolean values are storable (no CHECK constraint)
        conn.execute(sa.text("INSERT INTO rotina VALUES (1, 'envio_email_cobranca', '08:00', 'S')"))
        conn.execute(sa.text("INSERT INTO cliente_contato VALUES (1, 1, 'x', 'a@b.com', 'sim')"))
    schema.drop_schema(engine)
    assert sa.inspect(engine).get_table_names() == []
    engine.dispose()


def test_counts_in_the_expected_ratios(small_db: tuple[Path, demo.DemoSummary]) -> None:
    path, summary = small_db
    counts = {t: len(sqlite_rows(path, t)) for t in ERP_COLUMNS}
    assert summary.counts == counts
    n = SMALL["customers"]
    assert counts["cliente"] == n
    assert 1.05 <= counts["cliente_servico"] / n <= 1.2
    assert 1.3 <= counts["cliente_contato"] / n <= 1.75
    services, months = counts["cliente_servico"], SMALL["months"]
    assert 0.85 * services * months <= counts["fatura"] <= services * months
    assert 0 < counts["email_enviado"] < 4 * counts["fatura"] * 2 / months
    assert counts["remetente_email"] == 2
    assert summary.first_month == dt.date(2024, 1, 1)
    assert summary.end_month == dt.date(2024, 3, 1)
    invoices = read_table(f"sqlite:///{path}", "fatura")
    due = pd.to_datetime(invoices["data_vencimento"])
    assert set(due.dt.strftime("%Y-%m")) == {"2024-01", "2024-02", "2024-03"}
    assert set(due.dt.day) <= {5, 10, 15, 20, 25}
    paid = pd.to_datetime(invoices["data_pagamento"])
    assert (paid.dropna() <= pd.Timestamp(SMALL["as_of"])).all()
    future = due > pd.Timestamp(SMALL["as_of"])
    assert future.any()
    assert (paid[future].isna() | (paid[future] <= pd.Timestamp(SMALL["as_of"]))).all()


def test_same_seed_same_rows_other_seed_other_rows(
    small_db: tuple[Path, Any], tmp_path: Path
) -> None:
    path, _ = small_db
    again = tmp_path / "again.sqlite"
    generate_sqlite(again)
    for table in ERP_COLUMNS:
        assert sqlite_rows(again, table) == sqlite_rows(path, table), table
    other = tmp_path / "other.sqlite"
    generate_sqlite(other, seed=8)
    for table in ("cliente", "cliente_contato", "cliente_servico", "fatura", "email_enviado"):
        assert sqlite_rows(other, table) != sqlite_rows(path, table), table


def test_regenerating_replaces_the_tables(small_db: tuple[Path, Any], tmp_path: Path) -> None:
    path, _ = small_db
    target = tmp_path / "twice.sqlite"
    generate_sqlite(target, customers=50)
    generate_sqlite(target)
    for table in ERP_COLUMNS:
        assert sqlite_rows(target, table) == sqlite_rows(path, table), table


def test_without_routine_only_switches_the_email_routine_off(
    small_db: tuple[Path, Any], tmp_path: Path
) -> None:
    path, _ = small_db
    off = tmp_path / "off.sqlite"
    summary = generate_sqlite(off, with_routine=False)
    assert summary.with_routine is False
    for table in ERP_COLUMNS:
        if table != "rotina":
            assert sqlite_rows(off, table) == sqlite_rows(path, table), table
    on_rows, off_rows = sqlite_rows(path, "rotina"), sqlite_rows(off, "rotina")
    assert len(on_rows) == len(off_rows)
    for on_row, off_row in zip(on_rows, off_rows, strict=True):
        if on_row[1] == "envio_email_cobranca":
            assert (flag(on_row[3]), flag(off_row[3])) == (True, False)
            assert on_row[:3] == off_row[:3]
        else:
            assert on_row == off_row
    assert sum(norm(r[1]) == "envio_email_cobranca" for r in on_rows) == 1


def test_sqlite_keeps_some_permissions_as_text(small_db: tuple[Path, Any]) -> None:
    path, _ = small_db
    values = [r[4] for r in sqlite_rows(path, "cliente_contato")]
    values += [r[5] for r in sqlite_rows(path, "cliente")]
    assert any(isinstance(v, str) for v in values)
    assert {flag(v) for v in values} == {True, False, None}


# ------------------------------------------------------------------------------------------
# PostgreSQL and MariaDB: the same rows as SQLite
# ------------------------------------------------------------------------------------------


@pytest.mark.server
def test_server_rows_equal_sqlite_rows(server_db: str, small_db: tuple[Path, Any]) -> None:
    path, sqlite_summary = small_db
    summary = demo.generate(server_db, **SMALL)
    assert summary.counts == sqlite_summary.counts
    engine = sa.create_engine(server_db)
    try:
        inspector = sa.inspect(engine)
        for table, expected in ERP_COLUMNS.items():
            assert [c["name"] for c in inspector.get_columns(table)] == expected
    finally:
        engine.dispose()
    for table in ERP_COLUMNS:
        left = normalised(read_table(f"sqlite:///{path}", table), table)
        right = normalised(read_table(server_db, table), table)
        pd.testing.assert_frame_equal(left, right, obj=table)


@pytest.mark.server
def test_server_regenerate_and_booleans(server_db: str) -> None:
    demo.generate(server_db, **{**SMALL, "customers": 40})
    demo.generate(server_db, **{**SMALL, "customers": 60, "with_routine": False})
    routines = read_table(server_db, "rotina")
    email = routines[routines["tipo"] == "envio_email_cobranca"]
    assert [flag(v) for v in email["ativo"]] == [False]
    assert len(read_table(server_db, "cliente")) == 60
    if sa.make_url(server_db).get_backend_name() == "postgresql":
        contacts = read_table(server_db, "cliente_contato")
        assert {type(v) for v in contacts["permite_enviar_email"].dropna()} == {bool}


# ------------------------------------------------------------------------------------------
# The ERP-level signals behind every condition, in the current month
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def current(current_month_db: tuple[str, dt.date]) -> dict[str, pd.DataFrame]:
    url, month = current_month_db
    tables = {t: read_table(url, t) for t in ERP_COLUMNS}
    inv = tables["fatura"]
    due = pd.to_datetime(inv["data_vencimento"])
    in_month = (due.dt.year == month.year) & (due.dt.month == month.month)
    tables["in_scope"] = inv[in_month & (inv["status"].map(norm) != "cancelado")
                             & ~inv["status"].map(norm).isin({"cancelada"})].copy()
    return tables


def _share(customers: pd.Series, scope: pd.DataFrame) -> float:
    return customers.nunique() / scope["id_cliente"].nunique()


def _assert_realistic(share: float, what: str) -> None:
    assert 0.003 <= share <= 0.12, f"{what}: {share:.2%} of the customers in scope"


def test_current_month_has_invoices_and_a_routine(current: dict[str, pd.DataFrame]) -> None:
    scope = current["in_scope"]
    assert scope["id_cliente"].nunique() > 3000
    routines = current["rotina"]
    billing = routines[routines["tipo"].map(norm) == "envio_email_cobranca"]
    assert [flag(v) for v in billing["ativo"]] == [True]
    assert routines["ativo"].map(flag).isna().any()  # a routine with a null flag


def test_signal_sender_unavailable(current: dict[str, pd.DataFrame]) -> None:
    senders = current["remetente_email"]
    active = senders.set_index("id_remetente_email")["ativo"].map(flag).fillna(False)
    assert active.sum() == 1 and (~active).sum() == 1
    methods = current["forma_cobranca"]
    named = methods.dropna(subset=["id_remetente_email"])
    broken = named[~named["id_remetente_email"].astype(int).map(active).fillna(False)]
    scope = current["in_scope"]
    hit = scope[scope["id_forma_cobranca"].isin(broken["id_forma_cobranca"])]
    _assert_realistic(_share(hit["id_cliente"], scope), "sender_unavailable")


def test_signal_method_without_rules(current: dict[str, pd.DataFrame]) -> None:
    rules = current["forma_cobranca_regra_email"]
    active = rules[rules["ativo"].map(flag).fillna(False).astype(bool)]
    assert rules["ativo"].map(flag).isna().any()  # a rule with a null flag
    assert (rules["ativo"].map(flag) == False).any()  # noqa: E712 (an inactive rule)
    scope = current["in_scope"]
    no_rules = ~scope["id_forma_cobranca"].isin(active["id_forma_cobranca"])
    assert scope["id_forma_cobranca"].isna().any()
    assert scope.loc[no_rules, "id_forma_cobranca"].notna().any()  # a known method, no rules
    _assert_realistic(_share(scope.loc[no_rules, "id_cliente"], scope), "method_without_rules")


def test_signal_invoice_outside_rules(current: dict[str, pd.DataFrame]) -> None:
    rules = current["forma_cobranca_regra_email"]
    active = rules[rules["ativo"].map(flag).fillna(False).astype(bool)]
    first_send = active.groupby("id_forma_cobranca")["dias"].min()
    assert (first_send > 0).any()  # a method that only notifies after the due date
    scope = current["in_scope"]
    offset = scope["id_forma_cobranca"].map(first_send)
    due = pd.to_datetime(scope["data_vencimento"])
    paid = pd.to_datetime(scope["data_pagamento"])
    early = paid < due + pd.to_timedelta(offset, unit="D")
    said_paid = scope["status"].map(norm).isin({"pago", "paga", "quitado"})
    no_date = said_paid & paid.isna() & offset.notna()
    hit = scope[early.fillna(False) | no_date]
    _assert_realistic(_share(hit["id_cliente"], scope), "invoice_outside_rules")


def test_signal_service_missing(current: dict[str, pd.DataFrame]) -> None:
    scope = current["in_scope"]
    known = scope["id_cliente_servico"].isin(current["cliente_servico"]["id_cliente_servico"])
    assert scope["id_cliente_servico"].isna().any()
    assert (scope["id_cliente_servico"].notna() & ~known).any()
    _assert_realistic(_share(scope.loc[~known, "id_cliente"], scope), "service_missing")


def test_signal_service_status_excluded(current: dict[str, pd.DataFrame]) -> None:
    statuses = current["servico_status"]
    prefix = statuses.set_index("id_servico_status")["prefixo"]
    assert (prefix != prefix.map(norm)).any()  # odd-spelled duplicates
    assert prefix.map(norm).duplicated().any()
    selection = current["forma_cobranca_status_envio"]
    explicit = selection.groupby("id_forma_cobranca")["id_servico_status"].agg(
        lambda ids: {norm(prefix[i]) for i in ids}
    )
    assert "suspenso_debito" not in set().union(*explicit)
    services = current["cliente_servico"].set_index("id_cliente_servico")
    scope = current["in_scope"]
    scope = scope[scope["id_cliente_servico"].isin(services.index)]
    status = scope["id_cliente_servico"].map(services["id_servico_status"])
    status_norm = status.map(prefix).map(norm, na_action="ignore")
    allowed = explicit.reindex(scope["id_forma_cobranca"]).to_numpy()
    excluded = [
        (s in {"cancelado", "inativo"}) if not isinstance(a, set) else (s not in a)
        for s, a in zip(status_norm, allowed, strict=True)
    ]
    hit = scope[excluded]
    assert hit["id_forma_cobranca"].isin(explicit.index).any()  # excluded by the selection
    _assert_realistic(_share(hit["id_cliente"], current["in_scope"]), "service_status_excluded")


def test_signal_service_blocks_email(current: dict[str, pd.DataFrame]) -> None:
    services = current["cliente_servico"]
    setting = services["envio_cobranca"].map(norm, na_action="ignore")
    assert setting.isna().mean() > 0.2
    assert (services["envio_cobranca"].dropna() != setting.dropna()).any()  # odd spellings
    blocking = services.loc[setting.isin({"somente_sms", "nenhum"}), "id_cliente_servico"]
    scope = current["in_scope"]
    hit = scope[scope["id_cliente_servico"].isin(blocking)]
    _assert_realistic(_share(hit["id_cliente"], scope), "service_blocks_email")


def _recipients(current: dict[str, pd.DataFrame]) -> pd.DataFrame:
    customers = current["cliente"].rename(columns={"email_principal": "email"})
    frame = pd.concat(
        [customers[["id_cliente", "email", "permite_enviar_email"]],
         current["cliente_contato"][["id_cliente", "email", "permite_enviar_email"]]],
        ignore_index=True,
    )
    frame["allows"] = frame["permite_enviar_email"].map(flag).fillna(False).astype(bool)
    frame["valid"] = frame["email"].map(valid_field)
    return frame


def test_signals_recipients(current: dict[str, pd.DataFrame]) -> None:
    rec = _recipients(current)
    scope = current["in_scope"]
    per_customer = rec.assign(ok=rec["allows"] & rec["valid"]).groupby("id_cliente").agg(
        allows=("allows", "any"), ok=("ok", "any")
    )
    in_scope = per_customer.reindex(scope["id_cliente"].unique()).fillna(False)
    no_allow = in_scope.index[~in_scope["allows"].astype(bool)]
    no_valid = in_scope.index[in_scope["allows"].astype(bool) & ~in_scope["ok"].astype(bool)]
    _assert_realistic(len(no_allow) / len(in_scope), "no_contact_allows_email")
    _assert_realistic(len(no_valid) / len(in_scope), "no_valid_email")
    assert in_scope["ok"].mean() > 0.9

    emails = rec["email"]
    assert emails.isna().any() and (emails == "").any()
    text = emails.dropna()
    assert text.str.contains(r"[,;]").any()  # two addresses in one field
    assert text.isin(["naotem@naotem.com", "sememail@sememail.com.br", "nao possui"]).any()
    invalid = text[(text != "") & ~text.map(valid_field)]
    assert len(invalid) > 0.01 * len(text)
    assert invalid.str.contains("@@").any() and invalid.str.contains(r"\.\.").any()
    domains = set(text.str.extract(r"@([a-z0-9.]+)$")[0].dropna())
    assert {"gmail.com", "hotmail.com", "yahoo.com.br", "conectasul.net.br"} <= domains
    assert rec["permite_enviar_email"].map(flag).isna().any()
    assert (rec["permite_enviar_email"].map(flag) == False).any()  # noqa: E712


def test_customers_look_brazilian(current: dict[str, pd.DataFrame]) -> None:
    customers = current["cliente"]
    docs = customers["cpf_cnpj"].dropna()
    cpf = docs[docs.str.fullmatch(r"\d{3}\.\d{3}\.\d{3}-\d{2}")]
    cnpj = docs[docs.str.fullmatch(r"\d{2}\.\d{3}\.\d{3}/0001-\d{2}")]
    assert len(cpf) > 0.7 * len(docs) and len(cnpj) > 0.05 * len(docs)
    digits = [int(c) for c in cpf.iloc[0] if c.isdigit()]
    dv1 = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) * 10 % 11 % 10
    assert dv1 == digits[9]
    names = customers["nome_razaosocial"]
    assert names[customers["cpf_cnpj"].isin(cnpj)].str.contains(r"(?:LTDA|ME|EIRELI|S/A)$").all()
    assert customers["cidade"].value_counts().index[0] in {"Pouso Alegre", "Varginha"}
    assert 0.9 < customers["ativo"].map(flag).mean() < 1


def test_invoices_and_send_log_look_real(current: dict[str, pd.DataFrame]) -> None:
    inv = current["fatura"]
    words = inv["status"].dropna()
    assert {"aberto", "pago", "cancelado"} <= set(words)
    assert (words != words.map(norm)).any()  # odd spellings exist
    assert words.map(norm).isin({"aberto", "pago", "cancelado"}).mean() > 0.9
    value = inv["valor"].astype(float)
    assert value.between(9, 400).all() and (value == 99.90).any()
    log = current["email_enviado"]
    kinds = log["tipo_documento"].map(norm)
    assert len(log) > 0 and (kinds == "fatura").mean() > 0.9
    assert {"nota_fiscal", "aviso_de_suspensao", "segunda_via"} <= set(kinds)  # other e-mails
    assert (log["tipo_documento"] == "Fatura").any()  # still a billing notice, spelled otherwise
    billing = log[kinds == "fatura"]
    sent = billing["enviado"].map(flag)
    assert 0.9 < sent.mean() < 0.99
    assert sent.isna().any()  # a few outcomes never recorded
    failed = billing.loc[sent == False, "mensagem_erro"]  # noqa: E712
    assert failed.notna().mean() > 0.95 and failed.isna().any()  # a few failures say nothing
    assert failed.str.contains(r"^5\d\d[ -]5\.\d\.\d+ ", regex=True).mean() > 0.5
    assert failed.str.contains("inexistente|tente novamente|recusad|Tempo esgotado").any()
    assert log["id_fatura"].isin(inv["id_fatura"]).all()
    stamps = pd.to_datetime(log["data_envio"])
    assert (stamps.dt.hour >= 8).all()
    assert stamps.max().normalize() <= pd.Timestamp(dt.date.today())


@pytest.mark.parametrize("customers", [1, 5])
def test_tiny_databases(tmp_path: Path, customers: int) -> None:
    summary = generate_sqlite(tmp_path / "tiny.sqlite", customers=customers, months=1)
    assert summary.counts["cliente"] == customers
    assert summary.counts["fatura"] >= 0
    for table in ERP_COLUMNS:
        assert len(sqlite_rows(tmp_path / "tiny.sqlite", table)) == summary.counts[table]

"""SQL → frames: runs ``queries/<name>.sql`` with bound ``:named`` parameters.

Every database is reached through a SQLAlchemy engine (``carteiro.db.make_engine``). The
query text is sent as written, with parameters bound by the driver, never formatted in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from carteiro import config
from carteiro.columns import QUERY_COLUMNS
from carteiro.dataset import ErpData, RawTables, normalise_tables
from carteiro.db import explain, is_driver_error, make_engine
from carteiro.errors import CarteiroError
from carteiro.period import Period

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
Progress = Callable[[str], None]

# What the progress indicator says while each table loads.
LOAD_STEPS: dict[str, str] = {
    "customers": "clientes",
    "recipients": "contatos e e-mails",
    "services": "serviços",
    "service_statuses": "status de serviço",
    "billing_methods": "formas de cobrança",
    "email_rules": "regras de e-mail",
    "send_statuses": "status do serviço para envio",
    "routines": "rotinas",
    "senders": "remetentes",
    "invoices": "faturas do período",
}


def query_text(name: str, directory: Path | None = None) -> str:
    """The query of ``queries/<name>.sql`` without its whole-line ``--`` comments (so a
    comment may mention a ``:parameter`` without SQLAlchemy expecting a value for it)."""
    path = (directory or config.QUERIES_DIR) / f"{name}.sql"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CarteiroError(f"consulta não encontrada: {path}") from None
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def query_parameters(sql: str) -> list[str]:
    """The ``:named`` parameters of a query, in order of first appearance."""
    sql = re.sub(r"'(?:[^']|'')*'", "''", sql)
    seen: dict[str, None] = {}
    for name in _PARAM.findall(sql):
        seen.setdefault(name, None)
    return list(seen)


def bound_statement(sql: str, params: Mapping[str, Any]) -> tuple[sa.TextClause, dict[str, Any]]:
    """The text clause with its parameters typed (dates as DATE), and the values it uses."""
    names = query_parameters(sql)
    missing = [n for n in names if n not in params]
    if missing:
        raise CarteiroError(f"parâmetro(s) sem valor na consulta: {', '.join(missing)}")
    statement = sa.text(sql)
    typed = [
        sa.bindparam(n, type_=sa.Date()) if hasattr(params[n], "isoformat") else sa.bindparam(n)
        for n in names
    ]
    if typed:
        statement = statement.bindparams(*typed)
    return statement, {n: params[n] for n in names}


def check_columns(name: str, frame: pd.DataFrame) -> None:
    absent = [c for c in QUERY_COLUMNS.get(name, ()) if c not in frame.columns]
    if absent:
        raise CarteiroError(
            f"queries/{name}.sql não devolve a(s) coluna(s) {', '.join(absent)}: "
            "renomeie com AS no SELECT"
        )


def read_query(engine: Engine, name: str, params: Mapping[str, Any] | None = None,
               url: str | None = None) -> pd.DataFrame:
    """Run ``queries/<name>.sql`` and return its rows with Carteiro's column names."""
    sql = query_text(name)
    statement, values = bound_statement(sql, params or {})
    try:
        with engine.connect() as connection:
            frame = pd.read_sql(statement, connection, params=values)
    except Exception as err:
        if is_driver_error(err):
            raise explain(err, url or str(engine.url), name) from None
        raise
    frame.columns = [str(c).lower() for c in frame.columns]
    check_columns(name, frame)
    return frame


def load_raw(engine: Engine, period: Period, *, url: str | None = None,
             progress: Progress | None = None) -> RawTables:
    params = period.bind_parameters()
    frames: dict[str, pd.DataFrame] = {}
    for name in RawTables.names():
        if progress:
            progress(f"Lendo {LOAD_STEPS[name]}…")
        frames[name] = read_query(engine, name, params, url=url)
    return RawTables(**frames)


@dataclass(frozen=True)
class Loaded:
    data: ErpData
    url: str


def load_data(url: str, period: Period, progress: Progress | None = None) -> ErpData:
    """Read and normalise every table Carteiro needs for ``period``."""
    engine = make_engine(url)
    try:
        raw = load_raw(engine, period, url=url, progress=progress)
    finally:
        engine.dispose()
    if progress:
        progress("Normalizando dados e validando e-mails…")
    return normalise_tables(raw, period)


def load_email_log(url: str, customer_id: int) -> pd.DataFrame:
    engine = make_engine(url)
    try:
        return read_query(engine, "email_log", {"customer_id": int(customer_id)}, url=url)
    finally:
        engine.dispose()

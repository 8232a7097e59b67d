"""A realistic, Hubsoft-like demo ERP database, generated fast and deterministically.

:func:`generate` writes the tables of ``docs/erp-schema.md`` (see :mod:`carteiro.demo.schema`)
into any database SQLAlchemy reaches (SQLite, PostgreSQL, MariaDB/MySQL): a Brazilian ISP in the
south of Minas Gerais with its customers, contacts, services, billing configuration, monthly
invoices and the log of the billing e-mails it sent.

The data is built so that every condition of ``docs/domain.md`` except ``no_email_routine`` fails
for a small, realistic share of customers in *any* single month (in particular the current month,
the dashboard's default period), while most customers (about 80%) are fully covered. Each part
lives in its own module, with the failures it carries:

- :mod:`~carteiro.demo.configuration`: the ISP's statuses, senders, billing methods, e-mail
  rules, status selection and routines (``sender_unavailable``, ``method_without_rules``, …);
- :mod:`~carteiro.demo.vocabulary`: the names, cities and e-mail domains drawn from;
- :mod:`~carteiro.demo.world`: customers (:mod:`~carteiro.demo.customers`), their recipients
  (:mod:`~carteiro.demo.recipients`, :mod:`~carteiro.demo.addresses`:
  ``no_contact_allows_email``, ``no_valid_email``) and services
  (:mod:`~carteiro.demo.services`: ``service_status_excluded``, ``service_blocks_email``);
- :mod:`~carteiro.demo.invoices`: the monthly invoices (``invoice_outside_rules``,
  ``service_missing``);
- :mod:`~carteiro.demo.email_log`: the send log of the last two months;
- :mod:`~carteiro.demo.loaders`: the bulk load, per dialect, of :class:`~carteiro.demo.rows.Rows`.

Each customer's services, contacts, billing method and due day stay the same across months, so the
months look alike. Invoices are monthly, ``months`` months ending with ``end_month``; payments
happen relative to ``as_of`` (the day the snapshot is taken): nothing is paid after it.

Determinism: the same arguments give byte-identical table contents on the same kind of database.
Every random draw comes from one ``numpy.random.default_rng(seed)`` stream in a fixed order, the
same for every dialect: the world (customers, recipients, services), then each month's invoices,
then the send log. Changing the order of any draw, or adding one before another, changes every
value drawn after it. When ``end_month`` is the current month and ``as_of`` is not given, the
snapshot day is today, so the data changes from one day to the next; pass ``as_of`` to pin it.
The only dialect-dependent value: on SQLite about 2% of the recipients' ``permite_enviar_email``
flags are stored as text (``'S'``, ``'N'``, ``'sim'``, ``'não'``), as some ERPs do; PostgreSQL
and MariaDB get real booleans (the same logical values).
"""

from __future__ import annotations

import calendar
import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from carteiro.demo import schema
from carteiro.demo.configuration import config_rows
from carteiro.demo.email_log import sent_emails
from carteiro.demo.invoices import MonthInvoices, month_invoices
from carteiro.demo.loaders import Loader, loader_for
from carteiro.demo.world import World, build_world

__all__ = [
    "DEFAULT_DEMO_CUSTOMERS",
    "DEFAULT_DEMO_MONTHS",
    "DemoSummary",
    "generate",
]

DEFAULT_DEMO_CUSTOMERS = 10_000
DEFAULT_DEMO_MONTHS = 12

ProgressFn = Callable[[str], None]


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate` wrote."""

    counts: dict[str, int]
    """Rows written per table, in the schema's table order."""
    elapsed_seconds: float
    customers: int
    months: int
    seed: int
    first_month: datetime.date
    end_month: datetime.date
    as_of: datetime.date
    with_routine: bool
    dialect: str = ""

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    def __str__(self) -> str:
        seconds = f"{self.elapsed_seconds:.1f}".replace(".", ",")
        return (
            f"{_fmt_int(self.customers)} clientes × {self.months} meses "
            f"({self.first_month:%m/%Y} a {self.end_month:%m/%Y}), "
            f"{_fmt_int(self.counts.get('fatura', 0))} faturas, "
            f"{_fmt_int(self.total_rows)} linhas em {seconds} s"
        )


def _fmt_int(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _month_start(d: datetime.date, shift: int) -> datetime.date:
    total = d.year * 12 + (d.month - 1) + shift
    return datetime.date(total // 12, total % 12 + 1, 1)


def _snapshot_dates(
    months: int, end_month: datetime.date | None, as_of: datetime.date | None
) -> tuple[datetime.date, datetime.date, datetime.date]:
    """First month, last month and snapshot day (see :func:`generate` for the defaults)."""
    today = datetime.date.today()
    end_month = (end_month or today).replace(day=1)
    last_day = end_month.replace(day=calendar.monthrange(end_month.year, end_month.month)[1])
    if as_of is None:
        as_of = min(max(today, end_month), last_day)
    return _month_start(end_month, -(months - 1)), end_month, as_of


def _write_world(loader: Loader, world: World, with_routine: bool, say: ProgressFn) -> None:
    for rows in config_rows(with_routine):
        loader.write(rows)
    for rows, label in (
        (world.customer_rows(), "clientes"),
        (world.contact_rows(), "contatos"),
        (world.service_rows(), "serviços"),
    ):
        say(f"Gravando {label} ({_fmt_int(len(rows))} linhas)…")
        loader.write(rows)


def _write_invoices(
    loader: Loader,
    rng: np.random.Generator,
    world: World,
    first_month: datetime.date,
    months: int,
    as_of: np.datetime64,
    say: ProgressFn,
) -> list[MonthInvoices]:
    """Draw and write each month's invoices, in month order; return the last two months'."""
    recent: list[MonthInvoices] = []
    next_id = 1
    for m in range(months):
        month = _month_start(first_month, m)
        label = f"{month.month:02d}/{month.year}"
        say(f"Gerando faturas de {label}…")
        inv = month_invoices(rng, world, m, month, as_of, next_id)
        next_id += len(inv.rows)
        say(f"Gravando faturas de {label} ({_fmt_int(len(inv.rows))} linhas)…")
        loader.write(inv.rows)
        if m >= months - 2:
            recent.append(inv)
    return recent


def _write_database(
    engine: Engine,
    rng: np.random.Generator,
    customers: int,
    months: int,
    first_month: datetime.date,
    as_of: datetime.date,
    with_routine: bool,
    say: ProgressFn,
) -> dict[str, int]:
    """Recreate the ERP tables and fill them; return the rows written per table."""
    as_of_np = np.datetime64(as_of, "D")
    say("Criando tabelas…")
    schema.drop_schema(engine)
    with engine.begin() as conn:
        schema.create_tables(conn)

    world = build_world(rng, customers, months, say)
    loader = loader_for(engine)
    try:
        _write_world(loader, world, with_routine, say)
        recent = _write_invoices(loader, rng, world, first_month, months, as_of_np, say)
        say("Gerando histórico de e-mails enviados…")
        sent = sent_emails(rng, world, recent, as_of_np)
        say(f"Gravando e-mails enviados ({_fmt_int(len(sent))} linhas)…")
        loader.write(sent)
        say("Criando índices…")
        loader.create_indexes()
        loader.finish()
    finally:
        loader.close()
    return {name: loader.counts.get(name, 0) for name in schema.TABLE_NAMES}


def generate(
    url: str,
    *,
    customers: int = DEFAULT_DEMO_CUSTOMERS,
    months: int = DEFAULT_DEMO_MONTHS,
    seed: int = 42,
    with_routine: bool = True,
    end_month: datetime.date | None = None,
    as_of: datetime.date | None = None,
    progress: ProgressFn | None = None,
) -> DemoSummary:
    """Write a realistic demo ERP database into ``url`` (drops and recreates the ERP tables).

    ``url`` is a SQLAlchemy URL (``sqlite:///path``, ``postgresql+psycopg://...``,
    ``mysql+pymysql://...``); the database itself must exist (a SQLite file is created).
    Invoices are monthly over ``months`` months ending with ``end_month`` (first day of the last
    month; default: the current month). ``as_of`` is the day the snapshot is taken: no payment
    or e-mail is later than it. Default: today, kept inside ``end_month`` (its first day if
    ``end_month`` is in the future, its last day if it is in the past), so an explicit past
    ``end_month`` is reproducible on any day. ``with_routine=False`` switches the billing e-mail
    routine off (``rotina.ativo``) and changes nothing else. ``progress`` receives pt-BR messages.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if months < 1:
        raise ValueError("months must be at least 1")
    say: ProgressFn = progress or (lambda _msg: None)
    started = time.perf_counter()
    first_month, end_month, as_of = _snapshot_dates(months, end_month, as_of)
    rng = np.random.default_rng(seed)

    engine = create_engine(url)
    try:
        counts = _write_database(
            engine, rng, customers, months, first_month, as_of, with_routine, say
        )
    finally:
        engine.dispose()

    elapsed = time.perf_counter() - started
    summary = DemoSummary(
        counts=counts,
        elapsed_seconds=elapsed,
        customers=customers,
        months=months,
        seed=seed,
        first_month=first_month,
        end_month=end_month,
        as_of=as_of,
        with_routine=with_routine,
        dialect=engine.dialect.name,
    )
    seconds = f"{elapsed:.1f}".replace(".", ",")
    say(f"Concluído: {_fmt_int(summary.total_rows)} linhas em {seconds} s.")
    return summary

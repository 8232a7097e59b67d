"""A realistic, Hubsoft-like demo ERP database, generated fast and deterministically.

:func:`generate` writes the tables of ``docs/erp-schema.md`` (see :mod:`carteiro.schema`) into any
database SQLAlchemy reaches (SQLite, PostgreSQL, MariaDB/MySQL): a Brazilian ISP in the south of
Minas Gerais with its customers, contacts, services, billing configuration, monthly invoices and
the log of the billing e-mails it sent.

The data is built so that every condition of ``docs/domain.md`` except ``no_email_routine`` fails
for a small, realistic share of customers in *any* single month (in particular the current month,
the dashboard's default period), while most customers (about 80%) are fully covered:

- ``sender_unavailable``: "Carnê" names the sender "Gmail (antigo)", which is inactive.
- ``method_without_rules``: "Débito Automático" has no e-mail rule; a few invoices have no method.
- ``invoice_outside_rules``: "Cartão de Crédito" only notifies 2 days after the due date, and card
  charges happen about a week before it; some customers pay boletos/PIX long before the first
  notice; a handful of invoices say ``pago`` without a payment date.
- ``service_missing``: some invoices name no service, or a service id that does not exist.
- ``service_status_excluded``: cancelled/inactive services still billed (also through the
  odd-spelled duplicate status ``'Cancelado '``), and debt-suspended services billed through
  "Boleto Sicredi", whose «Status do Serviço para Envio» selection leaves ``suspenso_debito`` out.
- ``service_blocks_email``: services whose ``envio_cobranca`` is ``somente_sms``/``nenhum``
  (also spelled ``'Somente SMS'``).
- ``no_contact_allows_email`` / ``no_valid_email``: customers whose recipients all refuse billing
  e-mail, or whose only consenting recipients have empty, placeholder-like or malformed addresses.

Each customer's services, contacts, billing method and due day stay the same across months, so the
months look alike. Invoices are monthly, ``months`` months ending with ``end_month``; payments
happen relative to ``as_of`` (the day the snapshot is taken): nothing is paid after it.

Determinism: the same arguments give byte-identical table contents on the same kind of database.
Every random draw comes from one ``numpy.random.default_rng(seed)`` stream in a fixed order, the
same for every dialect. When ``end_month`` is the current month and ``as_of`` is not given, the
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

from carteiro.demo import schema
from carteiro.demo.configuration import config_rows
from carteiro.demo.email_log import sent_emails
from carteiro.demo.invoices import MonthInvoices, month_invoices
from carteiro.demo.loaders import loader_for
from carteiro.demo.world import build_world

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
    today = datetime.date.today()
    end_month = (end_month or today).replace(day=1)
    last_day = end_month.replace(day=calendar.monthrange(end_month.year, end_month.month)[1])
    if as_of is None:
        as_of = min(max(today, end_month), last_day)
    first_month = _month_start(end_month, -(months - 1))
    as_of_np = np.datetime64(as_of, "D")
    rng = np.random.default_rng(seed)

    engine = create_engine(url)
    try:
        say("Criando tabelas…")
        schema.drop_schema(engine)
        with engine.begin() as conn:
            schema.create_tables(conn)

        world = build_world(rng, customers, months, say)
        loader = loader_for(engine)
        try:
            for rows in config_rows(with_routine):
                loader.write(rows)
            for rows, label in (
                (world.customer_rows(), "clientes"),
                (world.contact_rows(), "contatos"),
                (world.service_rows(), "serviços"),
            ):
                say(f"Gravando {label} ({_fmt_int(len(rows))} linhas)…")
                loader.write(rows)

            recent: list[MonthInvoices] = []
            next_id = 1
            for m in range(months):
                month = _month_start(first_month, m)
                label = f"{month.month:02d}/{month.year}"
                say(f"Gerando faturas de {label}…")
                inv = month_invoices(rng, world, m, month, as_of_np, next_id)
                next_id += len(inv.rows)
                say(f"Gravando faturas de {label} ({_fmt_int(len(inv.rows))} linhas)…")
                loader.write(inv.rows)
                if m >= months - 2:
                    recent.append(inv)

            say("Gerando histórico de e-mails enviados…")
            sent = sent_emails(rng, world, recent, as_of_np)
            say(f"Gravando e-mails enviados ({_fmt_int(len(sent))} linhas)…")
            loader.write(sent)
            say("Criando índices…")
            loader.create_indexes()
            loader.finish()
        finally:
            loader.close()
    finally:
        engine.dispose()

    counts = {name: loader.counts.get(name, 0) for name in schema.TABLE_NAMES}
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

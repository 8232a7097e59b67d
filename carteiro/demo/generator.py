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
from carteiro.demo.configuration import (
    BILLING_METHODS,
    EMAIL_RULES,
    M_BOLETO,
    M_CARTAO,
    M_DEBITO,
    M_PIX,
    ROUTINE_HOUR,
    SENDERS,
    STATUS_NORM,
    STATUS_SELECTION,
    UNKNOWN_STATUS_ID,
    config_rows,
)
from carteiro.demo.customers import P_GOOD, PAY_DEFAULTER, PAY_EARLY, PAY_LATE, PAY_PUNCTUAL
from carteiro.demo.loaders import loader_for
from carteiro.demo.rows import NULL_INT, Rows, object_array, shares
from carteiro.demo.services import ENVIO_VALUES
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


SMTP_ERRORS = (
    "550 5.1.1 Mailbox unavailable",
    "550 5.1.1 The email account that you tried to reach does not exist",
    "552 5.2.2 Mailbox full",
    "421 4.7.0 Try again later, closing connection",
    "554 5.7.1 Message rejected as spam",
    "Connection timed out",
)


def _fmt_int(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _month_start(d: datetime.date, shift: int) -> datetime.date:
    total = d.year * 12 + (d.month - 1) + shift
    return datetime.date(total // 12, total % 12 + 1, 1)


@dataclass
class _MonthInvoices:
    rows: Rows
    customer: np.ndarray  # customer index
    service: np.ndarray  # service index (-1 = no/unknown service)
    method: np.ndarray  # method id (0 = none)
    due: np.ndarray  # datetime64[D]
    paid_on: np.ndarray  # datetime64[D]; NaT = unpaid; paid without a date = very old date
    cancelled: np.ndarray


_PAID_NO_DATE = np.datetime64("1900-01-01", "D")


def _month_invoices(
    rng: np.random.Generator,
    world: World,
    m: int,
    month_start: datetime.date,
    as_of: np.datetime64,
    first_id: int,
) -> _MonthInvoices:
    svc = np.flatnonzero(world.services.start <= m)
    n = len(svc)
    cust = world.services.customer[svc]
    ms = np.datetime64(month_start, "D")
    due = ms + (world.customers.due_day[cust] - 1).astype("timedelta64[D]")

    # amount: the plan's price; pro rata in a service's first month; a few fees/discounts
    cents = world.services.price[svc].copy()
    prorata = rng.uniform(0.2, 1.0, n)
    first = (world.services.start[svc] == m) & (m > 0)
    cents = np.where(first, np.round(cents * prorata).astype(np.int64), cents)
    adj = rng.choice([0, 1500, 2500, -1000, -2000], n, p=[0.96, 0.015, 0.01, 0.01, 0.005])
    cents = np.maximum(cents + adj, 990)

    # billing method: the service's; a few invoices switch to another one or have none
    method = world.services.method[svc].copy()
    u = rng.random(n)
    switched = rng.choice([M_BOLETO, M_PIX], n)
    method = np.where(u < 0.004, switched, method)
    method = np.where(u > 0.997, 0, method)

    # the service the invoice names: a few have none or one that does not exist
    svc_id = svc.astype(np.int64) + 1
    ghost = len(world.services) + rng.integers(1, 5000, n)
    u = rng.random(n)
    svc_col = np.where(u < 0.006, NULL_INT, np.where(u > 0.996, ghost, svc_id))
    service = np.where((u < 0.006) | (u > 0.996), -1, svc)

    cancelled = rng.random(n) < 0.01

    # payment day relative to the due date, by payer behaviour (some invoices deviate)
    payer = world.customers.payer[cust].copy()
    deviate = rng.random(n) < 0.08
    payer = np.where(deviate, rng.choice([PAY_PUNCTUAL, PAY_LATE], n, p=[0.6, 0.4]), payer)
    punctual = rng.choice(np.arange(-3, 3), n, p=[0.07, 0.1, 0.14, 0.37, 0.2, 0.12])
    early = rng.integers(-12, -5, n)
    late = np.minimum(3 + rng.geometric(0.1, n), 45)
    very_late = rng.integers(10, 61, n)
    never = rng.random(n)
    offset = np.select(
        [payer == PAY_PUNCTUAL, payer == PAY_EARLY, payer == PAY_LATE],
        [punctual, early, late],
        default=very_late,
    )
    has_payment = np.where(payer == PAY_DEFAULTER, never > 0.55, True)
    # card charges run about a week before the due date; automatic debit on the due date
    card = rng.integers(-10, -6, n)
    declined = rng.random(n)
    offset = np.where((method == M_CARTAO) & (declined >= 0.06), card, offset)
    offset = np.where((method == M_DEBITO) & (declined >= 0.04), 0, offset)
    has_payment &= ~cancelled
    pay = due + offset.astype("timedelta64[D]")
    paid = has_payment & (pay <= as_of)
    no_date = paid & (rng.random(n) < 0.002)  # 'pago' without data_pagamento

    # status words (mostly canonical, a few odd spellings and unknown words)
    paid_word = object_array(["pago", "Pago", "PAGA", "quitado"])[
        rng.choice(4, n, p=[0.95, 0.02, 0.01, 0.02])
    ]
    open_word = object_array(["aberto", "Em aberto", "aberta", "negociado", None])[
        rng.choice(5, n, p=[0.955, 0.03, 0.01, 0.004, 0.001])
    ]
    overdue_word = np.where(rng.random(n) < 0.35, "vencido", open_word)
    cancel_word = object_array(["cancelado", "Cancelada ", "CANCELADO"])[
        rng.choice(3, n, p=[0.94, 0.04, 0.02])
    ]
    status = np.where(paid, paid_word, np.where(due < as_of, overdue_word, open_word))
    status = np.where(cancelled, cancel_word, status)

    pay_col = np.where(paid & ~no_date, pay, np.datetime64("NaT", "D"))
    rows = Rows(
        schema.fatura,
        {
            "id_fatura": np.arange(first_id, first_id + n, dtype=np.int64),
            "id_cliente": cust.astype(np.int64) + 1,
            "id_cliente_servico": svc_col.astype(np.int64),
            "id_forma_cobranca": np.where(method == 0, NULL_INT, method).astype(np.int64),
            "data_vencimento": due,
            "valor": cents.astype(np.int64),
            "status": status,
            "data_pagamento": pay_col,
        },
    )
    paid_on = np.where(no_date, _PAID_NO_DATE, pay_col)
    return _MonthInvoices(rows, cust, service, method, due, paid_on, cancelled)


def _sent_emails(
    rng: np.random.Generator,
    world: World,
    invoices: list[_MonthInvoices],
    as_of: np.datetime64,
) -> Rows:
    """The send log of the e-mail routine for the given (recent) months' invoices.

    One row per send attempt, for the invoices the routine plausibly handled: active rules of a
    method with an active sender, a service that exists with an allowed status and a setting that
    allows e-mail, a customer with a consenting valid recipient; send days up to ``as_of``.
    """
    active_sender = {s[0]: bool(s[9]) for s in SENDERS}
    default_sender = next(s[0] for s in SENDERS if s[8] and s[9])
    selection: dict[int, set[str]] = {}
    for method_id, status_id in STATUS_SELECTION:
        selection.setdefault(method_id, set()).add(STATUS_NORM[status_id])
    blocking = np.array([str(v[0]).strip().lower().replace(" ", "_") in ("somente_sms", "nenhum")
                         for v in ENVIO_VALUES])

    parts: list[tuple[np.ndarray, ...]] = []
    for inv in invoices:
        rows = inv.rows
        has_service = inv.service >= 0
        svc = np.where(has_service, inv.service, 0)
        status_id = world.services.status[svc]
        ok = has_service & ~inv.cancelled & (world.customers.profile[inv.customer] == P_GOOD)
        ok &= ~blocking[world.services.envio[svc]]
        for method_id, _desc, sender, _active in BILLING_METHODS:
            rules = [r for r in EMAIL_RULES if r[1] == method_id and r[4]]
            if not rules or not active_sender.get(sender or default_sender, False):
                continue
            allowed_norms = selection.get(method_id)
            if allowed_norms is None:
                allowed_ids = [
                    s for s, p in STATUS_NORM.items() if p not in ("cancelado", "inativo")
                ]
                allowed_ids.append(UNKNOWN_STATUS_ID)
            else:
                allowed_ids = [s for s, p in STATUS_NORM.items() if p in allowed_norms]
            base = ok & (inv.method == method_id) & np.isin(status_id, allowed_ids)
            for rule in rules:
                send = inv.due + np.timedelta64(rule[2], "D")
                open_then = np.isnat(inv.paid_on) | (inv.paid_on >= send)
                m = base & open_then & (send <= as_of)
                parts.append((send[m], rows.columns["id_fatura"][m], inv.customer[m]))
    if parts:
        send = np.concatenate([p[0] for p in parts])
        fatura_id = np.concatenate([p[1] for p in parts])
        cust = np.concatenate([p[2] for p in parts])
    else:
        send = np.array([], dtype="datetime64[D]")
        fatura_id = np.array([], dtype=np.int64)
        cust = np.array([], dtype=np.int64)
    order = np.lexsort((fatura_id, send))
    send, fatura_id, cust = send[order], fatura_id[order], cust[order]
    n = len(send)
    # sends of one day start at the routine's hour, spaced by the sender's interval (compressed
    # when the day's queue would not fit before midnight)
    new_day = np.ones(n, dtype=bool)
    new_day[1:] = send[1:] != send[:-1]
    day = np.cumsum(new_day) - 1
    rank = np.arange(n) - np.flatnonzero(new_day)[day]
    per_day = np.bincount(day)[day]
    interval = SENDERS[0][7]
    step = np.minimum(float(interval), (24 - ROUTINE_HOUR) * 3600 / np.maximum(per_day, 1))
    seconds = ROUTINE_HOUR * 3600 + np.floor(rank * step).astype(np.int64)
    stamp = send.astype("datetime64[s]") + seconds.astype("timedelta64[s]")

    bad = world.recipients.dest_bad[cust]
    fail = rng.random(n) < np.where(bad, 0.6, 0.015)
    error = object_array(SMTP_ERRORS)[
        rng.choice(len(SMTP_ERRORS), n, p=shares([5, 2, 1, 1, 1, 0.5]))
    ]
    error = np.where(bad, SMTP_ERRORS[0], error)
    return Rows(
        schema.email_enviado,
        {
            "id_email_enviado": np.arange(1, n + 1, dtype=np.int64),
            "id_cliente": cust.astype(np.int64) + 1,
            "id_fatura": fatura_id.astype(np.int64),
            "email_destino": world.recipients.dest[cust],
            "tipo_documento": np.full(n, "fatura", dtype=object),
            "data_envio": stamp,
            "enviado": np.where(fail, 0, 1).astype(np.int8),
            "mensagem_erro": np.where(fail, error, None),
        },
    )


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

            recent: list[_MonthInvoices] = []
            next_id = 1
            for m in range(months):
                month = _month_start(first_month, m)
                label = f"{month.month:02d}/{month.year}"
                say(f"Gerando faturas de {label}…")
                inv = _month_invoices(rng, world, m, month, as_of_np, next_id)
                next_id += len(inv.rows)
                say(f"Gravando faturas de {label} ({_fmt_int(len(inv.rows))} linhas)…")
                loader.write(inv.rows)
                if m >= months - 2:
                    recent.append(inv)

            say("Gerando histórico de e-mails enviados…")
            sent = _sent_emails(rng, world, recent, as_of_np)
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

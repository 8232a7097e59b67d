"""The monthly invoices (``fatura``): one per service and month, with its payment.

An invoice is due on its customer's due day and costs the plan's price (pro rata in a service's
first month, a few fees and discounts). The data problems the invoices carry:

- ``method_without_rules``: a few invoices have no billing method (and a few switch method);
- ``service_missing``: some invoices name no service, or a service id that does not exist;
- ``invoice_outside_rules``: card charges happen about a week before the due date (the card's
  only rule notifies 2 days after it), some customers pay long before the first notice, and a
  handful of invoices say ``pago`` without a payment date.

Payments follow the customer's payer behaviour (with a few invoices deviating) relative to the
due date, and never happen after ``as_of``, the day the snapshot is taken. Status words are
mostly canonical, with odd spellings and unknown words (``Pago``, ``quitado``, ``Em aberto``,
``negociado``, ``Cancelada ``…).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

from carteiro.demo import schema
from carteiro.demo.configuration import M_BOLETO, M_CARTAO, M_DEBITO, M_PIX
from carteiro.demo.customers import PAY_DEFAULTER, PAY_EARLY, PAY_LATE, PAY_PUNCTUAL
from carteiro.demo.rows import NULL_INT, Rows, object_array
from carteiro.demo.services import Services
from carteiro.demo.world import World


@dataclass
class MonthInvoices:
    """One month's ``fatura`` rows and what the send log needs to know about them."""

    rows: Rows
    customer: np.ndarray  # customer index
    service: np.ndarray  # service index (-1 = no/unknown service)
    method: np.ndarray  # method id (0 = none)
    due: np.ndarray  # datetime64[D]
    paid_on: np.ndarray  # datetime64[D]; NaT = unpaid; paid without a date = very old date
    cancelled: np.ndarray


_PAID_NO_DATE = np.datetime64("1900-01-01", "D")


def _amounts(rng: np.random.Generator, services: Services, svc: np.ndarray, m: int) -> np.ndarray:
    """The plan's price in cents; pro rata in a service's first month; a few fees/discounts."""
    n = len(svc)
    cents = services.price[svc].copy()
    prorata = rng.uniform(0.2, 1.0, n)
    first = (services.start[svc] == m) & (m > 0)
    cents = np.where(first, np.round(cents * prorata).astype(np.int64), cents)
    adj = rng.choice([0, 1500, 2500, -1000, -2000], n, p=[0.96, 0.015, 0.01, 0.01, 0.005])
    return np.maximum(cents + adj, 990)


def _methods(rng: np.random.Generator, services: Services, svc: np.ndarray) -> np.ndarray:
    """The service's billing method; a few invoices switch to another one or have none (0)."""
    n = len(svc)
    method = services.method[svc].copy()
    u = rng.random(n)
    switched = rng.choice([M_BOLETO, M_PIX], n)
    method = np.where(u < 0.004, switched, method)
    return np.where(u > 0.997, 0, method)


def _named_services(
    rng: np.random.Generator, services: Services, svc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The service id the invoice names (a few none, a few one that does not exist), and the
    service index it stands for (-1 for those)."""
    n = len(svc)
    svc_id = svc.astype(np.int64) + 1
    ghost = len(services) + rng.integers(1, 5000, n)
    u = rng.random(n)
    svc_col = np.where(u < 0.006, NULL_INT, np.where(u > 0.996, ghost, svc_id))
    service = np.where((u < 0.006) | (u > 0.996), -1, svc)
    return svc_col, service


def _payments(
    rng: np.random.Generator,
    payer: np.ndarray,
    method: np.ndarray,
    due: np.ndarray,
    cancelled: np.ndarray,
    as_of: np.datetime64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Payment day, whether it is paid by ``as_of``, and whether it is paid without a date.

    The day is relative to the due date, by the customer's payer behaviour (some invoices
    deviate); card charges run about a week before the due date, automatic debit on it.
    """
    n = len(payer)
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
    card = rng.integers(-10, -6, n)
    declined = rng.random(n)
    offset = np.where((method == M_CARTAO) & (declined >= 0.06), card, offset)
    offset = np.where((method == M_DEBITO) & (declined >= 0.04), 0, offset)
    has_payment &= ~cancelled
    pay = due + offset.astype("timedelta64[D]")
    paid = has_payment & (pay <= as_of)
    no_date = paid & (rng.random(n) < 0.002)  # 'pago' without data_pagamento
    return pay, paid, no_date


def _status_words(
    rng: np.random.Generator,
    paid: np.ndarray,
    due: np.ndarray,
    cancelled: np.ndarray,
    as_of: np.datetime64,
) -> np.ndarray:
    """Status words (mostly canonical, a few odd spellings and unknown words)."""
    n = len(paid)
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
    return np.where(cancelled, cancel_word, status)


def month_invoices(
    rng: np.random.Generator,
    world: World,
    m: int,
    month_start: datetime.date,
    as_of: np.datetime64,
    first_id: int,
) -> MonthInvoices:
    """The invoices of month index ``m`` (starting on ``month_start``), ids from ``first_id``."""
    services = world.services
    svc = np.flatnonzero(services.start <= m)
    cust = services.customer[svc]
    ms = np.datetime64(month_start, "D")
    due = ms + (world.customers.due_day[cust] - 1).astype("timedelta64[D]")
    cents = _amounts(rng, services, svc, m)
    method = _methods(rng, services, svc)
    svc_col, service = _named_services(rng, services, svc)
    cancelled = rng.random(len(svc)) < 0.01
    payer = world.customers.payer[cust].copy()
    pay, paid, no_date = _payments(rng, payer, method, due, cancelled, as_of)
    status = _status_words(rng, paid, due, cancelled, as_of)

    pay_col = np.where(paid & ~no_date, pay, np.datetime64("NaT", "D"))
    rows = Rows(
        schema.fatura,
        {
            "id_fatura": np.arange(first_id, first_id + len(svc), dtype=np.int64),
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
    return MonthInvoices(rows, cust, service, method, due, paid_on, cancelled)

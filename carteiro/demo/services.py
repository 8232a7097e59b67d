"""The customers' services (``cliente_servico``): status, plan, billing method and the
``envio_cobranca`` setting.

Most customers have one service (a few two or three), most of them enabled. The rest feed
``service_status_excluded`` (cancelled/inactive services still billed, also through the
odd-spelled duplicate status ``'Cancelado '``; debt-suspended services billed through "Boleto
Sicredi"; a handful with a status id that has no ``servico_status`` row) and
``service_blocks_email`` (``envio_cobranca`` ``somente_sms``/``nenhum``, also spelled
``'Somente SMS'``). A service's billing method is usually its customer's; some services start
later than the first month (waiting for installation: billed from the last month only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carteiro.demo import schema
from carteiro.demo.configuration import (
    M_BOLETO,
    M_CARNE,
    M_CARTAO,
    M_DEBITO,
    M_PIX,
    M_SICREDI,
    UNKNOWN_STATUS_ID,
)
from carteiro.demo.customers import Customers
from carteiro.demo.rows import Rows, object_array, shares

# Share of services per status id (the last entry is UNKNOWN_STATUS_ID).
_STATUS_IDS = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, UNKNOWN_STATUS_ID])
_STATUS_P = [0.888, 0.032, 0.012, 0.006, 0.014, 0.005, 0.009, 0.008, 0.003, 0.004, 0.001]
# Share of services per billing method (Depósito em Conta is legacy: no invoices).
_METHOD_IDS = np.array([M_BOLETO, M_PIX, M_SICREDI, M_CARTAO, M_DEBITO, M_CARNE])
_METHOD_P = [0.535, 0.27, 0.07, 0.05, 0.025, 0.02]

# Plans: (plano, price in cents, weight for people, weight for companies)
PLANS: tuple[tuple[str, int, float, float], ...] = (
    ("FIBRA 100MB", 7990, 4, 1),
    ("FIBRA 200MB", 8990, 8, 2),
    ("FIBRA 300MB", 9990, 22, 5),
    ("FIBRA 400MB", 10990, 18, 5),
    ("FIBRA 500MB", 11990, 18, 8),
    ("FIBRA 600MB", 12990, 10, 8),
    ("FIBRA 800MB", 14990, 6, 6),
    ("FIBRA 1GB", 19990, 4, 8),
    ("RADIO 15MB", 7990, 5, 1),
    ("FIBRA 500MB + TV", 16990, 5, 1),
    ("EMPRESARIAL 300MB", 18990, 0, 20),
    ("EMPRESARIAL 600MB", 24990, 0, 15),
    ("LINK DEDICADO 100MB", 29990, 0, 10),
)

# envio_cobranca values and shares; the odd spellings are unknown values (treated as default)
# except 'Somente SMS', which normalises to somente_sms.
ENVIO_VALUES: tuple[tuple[str | None, float], ...] = (
    (None, 0.44),
    ("email_sms", 0.35),
    ("somente_email", 0.155),
    ("somente_sms", 0.015),
    ("nenhum", 0.006),
    ("Somente SMS", 0.003),
    ("Email e SMS", 0.015),
    ("EMAIL_SMS", 0.01),
)



@dataclass
class Services:
    """One entry per service (index = ``id_cliente_servico - 1``)."""

    customer: np.ndarray  # customer index
    status: np.ndarray  # id_servico_status
    plan: np.ndarray  # index into PLANS
    envio: np.ndarray  # index into ENVIO_VALUES
    price: np.ndarray  # the plan's price in cents
    method: np.ndarray  # billing method id
    start: np.ndarray  # first month index with an invoice

    def __len__(self) -> int:
        return len(self.customer)


def draw_services(rng: np.random.Generator, customers: Customers, months: int) -> Services:
    """1 to 3 services per customer, over ``months`` months of invoices."""
    n = len(customers)
    n_services = rng.choice([1, 2, 3], n, p=[0.9, 0.085, 0.015])
    svc_customer = np.repeat(np.arange(n), n_services)
    n_svc = len(svc_customer)
    svc_status = _STATUS_IDS[rng.choice(len(_STATUS_IDS), n_svc, p=shares(_STATUS_P))]
    svc_company = customers.company[svc_customer]
    plan_people = rng.choice(len(PLANS), n_svc, p=shares([p[2] for p in PLANS]))
    plan_company = rng.choice(len(PLANS), n_svc, p=shares([p[3] for p in PLANS]))
    plan = np.where(svc_company, plan_company, plan_people)
    svc_price = np.array([p[1] for p in PLANS], dtype=np.int64)[plan]
    svc_envio = rng.choice(len(ENVIO_VALUES), n_svc, p=shares([v[1] for v in ENVIO_VALUES]))
    cust_method = _METHOD_IDS[rng.choice(len(_METHOD_IDS), n, p=shares(_METHOD_P))]
    other_method = _METHOD_IDS[rng.choice(len(_METHOD_IDS), n_svc, p=shares(_METHOD_P))]
    svc_method = np.where(rng.random(n_svc) < 0.08, other_method, cust_method[svc_customer])
    late_start = rng.random(n_svc) < 0.15
    svc_start = np.where(late_start, rng.integers(0, max(months, 1), n_svc), 0)
    svc_start[svc_status == 4] = months - 1  # waiting for installation: billed from this month
    return Services(
        customer=svc_customer,
        status=svc_status,
        plan=plan,
        envio=svc_envio,
        price=svc_price,
        method=svc_method,
        start=svc_start,
    )


def service_rows(services: Services) -> Rows:
    """The ``cliente_servico`` table."""
    return Rows(
        schema.cliente_servico,
        {
            "id_cliente_servico": np.arange(1, len(services) + 1, dtype=np.int64),
            "id_cliente": services.customer.astype(np.int64) + 1,
            "id_servico_status": services.status.astype(np.int64),
            "plano": object_array(p[0] for p in PLANS)[services.plan],
            "envio_cobranca": object_array(v[0] for v in ENVIO_VALUES)[services.envio],
        },
    )

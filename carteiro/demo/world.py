"""The stable part of the ERP: customers, their e-mail recipients and their services.

Each customer's services, contacts, billing method and due day stay the same across months, so
the months look alike; only the invoices (:mod:`carteiro.demo.invoices`) and the send log
(:mod:`carteiro.demo.email_log`) are drawn per month. The world is drawn in a fixed order:
customers, then recipients, then services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from carteiro.demo import schema
from carteiro.demo.customers import Customers, draw_customers
from carteiro.demo.recipients import Recipients, draw_recipients
from carteiro.demo.rows import Rows
from carteiro.demo.services import Services, draw_services, service_rows


@dataclass
class World:
    """Customers, recipients and services, and the three tables they fill."""

    customers: Customers
    recipients: Recipients
    services: Services

    def customer_rows(self) -> Rows:
        """The ``cliente`` table (each record's e-mail field is its first recipient)."""
        c, r, n = self.customers, self.recipients, len(self.customers)
        return Rows(
            schema.cliente,
            {
                "id_cliente": np.arange(1, n + 1, dtype=np.int64),
                "nome_razaosocial": c.name,
                "cpf_cnpj": c.document,
                "cidade": c.city,
                "email_principal": r.address[:n],
                "permite_enviar_email": r.allow[:n],
                "ativo": c.active,
            },
            {"permite_enviar_email": r.text_flag[:n]},
        )

    def contact_rows(self) -> Rows:
        """The ``cliente_contato`` table."""
        r, n = self.recipients, len(self.customers)
        return Rows(
            schema.cliente_contato,
            {
                "id_cliente_contato": np.arange(1, len(r.contact_owner) + 1, dtype=np.int64),
                "id_cliente": r.contact_owner.astype(np.int64) + 1,
                "nome": r.contact_name,
                "email": r.address[n:],
                "permite_enviar_email": r.allow[n:],
            },
            {"permite_enviar_email": r.text_flag[n:]},
        )

    def service_rows(self) -> Rows:
        """The ``cliente_servico`` table."""
        return service_rows(self.services)


def build_world(
    rng: np.random.Generator, n: int, months: int, progress: Callable[[str], None]
) -> World:
    """``n`` customers with their recipients and services, billed over ``months`` months."""
    progress("Gerando clientes…")
    customers = draw_customers(rng, n)
    progress("Gerando contatos e endereços de e-mail…")
    recipients = draw_recipients(rng, customers)
    progress("Gerando serviços…")
    services = draw_services(rng, customers, months)
    return World(customers, recipients, services)

"""The ISP's configuration: what its administrator set up in the ERP.

Conecta Sul, an ISP in the south of Minas Gerais: its service statuses (with odd-spelled
duplicates), its two e-mail senders (one inactive), its billing methods and their e-mail rules,
the «Status do Serviço para Envio» selection and the ERP routines. :func:`config_rows` gives the
six configuration tables; the customer data refers to these ids.

How the configuration makes conditions of ``docs/domain.md`` fail:

- ``sender_unavailable``: "Carnê" names the sender "Gmail (antigo)", which is inactive.
- ``method_without_rules``: "Débito Automático" has no e-mail rule.
- ``invoice_outside_rules``: "Cartão de Crédito" only notifies 2 days after the due date.
- ``service_status_excluded``: the odd-spelled duplicate status ``'Cancelado '``; "Boleto
  Sicredi", whose «Status do Serviço para Envio» selection leaves ``suspenso_debito`` out.
- ``no_email_routine``: never, unless :func:`config_rows` is asked for the routine switched off.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Table

from carteiro.demo import schema
from carteiro.demo.rows import NULL_INT, Rows, column_kind, object_array

ISP_DOMAIN = "conectasul.net.br"

# Service statuses: (id, descricao, prefixo). 9 and 10 are odd-spelled duplicates of 5 and 1.
SERVICE_STATUSES: tuple[tuple[int, str, str], ...] = (
    (1, "Serviço Habilitado", "servico_habilitado"),
    (2, "Suspenso por Débito", "suspenso_debito"),
    (3, "Suspenso Parcialmente (Redução de Velocidade)", "suspenso_parcialmente"),
    (4, "Aguardando Instalação", "aguardando_instalacao"),
    (5, "Cancelado", "cancelado"),
    (6, "Inativo", "inativo"),
    (7, "Bloqueio Manual", "bloqueio_manual"),
    (8, "Suspenso a Pedido do Cliente", "suspenso_pedido_cliente"),
    (9, "Cancelado (importado do sistema antigo)", "Cancelado "),
    (10, "Serviço Habilitado (migração)", "Servico-Habilitado"),
)
UNKNOWN_STATUS_ID = 99  # used by a handful of services: a status id with no servico_status row
# Normalised prefix of each status id (domain.md, "Values and bad input").
STATUS_NORM = {
    1: "servico_habilitado", 2: "suspenso_debito", 3: "suspenso_parcialmente",
    4: "aguardando_instalacao", 5: "cancelado", 6: "inativo", 7: "bloqueio_manual",
    8: "suspenso_pedido_cliente", 9: "cancelado", 10: "servico_habilitado",
}

# Senders: (id, descricao, host, porta, seguranca, usuario, email_origem, intervalo, padrao, ativo)
SENDERS: tuple[tuple[Any, ...], ...] = (
    (1, "Financeiro Conecta Sul", f"mail.{ISP_DOMAIN}", 465, "ssl", f"financeiro@{ISP_DOMAIN}",
     f"financeiro@{ISP_DOMAIN}", 2, True, True),
    (2, "Gmail (antigo)", "smtp.gmail.com", 587, "tls", "conectasul.cobranca@gmail.com",
     "conectasul.cobranca@gmail.com", 5, False, False),
)

# Billing methods: (id, descricao, id_remetente_email, ativo)
M_BOLETO, M_PIX, M_CARTAO, M_DEBITO, M_CARNE, M_SICREDI, M_DEPOSITO = 1, 2, 3, 4, 5, 6, 7
BILLING_METHODS: tuple[tuple[int, str, int | None, bool], ...] = (
    (M_BOLETO, "Boleto Bancário", None, True),
    (M_PIX, "PIX", None, True),
    (M_CARTAO, "Cartão de Crédito", None, True),
    (M_DEBITO, "Débito Automático", None, True),
    (M_CARNE, "Carnê", 2, True),
    (M_SICREDI, "Boleto Sicredi (Cobrança Registrada)", None, True),
    (M_DEPOSITO, "Depósito em Conta", None, False),
)

# E-mail rules: (id, id_forma_cobranca, dias, assunto, ativo)
EMAIL_RULES: tuple[tuple[int, int, int, str, bool | None], ...] = (
    (1, M_BOLETO, -5, "Sua fatura Conecta Sul vence em 5 dias", True),
    (2, M_BOLETO, 0, "Sua fatura Conecta Sul vence hoje", True),
    (3, M_BOLETO, 3, "Fatura em atraso: evite a suspensão do seu serviço", True),
    (4, M_BOLETO, 10, "Aviso de suspensão por débito", False),
    (5, M_PIX, -3, "Seu PIX de cobrança já está disponível", True),
    (6, M_PIX, 0, "Sua fatura PIX vence hoje", True),
    (7, M_PIX, 1, "Lembrete: fatura PIX vencida", None),
    (8, M_CARTAO, 2, "Não conseguimos cobrar seu cartão de crédito", True),
    (9, M_CARNE, -5, "Sua parcela do carnê vence em 5 dias", True),
    (10, M_CARNE, 0, "Sua parcela do carnê vence hoje", True),
    (11, M_SICREDI, -5, "Boleto Sicredi disponível: vence em 5 dias", True),
    (12, M_SICREDI, 0, "Seu boleto Sicredi vence hoje", True),
    (13, M_SICREDI, 5, "Boleto Sicredi em atraso", True),
)
# «Status do Serviço para Envio» of Boleto Sicredi: leaves suspenso_debito (and 'cancelado') out.
STATUS_SELECTION: tuple[tuple[int, int], ...] = tuple((M_SICREDI, s) for s in (1, 3, 4, 7, 8))

EMAIL_ROUTINE_ID = 1
# Routines: (id, tipo, horario, ativo); the billing e-mail routine's ativo follows with_routine.
ROUTINES: tuple[tuple[int, str, str, bool | None], ...] = (
    (EMAIL_ROUTINE_ID, "envio_email_cobranca", "08:00", True),
    (2, "envio_sms_cobranca", "09:00", True),
    (3, "suspensao", "06:00", True),
    (4, "reativacao_automatica", "06:30", True),
    (5, "geracao_faturas", "02:00", True),
    (6, "envio_whatsapp_cobranca", "10:00", None),
    (7, "envio_nota_fiscal", "23:00", False),
)
ROUTINE_HOUR = 8  # the hour of the billing e-mail routine (its horario)


def _table_rows(table: Table, data: Sequence[Sequence[Any]]) -> Rows:
    """A small table given as Python tuples in column order (None = NULL)."""
    cols: dict[str, np.ndarray] = {}
    for i, col in enumerate(table.columns):
        values = [r[i] for r in data]
        kind = column_kind(col.type)
        if kind == "int":
            cols[col.name] = np.array(
                [NULL_INT if v is None else v for v in values], dtype=np.int64
            )
        elif kind == "bool":
            cols[col.name] = np.array(
                [-1 if v is None else int(bool(v)) for v in values], dtype=np.int8
            )
        else:
            cols[col.name] = object_array(values)
    return Rows(table, cols)


def config_rows(with_routine: bool) -> list[Rows]:
    """The ERP's configuration tables (small, fixed); ``with_routine`` is the e-mail routine's
    ``ativo``."""
    routines = [
        (i, t, h, with_routine if i == EMAIL_ROUTINE_ID else a) for i, t, h, a in ROUTINES
    ]
    return [
        _table_rows(schema.servico_status, SERVICE_STATUSES),
        _table_rows(schema.remetente_email, SENDERS),
        _table_rows(schema.forma_cobranca, BILLING_METHODS),
        _table_rows(schema.forma_cobranca_regra_email, EMAIL_RULES),
        _table_rows(schema.forma_cobranca_status_envio, STATUS_SELECTION),
        _table_rows(schema.rotina, routines),
    ]

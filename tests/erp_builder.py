"""A tiny ERP database builder for tests: rows in the documented schema, written to SQLite
(or any SQLAlchemy URL) with the DDL of ``shared/docs/erp-schema.md``.

``Erp.baseline()`` is a healthy configuration where customer 1's single invoice (due
2024-03-10, unpaid) is eligible; tests change one thing and look at the result.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa

DDL = """
CREATE TABLE servico_status (id_servico_status INTEGER PRIMARY KEY,
  descricao VARCHAR(100) NOT NULL, prefixo VARCHAR(60) NOT NULL);
CREATE TABLE cliente (id_cliente INTEGER PRIMARY KEY, nome_razaosocial VARCHAR(200) NOT NULL,
  cpf_cnpj VARCHAR(20), cidade VARCHAR(100), email_principal VARCHAR(400),
  permite_enviar_email BOOLEAN, ativo BOOLEAN);
CREATE TABLE cliente_contato (id_cliente_contato INTEGER PRIMARY KEY, id_cliente INTEGER NOT NULL,
  nome VARCHAR(200), email VARCHAR(400), permite_enviar_email BOOLEAN);
CREATE TABLE cliente_servico (id_cliente_servico INTEGER PRIMARY KEY, id_cliente INTEGER NOT NULL,
  id_servico_status INTEGER NOT NULL, plano VARCHAR(100), envio_cobranca VARCHAR(20));
CREATE TABLE remetente_email (id_remetente_email INTEGER PRIMARY KEY,
  descricao VARCHAR(100) NOT NULL, host VARCHAR(200) NOT NULL, porta INTEGER NOT NULL,
  seguranca VARCHAR(10) NOT NULL,
  usuario VARCHAR(200), email_origem VARCHAR(200) NOT NULL, intervalo_segundos INTEGER,
  padrao BOOLEAN, ativo BOOLEAN);
CREATE TABLE forma_cobranca (id_forma_cobranca INTEGER PRIMARY KEY, descricao VARCHAR(100) NOT NULL,
  id_remetente_email INTEGER, ativo BOOLEAN);
CREATE TABLE forma_cobranca_regra_email (id_regra_email INTEGER PRIMARY KEY,
  id_forma_cobranca INTEGER NOT NULL, dias INTEGER NOT NULL, assunto VARCHAR(200), ativo BOOLEAN);
CREATE TABLE forma_cobranca_status_envio (id_forma_cobranca INTEGER NOT NULL,
  id_servico_status INTEGER NOT NULL);
CREATE TABLE rotina (id_rotina INTEGER PRIMARY KEY, tipo VARCHAR(60) NOT NULL, horario VARCHAR(5),
  ativo BOOLEAN);
CREATE TABLE fatura (id_fatura INTEGER PRIMARY KEY, id_cliente INTEGER NOT NULL,
  id_cliente_servico INTEGER, id_forma_cobranca INTEGER, data_vencimento DATE,
  valor NUMERIC(12,2), status VARCHAR(20), data_pagamento DATE);
CREATE TABLE email_enviado (id_email_enviado INTEGER PRIMARY KEY, id_cliente INTEGER,
  id_fatura INTEGER, email_destino VARCHAR(400), tipo_documento VARCHAR(40),
  data_envio TIMESTAMP, enviado BOOLEAN, mensagem_erro TEXT);
"""
# SQLite keeps duplicate ids only without the primary keys (the duplicate-id rule needs that).
DDL_WITHOUT_KEYS = DDL.replace(" PRIMARY KEY", "")

COLUMNS: dict[str, tuple[str, ...]] = {
    "servico_status": ("id_servico_status", "descricao", "prefixo"),
    "cliente": ("id_cliente", "nome_razaosocial", "cpf_cnpj", "cidade", "email_principal",
                "permite_enviar_email", "ativo"),
    "cliente_contato": ("id_cliente_contato", "id_cliente", "nome", "email",
                        "permite_enviar_email"),
    "cliente_servico": ("id_cliente_servico", "id_cliente", "id_servico_status", "plano",
                        "envio_cobranca"),
    "remetente_email": ("id_remetente_email", "descricao", "host", "porta", "seguranca",
                        "usuario", "email_origem", "intervalo_segundos", "padrao", "ativo"),
    "forma_cobranca": ("id_forma_cobranca", "descricao", "id_remetente_email", "ativo"),
    "forma_cobranca_regra_email": ("id_regra_email", "id_forma_cobranca", "dias", "assunto",
                                   "ativo"),
    "forma_cobranca_status_envio": ("id_forma_cobranca", "id_servico_status"),
    "rotina": ("id_rotina", "tipo", "horario", "ativo"),
    "fatura": ("id_fatura", "id_cliente", "id_cliente_servico", "id_forma_cobranca",
               "data_vencimento", "valor", "status", "data_pagamento"),
    "email_enviado": ("id_email_enviado", "id_cliente", "id_fatura", "email_destino",
                      "tipo_documento", "data_envio", "enviado", "mensagem_erro"),
}

MARCH_2024 = (dt.date(2024, 3, 1), dt.date(2024, 3, 31))


class Erp:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in COLUMNS}

    def copy(self) -> Erp:
        return copy.deepcopy(self)

    def add(self, table: str, **values: Any) -> Erp:
        unknown = set(values) - set(COLUMNS[table])
        assert not unknown, f"{table}: unknown columns {unknown}"
        self.rows[table].append({c: values.get(c) for c in COLUMNS[table]})
        return self

    def set(self, table: str, key: str, key_value: Any, **values: Any) -> Erp:
        hits = [r for r in self.rows[table] if r[key] == key_value]
        assert hits, f"{table}: no row with {key}={key_value}"
        for row in hits:
            row.update(values)
        return self

    def delete(self, table: str, **match: Any) -> Erp:
        self.rows[table] = [
            r for r in self.rows[table] if any(r[k] != v for k, v in match.items())
        ]
        return self

    # Shortcuts -----------------------------------------------------------------------------
    def customer(self, cid: int, email: str | None = "cliente{cid}@gmail.com",
                 allows: Any = True, service_status: int = 1, method: int | None = 1,
                 due: Any = "2024-03-10", status: str | None = "aberto", paid: Any = None,
                 notice: str | None = None, name: str | None = None, city: str = "Chapecó",
                 amount: float = 99.9, invoice_id: int | None = None) -> Erp:
        """A customer with one service and one invoice (ids derived from ``cid``)."""
        self.add("cliente", id_cliente=cid, nome_razaosocial=name or f"Cliente {cid}",
                 cpf_cnpj=f"000.000.{cid:03d}-00", cidade=city,
                 email_principal=email.format(cid=cid) if email else None,
                 permite_enviar_email=allows, ativo=True)
        self.add("cliente_servico", id_cliente_servico=100 + cid, id_cliente=cid,
                 id_servico_status=service_status, plano="FIBRA 300MB", envio_cobranca=notice)
        self.add("fatura", id_fatura=invoice_id or 1000 + cid, id_cliente=cid,
                 id_cliente_servico=100 + cid, id_forma_cobranca=method, data_vencimento=due,
                 valor=amount, status=status, data_pagamento=paid)
        return self

    @classmethod
    def baseline(cls) -> Erp:
        erp = cls()
        for sid, prefix, name in [
            (1, "servico_habilitado", "Serviço Habilitado"),
            (2, "suspenso_debito", "Suspenso por Débito"),
            (3, "cancelado", "Cancelado"),
            (4, "inativo", "Inativo"),
            (5, "aguardando_instalacao", "Aguardando Instalação"),
        ]:
            erp.add("servico_status", id_servico_status=sid, descricao=name, prefixo=prefix)
        erp.add("remetente_email", id_remetente_email=1, descricao="Principal",
                host="smtp.provedor.com.br", porta=587, seguranca="tls",
                usuario="cobranca@provedor.com.br", email_origem="cobranca@provedor.com.br",
                intervalo_segundos=2, padrao=True, ativo=True)
        erp.add("forma_cobranca", id_forma_cobranca=1, descricao="Boleto", ativo=True)
        for rid, days in [(1, -3), (2, 0), (3, 3)]:
            erp.add("forma_cobranca_regra_email", id_regra_email=rid, id_forma_cobranca=1,
                    dias=days, assunto=f"Fatura ({days:+d})", ativo=True)
        erp.add("rotina", id_rotina=1, tipo="envio_email_cobranca", horario="08:00", ativo=True)
        erp.add("rotina", id_rotina=2, tipo="suspensao", horario="03:00", ativo=True)
        erp.customer(1)
        return erp

    def write(self, url: str, *, keys: bool = True) -> str:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for statement in (DDL if keys else DDL_WITHOUT_KEYS).split(";"):
                if statement.strip():
                    conn.exec_driver_sql(statement)
            for table, rows in self.rows.items():
                if rows:
                    conn.execute(sa.table(table, *map(sa.column, COLUMNS[table])).insert(), rows)
        engine.dispose()
        return url

    def write_sqlite(self, path: Path, *, keys: bool = True) -> str:
        return self.write(f"sqlite:///{path}", keys=keys)

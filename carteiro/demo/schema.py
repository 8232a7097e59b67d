"""The ERP schema Carteiro reads by default, as SQLAlchemy Core tables.

This mirrors ``docs/erp-schema.md`` exactly: the same table names, columns, types, nullability and
primary keys, so ``metadata.create_all(engine)`` creates the same tables on SQLite, PostgreSQL and
MariaDB/MySQL. The demo database (:mod:`carteiro.demo`) and the test fixtures are built from it.

Choices worth knowing:

- Integer primary keys are created with ``autoincrement=False``: the DDL in the contract is a plain
  ``INTEGER PRIMARY KEY`` (no ``SERIAL`` on PostgreSQL, no ``AUTO_INCREMENT`` on MariaDB). Every
  writer supplies its ids.
- Boolean columns never get a ``CHECK`` constraint (``Boolean(create_constraint=False)``): real
  ERPs, and the test fixtures, store odd values in them on SQLite (``'S'``, ``'sim'``, ``'t'``).
- ``email_enviado.data_envio`` is a ``TIMESTAMP`` in the contract; SQLAlchemy's ``DateTime``
  renders it as ``TIMESTAMP WITHOUT TIME ZONE`` on PostgreSQL and ``DATETIME`` on MariaDB (whose
  ``TIMESTAMP`` type would add implicit auto-update and time zone conversion).
- The secondary indexes below are not part of the contract; they only speed up Carteiro's reads
  (invoices by due date and by customer, recipients and services by customer, the send log by
  customer and by invoice). :func:`create_schema` creates them with the tables; a bulk loader can
  create the tables without them (:func:`create_tables`) and add them after loading
  (:func:`create_indexes`).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateTable

__all__ = [
    "TABLE_NAMES",
    "cliente",
    "cliente_contato",
    "cliente_servico",
    "create_indexes",
    "create_schema",
    "create_tables",
    "drop_schema",
    "email_enviado",
    "fatura",
    "forma_cobranca",
    "forma_cobranca_regra_email",
    "forma_cobranca_status_envio",
    "metadata",
    "remetente_email",
    "rotina",
    "servico_status",
]

metadata = MetaData()


def _pk(name: str) -> Column[int]:
    """An ``INTEGER PRIMARY KEY`` supplied by the writer (no sequence, no auto increment)."""
    return Column(name, Integer, primary_key=True, autoincrement=False)


def _bool(name: str) -> Column[bool]:
    """A nullable BOOLEAN without CHECK constraint (odd ERP values must be storable)."""
    return Column(name, Boolean(create_constraint=False), nullable=True)


servico_status = Table(
    "servico_status",
    metadata,
    _pk("id_servico_status"),
    Column("descricao", String(100), nullable=False),
    Column("prefixo", String(60), nullable=False),
)

cliente = Table(
    "cliente",
    metadata,
    _pk("id_cliente"),
    Column("nome_razaosocial", String(200), nullable=False),
    Column("cpf_cnpj", String(20)),
    Column("cidade", String(100)),
    Column("email_principal", String(400)),
    _bool("permite_enviar_email"),
    _bool("ativo"),
)

cliente_contato = Table(
    "cliente_contato",
    metadata,
    _pk("id_cliente_contato"),
    Column("id_cliente", Integer, nullable=False),
    Column("nome", String(200)),
    Column("email", String(400)),
    _bool("permite_enviar_email"),
)

cliente_servico = Table(
    "cliente_servico",
    metadata,
    _pk("id_cliente_servico"),
    Column("id_cliente", Integer, nullable=False),
    Column("id_servico_status", Integer, nullable=False),
    Column("plano", String(100)),
    Column("envio_cobranca", String(20)),
)

remetente_email = Table(
    "remetente_email",
    metadata,
    _pk("id_remetente_email"),
    Column("descricao", String(100), nullable=False),
    Column("host", String(200), nullable=False),
    Column("porta", Integer, nullable=False),
    Column("seguranca", String(10), nullable=False),
    Column("usuario", String(200)),
    Column("email_origem", String(200), nullable=False),
    Column("intervalo_segundos", Integer),
    _bool("padrao"),
    _bool("ativo"),
)

forma_cobranca = Table(
    "forma_cobranca",
    metadata,
    _pk("id_forma_cobranca"),
    Column("descricao", String(100), nullable=False),
    Column("id_remetente_email", Integer),
    _bool("ativo"),
)

forma_cobranca_regra_email = Table(
    "forma_cobranca_regra_email",
    metadata,
    _pk("id_regra_email"),
    Column("id_forma_cobranca", Integer, nullable=False),
    Column("dias", Integer, nullable=False),
    Column("assunto", String(200)),
    _bool("ativo"),
)

forma_cobranca_status_envio = Table(
    "forma_cobranca_status_envio",
    metadata,
    Column("id_forma_cobranca", Integer, nullable=False),
    Column("id_servico_status", Integer, nullable=False),
)

rotina = Table(
    "rotina",
    metadata,
    _pk("id_rotina"),
    Column("tipo", String(60), nullable=False),
    Column("horario", String(5)),
    _bool("ativo"),
)

fatura = Table(
    "fatura",
    metadata,
    _pk("id_fatura"),
    Column("id_cliente", Integer, nullable=False),
    Column("id_cliente_servico", Integer),
    Column("id_forma_cobranca", Integer),
    Column("data_vencimento", Date),
    Column("valor", Numeric(12, 2)),
    Column("status", String(20)),
    Column("data_pagamento", Date),
)

email_enviado = Table(
    "email_enviado",
    metadata,
    _pk("id_email_enviado"),
    Column("id_cliente", Integer),
    Column("id_fatura", Integer),
    Column("email_destino", String(400)),
    Column("tipo_documento", String(40)),
    Column("data_envio", DateTime),
    _bool("enviado"),
    Column("mensagem_erro", Text),
)

# Secondary indexes for Carteiro's reads (not part of the contract, harmless to an ERP copy).
Index("ix_fatura_data_vencimento", fatura.c.data_vencimento)
Index("ix_fatura_id_cliente", fatura.c.id_cliente)
Index("ix_cliente_contato_id_cliente", cliente_contato.c.id_cliente)
Index("ix_cliente_servico_id_cliente", cliente_servico.c.id_cliente)
Index("ix_email_enviado_id_cliente", email_enviado.c.id_cliente)
Index("ix_email_enviado_id_fatura", email_enviado.c.id_fatura)

#: Table names in dependency-free creation order (the schema has no foreign keys).
TABLE_NAMES: tuple[str, ...] = tuple(metadata.tables)


def create_schema(engine: Engine) -> None:
    """Create every ERP table and its secondary indexes (existing ones are left alone)."""
    metadata.create_all(engine, checkfirst=True)


def drop_schema(engine: Engine) -> None:
    """Drop every ERP table of this schema that exists; other tables are not touched."""
    metadata.drop_all(engine, checkfirst=True)


def create_tables(conn: Connection) -> None:
    """Create every ERP table without its secondary indexes (for bulk loading).

    The tables must not exist. Call :func:`create_indexes` after loading.
    """
    for table in metadata.sorted_tables:
        conn.execute(CreateTable(table, include_foreign_key_constraints=[]))


def create_indexes(conn: Connection) -> None:
    """Create the secondary indexes of every ERP table (after a bulk load)."""
    for table in metadata.sorted_tables:
        for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
            index.create(conn)

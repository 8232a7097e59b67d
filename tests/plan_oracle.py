"""The oracle for the fix plan: each correction written as SQL on a *copy* of the SQLite file
(what a person would do in the ERP), audited from scratch through ``load_data`` + ``evaluate``.

The SQL here is written from the correction's parameters (method, offsets, status, ids), not
from :meth:`Correction.apply`: it is an independent way to the same corrected ERP. Where the
ERP offers a simpler equivalent, the oracle takes it (allow e-mail on every recipient of the
customer; give every recipient a valid address; a service allows e-mail by going back to the
system default, NULL).
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from carteiro.columns import CustomerAudit, Invoice
from carteiro.erp.dataset import DEFAULT_EXCLUDED_STATUSES
from carteiro.erp.load import load_data
from carteiro.erp.normalise import normalise_word
from carteiro.period import Period
from carteiro.plan import corrections as fix
from carteiro.rules.engine import Audit, evaluate


@dataclasses.dataclass
class Erp:
    """A copy of an ERP database and the sender-test history that goes with it."""

    path: Path
    sender_tests: dict[int, Any]

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def audit(self, period: Period) -> Audit:
        return evaluate(load_data(self.url, period), period, dict(self.sender_tests))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_of(path: Path, target: Path, sender_tests: dict[int, Any] | None = None) -> Erp:
    shutil.copyfile(path, target)
    return Erp(target, dict(sender_tests or {}))


def covered(audit: Audit) -> int:
    return int((audit.customers[CustomerAudit.STATUS] == "covered").sum())


def eligible(audit: Audit) -> int:
    return int(audit.invoices[Invoice.ELIGIBLE].sum())


def open_without_notice(audit: Audit) -> float:
    inv = audit.invoices
    return float(inv.loc[~inv[Invoice.ELIGIBLE] & inv[Invoice.UNPAID], Invoice.AMOUNT].sum())


def _in(ids: Iterable[Any]) -> str:
    return ",".join(str(int(i)) for i in ids) or "NULL"


def _statuses_with(conn: sqlite3.Connection, wanted: set[str], exclude: bool) -> list[int]:
    rows = conn.execute("SELECT id_servico_status, prefixo FROM servico_status").fetchall()
    return [sid for sid, prefix in rows
            if prefix is not None and (normalise_word(prefix) in wanted) != exclude]


def _allow_status(conn: sqlite3.Connection, c: fix.AllowStatus) -> None:
    has = conn.execute("SELECT count(*) FROM forma_cobranca_status_envio "
                       "WHERE id_forma_cobranca = ?", (c.method_id,)).fetchone()[0]
    ids = set(_statuses_with(conn, {c.status}, exclude=False))
    if not has:  # the default selection made explicit: every status but cancelado/inativo
        ids |= set(_statuses_with(conn, set(DEFAULT_EXCLUDED_STATUSES), exclude=True))
    conn.executemany("INSERT INTO forma_cobranca_status_envio VALUES (?, ?)",
                     [(c.method_id, sid) for sid in sorted(ids)])


def _add_rules(conn: sqlite3.Connection, method_id: int, offsets: Iterable[int]) -> None:
    conn.executemany("INSERT INTO forma_cobranca_regra_email (id_forma_cobranca, dias, assunto, "
                     "ativo) VALUES (?, ?, 'regra nova', 1)",
                     [(method_id, d) for d in offsets])


def apply_sql(erp: Erp, correction: fix.Correction) -> None:
    """The correction done in the ERP copy (and, for a sender, in its test history)."""
    conn = sqlite3.connect(erp.path)
    c = correction
    with conn:
        if isinstance(c, fix.ActivateRoutine):
            if c.routine_id is None:
                conn.execute("INSERT INTO rotina (tipo, horario, ativo) "
                             "VALUES ('envio_email_cobranca', '08:00', 1)")
            else:
                conn.execute("UPDATE rotina SET ativo = 1 WHERE id_rotina = ?", (c.routine_id,))
        elif isinstance(c, fix.FixSender):
            conn.execute("UPDATE remetente_email SET ativo = 1 WHERE id_remetente_email = ?",
                         (c.sender_id,))
            erp.sender_tests.pop(c.sender_id, None)
        elif isinstance(c, fix.RepointSender):
            conn.execute("UPDATE forma_cobranca SET id_remetente_email = NULL "
                         "WHERE id_remetente_email = ?", (c.sender_id,))
        elif isinstance(c, fix.CreateSender):
            conn.execute("INSERT INTO remetente_email (descricao, host, porta, seguranca, "
                         "email_origem, padrao, ativo) VALUES ('Novo', 'smtp.x.com.br', 587, "
                         "'tls', 'cobranca@x.com.br', 1, 1)")
        elif isinstance(c, fix.AddRules):  # AddRule too
            _add_rules(conn, c.method_id, c.offsets)
        elif isinstance(c, fix.AllowStatus):
            _allow_status(conn, c)
        elif isinstance(c, fix.LinkMethod):
            conn.execute(f"UPDATE fatura SET id_forma_cobranca = ? "
                         f"WHERE id_fatura IN ({_in(c.ids)})", (c.method_id,))
        elif isinstance(c, fix.LinkService):
            conn.executemany("UPDATE fatura SET id_cliente_servico = ? WHERE id_fatura = ?",
                             [(int(s), int(i)) for i, s in zip(c.ids, c.service_ids,
                                                               strict=True)])
        elif isinstance(c, fix.AllowEmail):
            conn.execute(f"UPDATE cliente_servico SET envio_cobranca = NULL "
                         f"WHERE id_cliente_servico IN ({_in(c.ids)})")
        elif isinstance(c, fix.AllowContacts):
            for table in ("cliente", "cliente_contato"):
                conn.execute(f"UPDATE {table} SET permite_enviar_email = 1 "
                             f"WHERE id_cliente IN ({_in(c.ids)})")
        elif isinstance(c, fix.FixAddresses):
            conn.execute(f"UPDATE cliente SET email_principal = 'ok' || id_cliente || "
                         f"'@exemplo.com.br' WHERE id_cliente IN ({_in(c.ids)})")
            conn.execute(f"UPDATE cliente_contato SET email = 'ok' || id_cliente_contato || "
                         f"'@exemplo.com.br' WHERE id_cliente IN ({_in(c.ids)})")
        else:
            raise AssertionError(f"no SQL for {c!r}")
    conn.close()

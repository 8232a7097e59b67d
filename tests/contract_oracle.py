"""An independent oracle of ``shared/docs/domain.md``'s nine conditions: slow, per row, plain
Python over a SQLite ERP database read with :mod:`sqlite3`. It imports nothing from
``carteiro``; the only shared dependency is the contract's own reference for addresses,
``email-validator`` with ``check_deliverability=False``.

:func:`audit_invoices` returns, per invoice in scope (ascending id), the failing condition
codes in the contract's order. Sender tests are not modelled (no history: no sender is failed).

Choices the contract leaves open, made here as an ERP support analyst would (and as the
dashboard documents them):

* a yes/no word is compared after Unicode NFC composition (``na\\u0303o`` is ``não``);
* an id written as text is read when it is a decimal number with an integral value
  (``7``, ``+7``, ``7.0``);
* duplicated invoice ids: the first row among those whose due date is readable and in the
  period (cancelled ones included), then a cancelled first row takes the id out of scope;
* a billing method "selects" statuses when any row of ``forma_cobranca_status_envio`` names
  it, even if that row names an unknown status (then nothing is allowed).
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from email_validator import EmailNotValidError, validate_email

CODES = ("no_email_routine", "sender_unavailable", "method_without_rules",
         "invoice_outside_rules", "service_missing", "service_status_excluded",
         "service_blocks_email", "no_contact_allows_email", "no_valid_email")

YES = {"1", "s", "sim", "t", "true", "yes", "y", "verdadeiro"}
NO = {"0", "n", "não", "nao", "f", "false", "no", "falso"}
OPEN_WORDS = {"aberto", "aberta", "em_aberto", "vencido", "vencida"}
PAID_WORDS = {"pago", "paga", "quitado"}
CANCELLED_WORDS = {"cancelado", "cancelada"}
ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})"
                 r"(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?"
                 r"(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?)?")


# Values -----------------------------------------------------------------------------------------
def flag(value: Any) -> bool | None:
    """A yes/no flag; None for null and for any spelling the contract does not list."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return {1: True, 0: False}.get(value) if value in (0, 1) else None
    if isinstance(value, bytes):
        return None
    if isinstance(value, str):
        word = unicodedata.normalize("NFC", value.strip()).lower()
        if word in YES:
            return True
        if word in NO:
            return False
    return None


def word(value: Any) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFKD", str(value).strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s\-]+", "_", text)


def integer(value: Any) -> int | None:
    """An id or a rule's days; None when null or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
            return None
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", text):
            return None
        try:
            exact = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern is a Decimal
            return None
        if exact != exact.to_integral_value():
            return None
        number = int(exact)
    else:
        return None
    return number if -(2**63) <= number < 2**63 else None


def day(value: Any) -> dt.date | None:
    """A date as written; None when null or unreadable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    match = ISO.fullmatch(value.strip())
    if not match:
        return None
    try:
        return dt.date(*map(int, match.groups()))
    except ValueError:
        return None


@cache
def valid_address(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def valid_field(field: Any) -> bool:
    if not isinstance(field, str):
        return False
    return any(valid_address(part.strip()) for part in re.split(r"[,;]", field)
               if part.strip())


# Reading ----------------------------------------------------------------------------------------
def rows(conn: sqlite3.Connection, table: str) -> list[dict[str, Any]]:
    cursor = conn.execute(f"SELECT * FROM {table} ORDER BY rowid")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def by_id(table: list[dict[str, Any]], key: str) -> dict[int, dict[str, Any]]:
    """Rows by readable id, the first row of a repeated id."""
    out: dict[int, dict[str, Any]] = {}
    for row in table:
        rid = integer(row[key])
        if rid is not None and rid not in out:
            out[rid] = row
    return out


def reference(value: Any) -> tuple[bool, int | None]:
    """(null, id): null means "none"; an unreadable value gives (False, None): unknown."""
    return value is None, integer(value)


# The audit --------------------------------------------------------------------------------------
def audit_invoices(path: str, start: dt.date, end: dt.date) -> dict[int, list[str]]:
    """Invoice id → failing condition codes (contract order), for every invoice in scope."""
    return {iid: codes for iid, (_, codes) in _audited(path, start, end).items()}


def audit_customers(path: str, start: dt.date, end: dt.date) -> dict[int | None, tuple[str, str]]:
    """Customer id (None: no readable one) → (coverage, reasons joined by ``;``): covered when
    all its invoices in scope are eligible, partial when some are, not covered when none is;
    reasons the union of its invoices', in the contract's order."""
    invoices: dict[int | None, list[list[str]]] = {}
    for customer, codes in _audited(path, start, end).values():
        invoices.setdefault(customer, []).append(codes)
    out: dict[int | None, tuple[str, str]] = {}
    for customer, lists in invoices.items():
        eligible = sum(not codes for codes in lists)
        coverage = ("covered" if eligible == len(lists) else
                    "not_covered" if eligible == 0 else "partial")
        union = {code for codes in lists for code in codes}
        out[customer] = (coverage, ";".join(c for c in CODES if c in union))
    return out


def _audited(path: str, start: dt.date,
             end: dt.date) -> dict[int, tuple[int | None, list[str]]]:
    conn = sqlite3.connect(path)
    try:
        return _audit(conn, start, end)
    finally:
        conn.close()


def _default_sender(senders: dict[int, dict[str, Any]]) -> int | None:
    active = sorted(i for i, s in senders.items() if flag(s["ativo"]) is True)
    marked = [i for i in active if flag(senders[i]["padrao"]) is True]
    return (marked or active or [None])[0]


def _audit(conn: sqlite3.Connection, start: dt.date,
           end: dt.date) -> dict[int, tuple[int | None, list[str]]]:
    statuses = by_id(rows(conn, "servico_status"), "id_servico_status")
    customers = by_id(rows(conn, "cliente"), "id_cliente")
    services = by_id(rows(conn, "cliente_servico"), "id_cliente_servico")
    senders = by_id(rows(conn, "remetente_email"), "id_remetente_email")
    methods = by_id(rows(conn, "forma_cobranca"), "id_forma_cobranca")
    routine = any(flag(r["ativo"]) is True and word(r["tipo"]) == "envio_email_cobranca"
                  for r in rows(conn, "rotina"))
    default_sender = _default_sender(senders)

    offsets: dict[int, list[int]] = {}
    for rule in rows(conn, "forma_cobranca_regra_email"):
        days, method = integer(rule["dias"]), integer(rule["id_forma_cobranca"])
        if flag(rule["ativo"]) is True and method is not None and days is not None \
                and -3650 <= days <= 3650:
            offsets.setdefault(method, []).append(days)

    selections: dict[int, set[str]] = {}
    for row in rows(conn, "forma_cobranca_status_envio"):
        method = integer(row["id_forma_cobranca"])
        if method is None:
            continue
        status = statuses.get(integer(row["id_servico_status"]))  # type: ignore[arg-type]
        chosen = selections.setdefault(method, set())
        if status is not None and word(status["prefixo"]) is not None:
            chosen.add(word(status["prefixo"]))  # type: ignore[arg-type]

    recipients: dict[int, list[tuple[Any, Any]]] = {}
    for cid, customer in customers.items():
        recipients[cid] = [(customer["email_principal"], customer["permite_enviar_email"])]
    for contact in rows(conn, "cliente_contato"):
        cid = integer(contact["id_cliente"])
        if cid in recipients:
            recipients[cid].append((contact["email"], contact["permite_enviar_email"]))

    invoices: dict[int, dict[str, Any]] = {}
    for row in rows(conn, "fatura"):
        due, iid = day(row["data_vencimento"]), integer(row["id_fatura"])
        if due is None or iid is None or not start <= due <= end or iid in invoices:
            continue
        invoices[iid] = row

    out: dict[int, tuple[int | None, list[str]]] = {}
    for iid in sorted(invoices):
        row = invoices[iid]
        status_word = word(row["status"])
        if status_word in CANCELLED_WORDS:
            continue
        out[iid] = (integer(row["id_cliente"]), _conditions(
            row, status_word, routine=routine, senders=senders, default_sender=default_sender,
            methods=methods, offsets=offsets, selections=selections, services=services,
            statuses=statuses, recipients=recipients))
    return out


def _open_on(row: dict[str, Any], status_word: str | None, when: dt.date) -> bool:
    paid = day(row["data_pagamento"])
    if paid is not None:
        return paid >= when
    return status_word not in PAID_WORDS


def _conditions(row: dict[str, Any], status_word: str | None, *, routine: bool,
                senders: dict[int, dict[str, Any]], default_sender: int | None,
                methods: dict[int, dict[str, Any]], offsets: dict[int, list[int]],
                selections: dict[int, set[str]], services: dict[int, dict[str, Any]],
                statuses: dict[int, dict[str, Any]],
                recipients: dict[int, list[tuple[Any, Any]]]) -> list[str]:
    failing: set[str] = set()
    if not routine:
        failing.add("no_email_routine")
    # 2: the billing method's sender (or the default one without a known method)
    _, method_id = reference(row["id_forma_cobranca"])
    method = methods.get(method_id) if method_id is not None else None
    if method is None:
        sender_id = default_sender
    else:
        null, named = reference(method["id_remetente_email"])
        sender_id = default_sender if null else named
    sender = senders.get(sender_id) if sender_id is not None else None
    if sender is None or flag(sender["ativo"]) is not True:
        failing.add("sender_unavailable")
    # 3, 4
    rules = offsets.get(method_id, []) if method is not None else []
    if not rules:
        failing.add("method_without_rules")
    else:
        due = day(row["data_vencimento"])
        assert due is not None
        if not any(_open_on(row, status_word, due + dt.timedelta(days=d)) for d in rules):
            failing.add("invoice_outside_rules")
    # 5, 6, 7
    _, service_id = reference(row["id_cliente_servico"])
    service = services.get(service_id) if service_id is not None else None
    if service is None:
        failing.add("service_missing")
    else:
        status = statuses.get(integer(service["id_servico_status"]))  # type: ignore[arg-type]
        prefix = word(status["prefixo"]) if status is not None else None
        if method is not None and method_id in selections:
            excluded = prefix is None or prefix not in selections[method_id]
        else:
            excluded = prefix in ("cancelado", "inativo")
        if excluded:
            failing.add("service_status_excluded")
        if word(service["envio_cobranca"]) in ("somente_sms", "nenhum"):
            failing.add("service_blocks_email")
    # 8, 9
    _, customer_id = reference(row["id_cliente"])
    people = recipients.get(customer_id, []) if customer_id is not None else []
    allowing = [address for address, allows in people if flag(allows) is True]
    if not allowing:
        failing.add("no_contact_allows_email")
    elif not any(valid_field(address) for address in allowing):
        failing.add("no_valid_email")
    return [code for code in CODES if code in failing]

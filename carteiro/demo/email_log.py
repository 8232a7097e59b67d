"""The send log of the billing e-mail routine (``email_enviado``): what was sent, when, and how
it went.

The log covers the last two months' invoices. One row per send attempt, for the invoices the
routine plausibly handled: active rules of a method with an active sender, a service that exists
with an allowed status and a setting that allows e-mail, a customer with a consenting valid
recipient, the invoice still open on the send day; send days up to ``as_of``. A day's sends start
at the routine's hour, spaced by the sender's interval. About 1.5% of the sends fail with an SMTP
error; sends to placeholders and typo domains fail 60% of the time ("mailbox unavailable").
"""

from __future__ import annotations

import numpy as np

from carteiro.demo import schema
from carteiro.demo.configuration import (
    BILLING_METHODS,
    EMAIL_RULES,
    ROUTINE_HOUR,
    SENDERS,
    STATUS_NORM,
    STATUS_SELECTION,
    UNKNOWN_STATUS_ID,
)
from carteiro.demo.customers import P_GOOD
from carteiro.demo.invoices import MonthInvoices
from carteiro.demo.rows import Rows, object_array, shares
from carteiro.demo.services import ENVIO_VALUES
from carteiro.demo.world import World

SMTP_ERRORS = (
    "550 5.1.1 Mailbox unavailable",
    "550 5.1.1 The email account that you tried to reach does not exist",
    "552 5.2.2 Mailbox full",
    "421 4.7.0 Try again later, closing connection",
    "554 5.7.1 Message rejected as spam",
    "Connection timed out",
)
_SMTP_ERROR_WEIGHTS = [5, 2, 1, 1, 1, 0.5]

_RuleTuple = tuple[int, int, int, str, bool | None]


def _sending_methods() -> list[tuple[int, list[_RuleTuple], list[int]]]:
    """Each billing method whose e-mails can go out (active rules, an active sender): its id,
    its active rules and the service status ids it sends to."""
    active_sender = {s[0]: bool(s[9]) for s in SENDERS}
    default_sender = next(s[0] for s in SENDERS if s[8] and s[9])
    selection: dict[int, set[str]] = {}
    for method_id, status_id in STATUS_SELECTION:
        selection.setdefault(method_id, set()).add(STATUS_NORM[status_id])
    methods: list[tuple[int, list[_RuleTuple], list[int]]] = []
    for method_id, _desc, sender, _active in BILLING_METHODS:
        rules = [r for r in EMAIL_RULES if r[1] == method_id and r[4]]
        if not rules or not active_sender.get(sender or default_sender, False):
            continue
        allowed_norms = selection.get(method_id)
        if allowed_norms is None:
            allowed_ids = [s for s, p in STATUS_NORM.items() if p not in ("cancelado", "inativo")]
            allowed_ids.append(UNKNOWN_STATUS_ID)
        else:
            allowed_ids = [s for s, p in STATUS_NORM.items() if p in allowed_norms]
        methods.append((method_id, rules, allowed_ids))
    return methods


def _planned_sends(
    world: World, invoices: list[MonthInvoices], as_of: np.datetime64
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Send day, invoice id and customer index of every send, by day then invoice."""
    blocking = np.array([str(v[0]).strip().lower().replace(" ", "_") in ("somente_sms", "nenhum")
                         for v in ENVIO_VALUES])
    methods = _sending_methods()
    services = world.services
    parts: list[tuple[np.ndarray, ...]] = []
    for inv in invoices:
        has_service = inv.service >= 0
        svc = np.where(has_service, inv.service, 0)
        status_id = services.status[svc]
        ok = has_service & ~inv.cancelled & (world.customers.profile[inv.customer] == P_GOOD)
        ok &= ~blocking[services.envio[svc]]
        for method_id, rules, allowed_ids in methods:
            base = ok & (inv.method == method_id) & np.isin(status_id, allowed_ids)
            for rule in rules:
                send = inv.due + np.timedelta64(rule[2], "D")
                open_then = np.isnat(inv.paid_on) | (inv.paid_on >= send)
                m = base & open_then & (send <= as_of)
                parts.append((send[m], inv.rows.columns["id_fatura"][m], inv.customer[m]))
    if parts:
        send = np.concatenate([p[0] for p in parts])
        fatura_id = np.concatenate([p[1] for p in parts])
        cust = np.concatenate([p[2] for p in parts])
    else:
        send = np.array([], dtype="datetime64[D]")
        fatura_id = np.array([], dtype=np.int64)
        cust = np.array([], dtype=np.int64)
    order = np.lexsort((fatura_id, send))
    return send[order], fatura_id[order], cust[order]


def _send_times(send: np.ndarray) -> np.ndarray:
    """Sends of one day start at the routine's hour, spaced by the sender's interval (compressed
    when the day's queue would not fit before midnight). ``send`` is sorted by day."""
    n = len(send)
    new_day = np.ones(n, dtype=bool)
    new_day[1:] = send[1:] != send[:-1]
    day = np.cumsum(new_day) - 1
    rank = np.arange(n) - np.flatnonzero(new_day)[day]
    per_day = np.bincount(day)[day]
    interval = SENDERS[0][7]
    step = np.minimum(float(interval), (24 - ROUTINE_HOUR) * 3600 / np.maximum(per_day, 1))
    seconds = ROUTINE_HOUR * 3600 + np.floor(rank * step).astype(np.int64)
    return send.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def _outcomes(rng: np.random.Generator, bad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which sends failed, and the SMTP error of each (used where it failed). ``bad``: the
    destination is a placeholder or a typo domain."""
    n = len(bad)
    fail = rng.random(n) < np.where(bad, 0.6, 0.015)
    error = object_array(SMTP_ERRORS)[
        rng.choice(len(SMTP_ERRORS), n, p=shares(_SMTP_ERROR_WEIGHTS))
    ]
    error = np.where(bad, SMTP_ERRORS[0], error)
    return fail, error


def sent_emails(
    rng: np.random.Generator,
    world: World,
    invoices: list[MonthInvoices],
    as_of: np.datetime64,
) -> Rows:
    """The ``email_enviado`` rows for the given (recent) months' invoices."""
    send, fatura_id, cust = _planned_sends(world, invoices, as_of)
    n = len(send)
    stamp = _send_times(send)
    fail, error = _outcomes(rng, world.recipients.dest_bad[cust])
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

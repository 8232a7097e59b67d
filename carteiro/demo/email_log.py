"""The send log of the billing e-mail routine (``email_enviado``): what was sent, when, and how
it went.

The log covers the last two months' invoices. One row per send attempt, for the invoices the
routine plausibly handled: active rules of a method with an active sender, a service that exists
with an allowed status and a setting that allows e-mail, a customer with a consenting valid
recipient, the invoice still open on the send day; send days up to ``as_of``. A day's sends start
at the routine's hour, spaced by the sender's interval.

What the log carries, so that every delivery status and error kind of the contract occurs
(:mod:`carteiro.delivery`), at realistic rates:

- **sent_while_ineligible**: "Carnê" sent through the "Gmail (antigo)" sender until it was
  switched off on the 8th of the last month (:attr:`Incidents.switch_day`); its invoices fail
  ``sender_unavailable`` now, yet the earlier sends are in the log;
- **missing**: the routine skipped every send of about 0.4% of the invoices, and did not run at
  all on one day of the last month before ``as_of`` (:attr:`Incidents.silent_day`: a day without
  sends);
- **failed**, with every error kind: a destination's standing problem (an address that does not
  exist — most sends to placeholders and typo domains —, a full mailbox, a spam filter, a
  malformed address) fails most of its sends with the same kind of reply; transient refusals
  (greylisting, timeouts, unrecognised messages, a few without any message) fail a few sends
  anywhere; the sender's password was wrong at the start of one morning
  (:attr:`Incidents.auth_day`) and the mail server unreachable for a while on another
  (:attr:`Incidents.connection_day`). Real server replies, Portuguese ones too;
- other e-mails in the same table (``nota_fiscal``, ``Aviso de Suspensão``, ``segunda_via``),
  a few billing rows spelled ``Fatura``, and a handful of rows whose ``enviado`` is NULL (the
  routine stopped before recording the outcome).

Every random draw comes after the invoices' (the invoice data stays the same), in a fixed order.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from carteiro.demo.rows import Rows, object_array
from carteiro.demo.services import ENVIO_VALUES
from carteiro.demo.world import World

# Outcome of a send attempt: 0 = accepted; otherwise the contract's error kind it shows.
OK, AUTH, UNKNOWN_USER, FULL, POLICY, INVALID, TEMPORARY, CONNECTION, OTHER = range(9)
# Replies per kind ({a}: the destination address; None: no message at all).
SMTP_REPLIES: dict[int, tuple[str | None, ...]] = {
    AUTH: ("535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6",
           "535 5.7.8 Authentication credentials invalid",
           "SMTP Error: Could not authenticate."),
    UNKNOWN_USER: (
        "550 5.1.1 <{a}>: Recipient address rejected: User unknown in virtual mailbox table",
        "550-5.1.1 The email account that you tried to reach does not exist. Please try "
        "double-checking the recipient's email address for typos or unnecessary spaces.",
        "550 5.1.1 <{a}>: Usuário inexistente",
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient {a} not found by SMTP address "
        "lookup"),
    FULL: ("552 5.2.2 Mailbox full",
           "552 5.2.2 <{a}>: Quota exceeded (mailbox for user is full)",
           "452 4.2.2 The email account that you tried to reach is over quota.",
           "Caixa cheia: o destinatário excedeu o limite de armazenamento"),
    POLICY: ("554 5.7.1 Message rejected as spam",
             "550 5.7.1 Service unavailable; client [200.150.10.20] blocked using "
             "zen.spamhaus.org",
             "550 5.7.26 Unauthenticated email from conectasul.net.br is not accepted due to "
             "domain's DMARC policy",
             "554 Mensagem bloqueada pelo filtro anti-spam do provedor"),
    INVALID: ("553 5.1.3 <{a}>: Recipient address rejected: bad address syntax",
              "501 5.1.3 Bad recipient address syntax",
              "Endereço de e-mail inválido: {a}"),
    TEMPORARY: ("421 4.7.0 Try again later, closing connection.",
                "451 4.7.1 Greylisting in action, please come back later",
                "450 4.2.1 The user you are trying to contact is receiving mail at a rate that "
                "prevents additional messages from being delivered.",
                "Servidor ocupado, tente novamente mais tarde"),
    CONNECTION: ("Connection timed out",
                 "[Errno 111] Connection refused",
                 "Connection reset by peer",
                 "Tempo esgotado ao conectar em mail.conectasul.net.br:465"),
    OTHER: ("Erro ao gerar o PDF da fatura: arquivo não encontrado",
            "Falha desconhecida no envio",
            None),
}
# A destination's standing problem: (kind, share among ordinary / bad destinations, share of
# its sends that fail).
_STANDING = ((UNKNOWN_USER, 0.008, 0.75, 0.95), (FULL, 0.006, 0.05, 0.8),
             (POLICY, 0.004, 0.05, 0.7), (INVALID, 0.0015, 0.05, 1.0))
_TRANSIENT = ((TEMPORARY, 0.006), (CONNECTION, 0.002), (OTHER, 0.0008))
OTHER_DOCUMENTS = ("nota_fiscal", "Aviso de Suspensão", "segunda_via")

_RuleTuple = tuple[int, int, int, str, bool | None]


@dataclass(frozen=True)
class Incidents:
    """What went wrong with the routine, by day (NaT: it did not happen)."""

    switch_day: np.datetime64  # "Gmail (antigo)" switched off: Carnê sends stop
    silent_day: np.datetime64  # the routine did not run
    auth_day: np.datetime64  # the sender's password was wrong in the morning
    connection_day: np.datetime64  # the mail server was unreachable for a while


def _sending_methods() -> list[tuple[int, list[_RuleTuple], list[int], bool]]:
    """Each billing method with active rules and a sender: its id, its active rules, the
    service status ids it sends to, and whether its sender is still active."""
    active_sender = {s[0]: bool(s[9]) for s in SENDERS}
    default_sender = next(s[0] for s in SENDERS if s[8] and s[9])
    selection: dict[int, set[str]] = {}
    for method_id, status_id in STATUS_SELECTION:
        selection.setdefault(method_id, set()).add(STATUS_NORM[status_id])
    methods: list[tuple[int, list[_RuleTuple], list[int], bool]] = []
    for method_id, _desc, sender, _active in BILLING_METHODS:
        rules = [r for r in EMAIL_RULES if r[1] == method_id and r[4]]
        if not rules or (sender or default_sender) not in active_sender:
            continue
        allowed_norms = selection.get(method_id)
        if allowed_norms is None:
            allowed_ids = [s for s, p in STATUS_NORM.items() if p not in ("cancelado", "inativo")]
            allowed_ids.append(UNKNOWN_STATUS_ID)
        else:
            allowed_ids = [s for s, p in STATUS_NORM.items() if p in allowed_norms]
        methods.append((method_id, rules, allowed_ids, active_sender[sender or default_sender]))
    return methods


def _planned_sends(
    world: World, invoices: list[MonthInvoices], as_of: np.datetime64, switch_day: np.datetime64
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Send day, invoice id and customer index of every send, by day then invoice (a method
    whose sender is inactive sent only before ``switch_day``)."""
    blocking = np.array([str(v[0]).strip().lower().replace(" ", "_") in ("somente_sms", "nenhum")
                         for v in ENVIO_VALUES])
    services = world.services
    parts: list[tuple[np.ndarray, ...]] = []
    for inv in invoices:
        has_service = inv.service >= 0
        svc = np.where(has_service, inv.service, 0)
        status_id = services.status[svc]
        ok = has_service & ~inv.cancelled & (world.customers.profile[inv.customer] == P_GOOD)
        ok &= ~blocking[services.envio[svc]]
        for method_id, rules, allowed_ids, sender_active in _sending_methods():
            base = ok & (inv.method == method_id) & np.isin(status_id, allowed_ids)
            last = as_of if sender_active else min(as_of, switch_day - np.timedelta64(1, "D"))
            for rule in rules:
                send = inv.due + np.timedelta64(rule[2], "D")
                open_then = np.isnat(inv.paid_on) | (inv.paid_on >= send)
                m = base & open_then & (send <= last)
                parts.append((send[m], inv.rows.columns["id_fatura"][m], inv.customer[m]))
    send = np.concatenate([p[0] for p in parts]) if parts else np.array([], "datetime64[D]")
    fatura_id = np.concatenate([p[1] for p in parts]) if parts else np.array([], np.int64)
    cust = np.concatenate([p[2] for p in parts]) if parts else np.array([], np.int64)
    order = np.lexsort((fatura_id, send))
    return send[order], fatura_id[order], cust[order]


def _switch_day(as_of: np.datetime64) -> np.datetime64:
    """The day "Gmail (antigo)" was switched off: the 8th of ``as_of``'s month."""
    return as_of.astype("datetime64[M]").astype("datetime64[D]") + np.timedelta64(7, "D")


def _incidents(send: np.ndarray, fatura_id: np.ndarray, as_of: np.datetime64) -> Incidents:
    """The incident days, among the days with sends before ``as_of``: the silent day in the
    middle of the last month's (of all when it has none); the password on the day of the last
    ten on which most invoices got their first notice, the server on the busiest such day
    before it (so the incidents touch invoices that had no notice yet)."""
    month_start = as_of.astype("datetime64[M]").astype("datetime64[D]")
    nat = np.datetime64("NaT", "D")
    days = np.unique(send[send < as_of])
    this_month = days[days >= month_start]
    pool = this_month if len(this_month) else days
    silent = pool[len(pool) // 2] if len(pool) else nat
    first = send[np.unique(fatura_id, return_index=True)[1]]
    starts, count = np.unique(first[(first < as_of) & (first != silent)], return_counts=True)

    def busiest(mask: np.ndarray) -> np.datetime64:
        return starts[mask][np.argmax(count[mask])] if mask.any() else nat

    recent = starts >= as_of - np.timedelta64(10, "D")
    auth = busiest(recent) if recent.any() else busiest(starts == starts)
    return Incidents(_switch_day(as_of), silent, auth, busiest(starts < auth))


def _send_times(send: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sends of one day start at the routine's hour, spaced by the sender's interval (compressed
    when the day's queue would not fit before midnight). ``send`` is sorted by day. Also the
    position of each send in its day's queue, from 0 to 1."""
    n = len(send)
    new_day = np.ones(n, dtype=bool)
    new_day[1:] = send[1:] != send[:-1]
    day = np.cumsum(new_day) - 1
    rank = np.arange(n) - np.flatnonzero(new_day)[day] if n else np.zeros(0, np.int64)
    per_day = np.bincount(day)[day] if n else np.zeros(0, np.int64)
    interval = SENDERS[0][7]
    step = np.minimum(float(interval), (24 - ROUTINE_HOUR) * 3600 / np.maximum(per_day, 1))
    seconds = ROUTINE_HOUR * 3600 + np.floor(rank * step).astype(np.int64)
    stamp = send.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    return stamp, rank / np.maximum(per_day, 1)


def _kept(rng: np.random.Generator, send: np.ndarray, fatura_id: np.ndarray,
          incidents: Incidents) -> np.ndarray:
    """The sends the routine made: not on the silent day, not of a skipped invoice."""
    ids, where = np.unique(fatura_id, return_inverse=True)
    skipped = rng.random(len(ids)) < 0.004
    return ~skipped[where] & (send != incidents.silent_day)


def _standing_problems(rng: np.random.Generator, bad: np.ndarray) -> np.ndarray:
    """Per destination (customer), its standing problem (OK for most). ``bad``: the address is
    a placeholder or on a typo domain."""
    u = rng.random(len(bad))
    problem = np.full(len(bad), OK, dtype=np.int8)
    low = np.zeros(len(bad))
    for kind, ordinary, on_bad, _fails in _STANDING:
        share = np.where(bad, on_bad, ordinary)
        problem[(u >= low) & (u < low + share)] = kind
        low = low + share
    return problem


def _outcomes(rng: np.random.Generator, problem: np.ndarray, send: np.ndarray,
              queue: np.ndarray, incidents: Incidents) -> np.ndarray:
    """The outcome of each send: its destination's standing problem (most of the time), a
    transient refusal, or the day's incident (the password in the first 3% of the auth day's
    queue, the server between 50% and 55% of the connection day's)."""
    n = len(problem)
    fails_by_kind = np.zeros(OTHER + 1)
    for kind, _ordinary, _bad, fails in _STANDING:
        fails_by_kind[kind] = fails
    outcome = np.where(rng.random(n) < fails_by_kind[problem], problem, OK).astype(np.int8)
    u = rng.random(n)
    low = 0.0
    for kind, share in _TRANSIENT:
        outcome[(outcome == OK) & (u >= low) & (u < low + share)] = kind
        low += share
    outcome[(send == incidents.connection_day) & (queue >= 0.5) & (queue < 0.55)] = CONNECTION
    outcome[(send == incidents.auth_day) & (queue < 0.03)] = AUTH
    return outcome


def _messages(rng: np.random.Generator, outcome: np.ndarray, address: np.ndarray) -> np.ndarray:
    """The ERP's ``mensagem_erro`` of each send (None where accepted): a reply of its kind."""
    message = np.full(len(outcome), None, dtype=object)
    for kind, replies in SMTP_REPLIES.items():
        rows = np.flatnonzero(outcome == kind)
        if not len(rows):
            continue
        choice = rng.integers(0, len(replies), len(rows))
        for r, reply in enumerate(replies):
            picked = rows[choice == r]
            if reply is None or not len(picked):
                continue
            before, _, after = reply.partition("{a}")
            text = np.full(len(picked), before, dtype=object)
            if "{a}" in reply:
                text = text + address[picked].astype(str).astype(object) + after
            message[picked] = text
    return message


def _with_other_documents(rng: np.random.Generator, columns: dict[str, np.ndarray],
                          stamp: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The billing rows plus copies as other documents (3% of them: invoices, suspension
    notices, duplicates sent by other routines, accepted), sorted by time."""
    extra = np.flatnonzero(rng.random(len(stamp)) < 0.03)
    kind = object_array(OTHER_DOCUMENTS)[rng.integers(0, len(OTHER_DOCUMENTS), len(extra))]
    copies = {name: values[extra] for name, values in columns.items()}
    copies["tipo_documento"] = kind
    copies["enviado"] = np.ones(len(extra), dtype=np.int8)
    copies["mensagem_erro"] = np.full(len(extra), None, dtype=object)
    merged = {name: np.concatenate([values, copies[name]]) for name, values in columns.items()}
    when = np.concatenate([stamp, stamp[extra]])
    order = np.argsort(when, kind="stable")
    return {name: values[order] for name, values in merged.items()}, when[order]


def sent_emails(
    rng: np.random.Generator,
    world: World,
    invoices: list[MonthInvoices],
    as_of: np.datetime64,
) -> Rows:
    """The ``email_enviado`` rows for the given (recent) months' invoices."""
    send, fatura_id, cust = _planned_sends(world, invoices, as_of, _switch_day(as_of))
    incidents = _incidents(send, fatura_id, as_of)
    kept = _kept(rng, send, fatura_id, incidents)
    send, fatura_id, cust = send[kept], fatura_id[kept], cust[kept]
    stamp, queue = _send_times(send)
    address = world.recipients.dest[cust]
    problem = _standing_problems(rng, world.recipients.dest_bad)[cust]
    outcome = _outcomes(rng, problem, send, queue, incidents)
    sent = np.where(outcome == OK, 1, 0).astype(np.int8)
    sent[rng.random(len(sent)) < 0.0005] = -1  # the outcome was never recorded
    document = np.where(rng.random(len(sent)) < 0.02, "Fatura", "fatura").astype(object)
    columns = {
        "id_cliente": cust.astype(np.int64) + 1,
        "id_fatura": fatura_id.astype(np.int64),
        "email_destino": address,
        "tipo_documento": document,
        "enviado": sent,
        "mensagem_erro": np.where(sent == -1, None, _messages(rng, outcome, address)),
    }
    columns, stamp = _with_other_documents(rng, columns, stamp)
    n = len(stamp)
    return Rows(
        schema.email_enviado,
        {
            "id_email_enviado": np.arange(1, n + 1, dtype=np.int64),
            "id_cliente": columns["id_cliente"],
            "id_fatura": columns["id_fatura"],
            "email_destino": columns["email_destino"],
            "tipo_documento": columns["tipo_documento"],
            "data_envio": stamp,
            "enviado": columns["enviado"],
            "mensagem_erro": columns["mensagem_erro"],
        },
    )

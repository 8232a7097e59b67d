"""Raw query results → the normalised tables the engine reads, plus the data problems.

``RawTables`` holds what ``queries/*.sql`` returned, untouched; :func:`normalise_reference`
applies the contract's value rules table by table (``carteiro.erp.normalise``), the
invoices last (:meth:`Reference.with_invoices`), and reports every
problem it finds. The choices the contract leaves open are written down here:

* an unknown yes/no spelling is treated like a null (not allowed / inactive) and reported once,
  as an unknown value (not also as a null ``ativo``);
* a service, contact or invoice naming a customer that does not exist is reported; such a
  contact is no recipient of anyone;
* a row of «Status do Serviço para Envio» naming an unknown status or billing method is
  reported; it still makes the method's selection explicit (an analyst who ticked a status
  that no longer exists has still chosen a list); one naming no readable method is left out;
* a null billing method on an invoice is not a data problem (condition 3 reports it); an id
  that names no row is; a null service status id is reported («serviço sem status»);
* invoices are checked for data problems only when in scope (due in the period, not
  cancelled); missing and unreadable due dates are reported for every row the query returned,
  and null or unreadable invoice ids and duplicates for the rows due in the period (cancelled
  or not: the first such row decides whether the invoice is cancelled);
* a row whose own id is null or unreadable is reported as ``missing_id`` / ``unreadable_id``
  (the problem shows the raw value); rows without a readable id are no duplicates of each
  other; the customer record's own address shares the customer's id, so its problems are the
  customer's;
* an unreadable reference is an unknown id (``unknown_id``, "… ilegível"); a billing method
  naming its sender by one has no sender (no default sender either: condition 2 fails);
  invoices whose customer reference is null or unreadable form one "no customer" row in the
  customer table, as before;
* a rule whose ``dias`` is not an integer within ±3650 is reported (``unknown_value``) and
  left out before its other checks, as if it did not exist (a duplicate of its id is then no
  duplicate).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from carteiro.columns import (
    CustomerIn,
    Invoice,
    Method,
    Recipient,
    RoutineIn,
    RuleIn,
    Sender,
    SendStatus,
    Service,
    ServiceStatus,
)
from carteiro.erp.emails import field_validity, text_column
from carteiro.erp.normalise import (
    Labels,
    RowLabels,
    drop_duplicate_ids,
    first_positions,
    id_labels,
    map_distinct,
    normalise_word,
    normalise_words,
    own_ids,
    parse_days,
    parse_flags,
    parse_integers,
    reference_ids,
    report_own_ids,
    shown,
)
from carteiro.erp.problems import ProblemKind, ProblemLog
from carteiro.period import Period

BILLING_ROUTINE = "envio_email_cobranca"
DEFAULT_EXCLUDED_STATUSES = frozenset({"cancelado", "inativo"})
BLOCKING_NOTICES = frozenset({"somente_sms", "nenhum"})
KNOWN_NOTICES = frozenset({"email_sms", "somente_email"}) | BLOCKING_NOTICES

MAX_DAYS = 3650  # a rule's `dias` must lie within ±MAX_DAYS
# Helper columns of the contacts' id checks (never in a returned frame).
_RAW_ID, _RAW_OWNER = "_raw_id", "_raw_customer_id"

OPEN, PAID, CANCELLED = "open", "paid", "cancelled"
INVOICE_STATUS_WORDS = {
    **dict.fromkeys(("aberto", "aberta", "em_aberto", "vencido", "vencida"), OPEN),
    **dict.fromkeys(("pago", "paga", "quitado"), PAID),
    **dict.fromkeys(("cancelado", "cancelada"), CANCELLED),
}


@dataclass(frozen=True)
class ReferenceTables:
    """Every table but the invoices, keyed like ``queries/<name>.sql``: the configuration,
    the customers and their recipients and services. Read and normalised first, while the
    invoices of the period are still being read."""

    customers: pd.DataFrame
    recipients: pd.DataFrame
    services: pd.DataFrame
    service_statuses: pd.DataFrame
    billing_methods: pd.DataFrame
    email_rules: pd.DataFrame
    send_statuses: pd.DataFrame
    routines: pd.DataFrame
    senders: pd.DataFrame

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def tables(self) -> dict[str, pd.DataFrame]:
        """The frames by name (the frames themselves, not copies)."""
        return {name: getattr(self, name) for name in ReferenceTables.names()}


@dataclass(frozen=True)
class RawTables(ReferenceTables):
    """What each query returned, untouched (``invoices``: the query's rows for the period)."""

    invoices: pd.DataFrame


@dataclass(frozen=True)
class ErpData(RawTables):
    """The normalised tables (``invoices`` holds the invoices in scope only) and the data
    problems found while normalising them."""

    problems: pd.DataFrame


def _report_unknown(log: ProblemLog, table: str, refs: pd.Series, labels: Labels,
                    known: pd.Series, what: str) -> pd.Series:
    """Report rows whose non-null reference ``refs`` names no id in ``known``; return the
    mask (``labels``: the rows' ids as the problems show them)."""
    unknown = refs.notna() & ~refs.isin(known.dropna())
    if unknown.any():
        log.add(ProblemKind.UNKNOWN_ID, table, labels[unknown],
                f"{what} " + refs[unknown].astype("string") + " não existe")
    return unknown


def _customers(raw: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    frame, labels = own_ids(raw, CustomerIn.ID, log=log, table="customers", kept=False)
    frame[CustomerIn.ACTIVE] = parse_flags(frame[CustomerIn.ACTIVE], log=log, table="customers",
                                           column="ativo", ids=labels)
    return frame.reset_index(drop=True)


def _kept_contacts(slim: pd.DataFrame, unreadable_ids: pd.Series, customers: pd.DataFrame,
                   log: ProblemLog) -> np.ndarray:
    """Positions of the contacts used: each row whose id is null or unreadable is reported and
    kept, of rows with the same id the first; none naming an unknown or unreadable customer.
    ``slim`` holds the raw id and customer columns of the contacts (positions as index)."""
    ids, raw_ids = slim[Recipient.ID], slim[_RAW_ID]
    report_own_ids(raw_ids, ids, unreadable_ids, log=log, table="recipients", kept=True)
    slim = drop_duplicate_ids(slim, Recipient.ID, log=log, table="recipients")
    labels = RowLabels(raw_ids, ids).at(slim.index)
    owners, unreadable = reference_ids(slim, _RAW_OWNER, log=log, table="recipients",
                                       labels=labels, what="contato: cliente")
    orphan = _report_unknown(log, "recipients", owners, labels, customers[CustomerIn.ID],
                             "contato: cliente")
    return slim.index[~(orphan | unreadable).to_numpy(dtype=bool)].to_numpy()


def _recipients(raw: pd.DataFrame, customers: pd.DataFrame, log: ProblemLog,
                valid_email: pd.Series | None = None) -> pd.DataFrame:
    """The customer records' own addresses of known customers (their ids are the customers':
    problems with them are reported as the customer's), then the contacts of known customers.

    The choices are made on the id columns alone and the full rows taken once, in the same
    order as filtering the frame step by step would give. ``valid_email`` is
    ``field_validity`` of the raw rows' addresses when already computed (it is row by row, so
    the kept rows' verdicts are the same)."""
    raw_ids = raw[Recipient.ID].reset_index(drop=True)
    raw_owners = raw[Recipient.CUSTOMER_ID].reset_index(drop=True)
    ids, unreadable = parse_integers(raw_ids)
    owners = parse_integers(raw_owners)[0]
    origin = raw[Recipient.ORIGIN].astype("string").reset_index(drop=True)
    contacts = origin != "cadastro_cliente"  # a null origin is neither (the row is left out)
    own = np.flatnonzero((~contacts).fillna(False).to_numpy(dtype=bool))
    own = own[ids.iloc[own].notna().to_numpy()]
    own = own[~ids.iloc[own].duplicated(keep="first").to_numpy()]
    own = own[owners.iloc[own].isin(customers[CustomerIn.ID].dropna()).to_numpy()]
    mine = np.flatnonzero(contacts.fillna(False).to_numpy(dtype=bool))
    slim = pd.DataFrame({Recipient.ID: ids, _RAW_ID: raw_ids, _RAW_OWNER: raw_owners},
                        copy=False).iloc[mine]
    rows = np.concatenate([own, _kept_contacts(slim, unreadable.iloc[mine], customers, log)])
    frame = raw.take(rows).reset_index(drop=True)
    frame[Recipient.ID] = ids.take(rows).reset_index(drop=True)
    frame[Recipient.CUSTOMER_ID] = owners.take(rows).reset_index(drop=True)
    frame[Recipient.ORIGIN] = origin.take(rows).reset_index(drop=True)
    labels = RowLabels(raw_ids.take(rows).reset_index(drop=True), frame[Recipient.ID])
    allows = parse_flags(frame[Recipient.ALLOWS_EMAIL], log=log, table="recipients",
                         column="permite_enviar_email", ids=labels)
    frame[Recipient.ALLOWS_EMAIL] = allows.fillna(False).astype(bool)
    frame[Recipient.EMAIL] = text_column(frame[Recipient.EMAIL])
    if valid_email is None:
        frame[Recipient.VALID_EMAIL] = field_validity(frame[Recipient.EMAIL])
    else:
        frame[Recipient.VALID_EMAIL] = valid_email.to_numpy(dtype=bool)[rows]
    return frame


def _statuses(raw: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    frame, _ = own_ids(raw, ServiceStatus.ID, log=log, table="service_statuses", kept=False)
    frame[ServiceStatus.STATUS] = normalise_words(frame[ServiceStatus.PREFIX])
    return frame.reset_index(drop=True)


def _status_of(status_ids: pd.Series, statuses: pd.DataFrame) -> pd.Series:
    """The normalised prefix of each status id (NA when null or unknown)."""
    where = first_positions(status_ids, statuses[ServiceStatus.ID])
    taken = pd.array(statuses[ServiceStatus.STATUS], dtype="string").take(where, allow_fill=True)
    return pd.Series(taken, index=status_ids.index)


def _services(raw: pd.DataFrame, statuses: pd.DataFrame, customers: pd.DataFrame,
              log: ProblemLog) -> pd.DataFrame:
    frame, labels = own_ids(raw, Service.ID, log=log, table="services", kept=False)
    for column, what, known in ((Service.CUSTOMER_ID, "serviço: cliente", customers[CustomerIn.ID]),
                                (Service.STATUS_ID, "serviço: status", statuses[ServiceStatus.ID])):
        frame[column] = reference_ids(frame, column, log=log, table="services", labels=labels,
                                      what=what)[0]
        _report_unknown(log, "services", frame[column], labels, known, what)
    frame[Service.STATUS] = _status_of(frame[Service.STATUS_ID], statuses)
    nulls = raw[Service.STATUS_ID].loc[frame.index].isna()
    if nulls.any():
        log.add(ProblemKind.UNKNOWN_ID, "services", labels[nulls], "serviço sem status")
    notice = normalise_words(frame[Service.BILLING_NOTICE])
    unknown = notice.notna() & ~notice.isin(KNOWN_NOTICES)
    if unknown.any():
        log.add(ProblemKind.UNKNOWN_VALUE, "services", labels[unknown],
                "envio_cobranca desconhecido " + shown(frame.loc[unknown, Service.BILLING_NOTICE])
                + ": tratado como o padrão (e-mail e SMS)")
    frame[Service.BLOCKS_EMAIL] = notice.isin(BLOCKING_NOTICES).fillna(False).astype(bool)
    return frame.reset_index(drop=True)


def _active(frame: pd.DataFrame, labels: Labels, active_column: str, table: str,
            log: ProblemLog) -> pd.Series:
    return parse_flags(frame[active_column], log=log, table=table, column="ativo",
                       ids=labels, null_is_problem=True).fillna(False).astype(bool)


def _senders(raw: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    frame, labels = own_ids(raw, Sender.ID, log=log, table="senders", kept=False)
    frame[Sender.ACTIVE] = _active(frame, labels, Sender.ACTIVE, "senders", log)
    frame[Sender.IS_DEFAULT] = parse_flags(
        frame[Sender.IS_DEFAULT], log=log, table="senders", column="padrao",
        ids=labels).fillna(False).astype(bool)
    return frame.reset_index(drop=True)


def _methods(raw: pd.DataFrame, senders: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    """Billing methods; a sender named by an unreadable id is an unknown sender (no fallback
    to the default one), marked in ``Method.SENDER_UNREADABLE``."""
    frame, labels = own_ids(raw, Method.ID, log=log, table="billing_methods", kept=False)
    what = "forma de cobrança: remetente"
    frame[Method.SENDER_ID], unreadable = reference_ids(
        frame, Method.SENDER_ID, log=log, table="billing_methods", labels=labels, what=what)
    frame[Method.SENDER_UNREADABLE] = unreadable.to_numpy(dtype=bool)
    frame[Method.ACTIVE] = _active(frame, labels, Method.ACTIVE, "billing_methods", log)
    _report_unknown(log, "billing_methods", frame[Method.SENDER_ID], labels, senders[Sender.ID],
                    what)
    return frame.reset_index(drop=True)


def _valid_days(raw: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    """The rules whose ``dias`` is an integer within ±:data:`MAX_DAYS`, as ``Int64``; the
    others are reported and left out, as if they did not exist."""
    days = parse_integers(raw[RuleIn.DAYS])[0]
    valid = days.between(-MAX_DAYS, MAX_DAYS).fillna(False).to_numpy(dtype=bool)
    if not valid.all():
        bad = ~valid
        labels = id_labels(raw[RuleIn.ID], parse_integers(raw[RuleIn.ID])[0])
        log.add(ProblemKind.UNKNOWN_VALUE, "email_rules", labels[bad],
                "dias inválido " + shown(raw.loc[bad, RuleIn.DAYS])
                + f": deve ser um número inteiro entre -{MAX_DAYS} e {MAX_DAYS}; regra ignorada")
    return raw.assign(**{RuleIn.DAYS: days})[valid]


def _rules(raw: pd.DataFrame, methods: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    frame, labels = own_ids(_valid_days(raw, log), RuleIn.ID, log=log, table="email_rules",
                            kept=True)
    what = "regra: forma de cobrança"
    frame[RuleIn.METHOD_ID] = reference_ids(frame, RuleIn.METHOD_ID, log=log,
                                            table="email_rules", labels=labels, what=what)[0]
    frame[RuleIn.ACTIVE] = _active(frame, labels, RuleIn.ACTIVE, "email_rules", log)
    _report_unknown(log, "email_rules", frame[RuleIn.METHOD_ID], labels, methods[Method.ID],
                    what)
    return frame.reset_index(drop=True)


def _send_statuses(raw: pd.DataFrame, statuses: pd.DataFrame, methods: pd.DataFrame,
                   log: ProblemLog) -> pd.DataFrame:
    """Rows of «Status do Serviço para Envio» (no id of their own: labelled method/status).
    A row naming no readable method belongs to nobody and is left out; one naming an unknown
    or unreadable status still makes its method's selection explicit."""
    method_ids = parse_integers(raw[SendStatus.METHOD_ID])[0]
    status_ids = parse_integers(raw[SendStatus.STATUS_ID])[0]
    pair = (id_labels(raw[SendStatus.METHOD_ID], method_ids).fillna("?") + "/"
            + id_labels(raw[SendStatus.STATUS_ID], status_ids).fillna("?"))
    frame = raw.copy(deep=False)
    for column, what, known in (
            (SendStatus.STATUS_ID, "status do serviço para envio: status",
             statuses[ServiceStatus.ID]),
            (SendStatus.METHOD_ID, "status do serviço para envio: forma de cobrança",
             methods[Method.ID])):
        frame[column] = reference_ids(raw, column, log=log, table="send_statuses",
                                      labels=pair, what=what)[0]
        _report_unknown(log, "send_statuses", frame[column], pair, known, what)
    frame[SendStatus.STATUS] = _status_of(frame[SendStatus.STATUS_ID], statuses)
    return frame[frame[SendStatus.METHOD_ID].notna()].reset_index(drop=True)


def _routines(raw: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    frame, labels = own_ids(raw, RoutineIn.ID, log=log, table="routines", kept=True)
    frame[RoutineIn.ACTIVE] = _active(frame, labels, RoutineIn.ACTIVE, "routines", log)
    frame[RoutineIn.KIND] = normalise_words(frame[RoutineIn.KIND])
    return frame.reset_index(drop=True)


def _due_in_period(raw: pd.DataFrame, period: Period, log: ProblemLog) -> pd.DataFrame:
    """The invoices whose due date is readable and in ``period``, each id once (the first such
    row); missing and unreadable due dates reported for every row, with the row's id."""
    raw_ids = raw[Invoice.ID]
    ids, unreadable_ids = parse_integers(raw_ids)
    labels = RowLabels(raw_ids, ids)
    due, unreadable = parse_days(raw[Invoice.DUE_DATE])
    missing = raw[Invoice.DUE_DATE].isna()
    if missing.any():
        log.add(ProblemKind.MISSING_DATE, "invoices", labels[missing],
                "fatura sem data de vencimento: fora da análise")
    if unreadable.any():
        log.add(ProblemKind.UNREADABLE_DATE, "invoices", labels[unreadable],
                "data de vencimento ilegível " + shown(raw.loc[unreadable, Invoice.DUE_DATE])
                + ": fora da análise")
    start, end = np.datetime64(period.start, "s"), np.datetime64(period.end, "s")
    inside = (due.notna() & (due >= start) & (due <= end)).to_numpy(dtype=bool)
    report_own_ids(raw_ids[inside], ids[inside], unreadable_ids[inside], log=log,
                   table="invoices", kept=False)
    frame = raw.assign(**{Invoice.ID: ids, Invoice.DUE_DATE: due})[inside & ids.notna()]
    return drop_duplicate_ids(frame, Invoice.ID, log=log, table="invoices")


def _invoice_status(frame: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    """Status words → open/paid/cancelled (unknown or null: open, reported); the cancelled
    invoices left out; payment dates read; ``unpaid`` derived."""
    raw_status = frame[Invoice.STATUS]
    status = map_distinct(raw_status, lambda v: INVOICE_STATUS_WORDS.get(normalise_word(v)),
                          "string")
    in_scope = (status != CANCELLED).fillna(True)
    unknown = status.isna() & in_scope
    if unknown.any():
        log.add(ProblemKind.UNKNOWN_VALUE, "invoices", frame.loc[unknown, Invoice.ID],
                "status da fatura desconhecido " + shown(raw_status[unknown])
                + ": considerada em aberto")
    frame = frame.assign(**{Invoice.STATUS: status.fillna(OPEN)})[in_scope]
    paid_on, bad_paid = parse_days(frame[Invoice.PAID_ON])
    if bad_paid.any():
        log.add(ProblemKind.UNREADABLE_DATE, "invoices", frame.loc[bad_paid, Invoice.ID],
                "data de pagamento ilegível " + shown(frame.loc[bad_paid, Invoice.PAID_ON])
                + ": considerada sem pagamento")
    frame[Invoice.PAID_ON] = paid_on
    paid_without_date = (frame[Invoice.STATUS] == PAID) & paid_on.isna()
    if paid_without_date.any():
        log.add(ProblemKind.PAID_WITHOUT_DATE, "invoices",
                frame.loc[paid_without_date, Invoice.ID],
                "fatura paga sem data de pagamento: considerada paga antes de qualquer envio")
    frame[Invoice.UNPAID] = paid_on.isna() & (frame[Invoice.STATUS] != PAID)
    frame[Invoice.AMOUNT] = pd.to_numeric(frame[Invoice.AMOUNT], errors="coerce").astype(float)
    return frame


def _invoices(raw: pd.DataFrame, period: Period, customers: pd.DataFrame,
              services: pd.DataFrame, methods: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    frame = _invoice_status(_due_in_period(raw, period, log), log)
    labels = frame[Invoice.ID]  # readable ids: the problems show them as they are
    for column, what, known in ((Invoice.CUSTOMER_ID, "fatura: cliente", customers[CustomerIn.ID]),
                                (Invoice.SERVICE_ID, "fatura: serviço", services[Service.ID]),
                                (Invoice.METHOD_ID, "fatura: forma de cobrança",
                                 methods[Method.ID])):
        frame[column] = reference_ids(frame, column, log=log, table="invoices", labels=labels,
                                      what=what)[0]
        _report_unknown(log, "invoices", frame[column], labels, known, what)
    # The service's customer: a positional look-up (a null service finds none).
    where = first_positions(frame[Invoice.SERVICE_ID], services[Service.ID])
    owner = pd.Series(services[Service.CUSTOMER_ID].array.take(where, allow_fill=True),
                      index=frame.index)
    foreign = owner.notna() & (owner != frame[Invoice.CUSTOMER_ID]).fillna(True)
    if foreign.any():
        log.add(ProblemKind.FOREIGN_SERVICE, "invoices", frame.loc[foreign, Invoice.ID],
                "o serviço " + frame.loc[foreign, Invoice.SERVICE_ID].astype("string")
                + " é do cliente " + owner[foreign].astype("string") + ", não do cliente "
                + frame.loc[foreign, Invoice.CUSTOMER_ID].astype("string").fillna("(nulo)")
                + ": avaliada com esse serviço")
    # By id, as the engine evaluates them (its frame then shares these columns: no copy).
    return frame.sort_values(Invoice.ID, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Reference:
    """The normalised :class:`ReferenceTables` and the problems found so far; the invoices come
    last (:meth:`with_invoices`), so the problems keep the same order either way."""

    tables: ReferenceTables
    log: ProblemLog

    def with_invoices(self, raw_invoices: pd.DataFrame, period: Period) -> ErpData:
        """The complete :class:`ErpData`: the invoices of ``period`` normalised last."""
        t = self.tables
        invoices = _invoices(raw_invoices, period, t.customers, t.services, t.billing_methods,
                             self.log)
        return ErpData(**t.tables(), invoices=invoices, problems=self.log.frame())


def normalise_reference(raw: RawTables | Mapping[str, pd.DataFrame]) -> Reference:
    """Apply the contract's value rules to every table but the invoices (raw frames keyed
    like ``queries/<name>.sql``, or a :class:`RawTables`)."""
    tables = raw if isinstance(raw, Mapping) else raw.tables()
    log = ProblemLog()
    # Address validation is the longest step and mostly Arrow compute (which releases the
    # GIL): run it on the raw addresses in a second thread while the other tables are
    # normalised. Nothing is logged there, so the problems keep their order.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="carteiro-emails") as pool:
        validity = pool.submit(field_validity, tables["recipients"][Recipient.EMAIL])
        customers = _customers(tables["customers"], log)
        statuses = _statuses(tables["service_statuses"], log)
        senders = _senders(tables["senders"], log)
        methods = _methods(tables["billing_methods"], senders, log)
        services = _services(tables["services"], statuses, customers, log)
        recipients = _recipients(tables["recipients"], customers, log, validity.result())
    rules = _rules(tables["email_rules"], methods, log)
    send_statuses = _send_statuses(tables["send_statuses"], statuses, methods, log)
    routines = _routines(tables["routines"], log)
    tables = ReferenceTables(
        customers=customers,
        recipients=recipients,
        services=services,
        service_statuses=statuses,
        billing_methods=methods,
        email_rules=rules,
        send_statuses=send_statuses,
        routines=routines,
        senders=senders,
    )
    return Reference(tables, log)


__all__ = [
    "ErpData",
    "RawTables",
    "Reference",
    "ReferenceTables",
    "normalise_reference",
]

"""Raw query results → the normalised tables the engine reads, plus the data problems.

``RawTables`` holds what ``queries/*.sql`` returned, untouched; :func:`normalise_reference`
applies the contract's value rules table by table (``carteiro.erp.normalise``), the
invoices last (:meth:`Reference.with_invoices`), and reports every
problem it finds. The choices the contract leaves open are written down here:

* an unknown yes/no spelling is treated like a null (not allowed / inactive) and reported;
* a service, contact or invoice naming a customer that does not exist is reported; such a
  contact is no recipient of anyone;
* a row of «Status do Serviço para Envio» naming an unknown status or billing method is
  reported; it still makes the method's selection explicit (an analyst who ticked a status
  that no longer exists has still chosen a list);
* a null billing method on an invoice is not a data problem (condition 3 reports it); an id
  that names no row is;
* invoices are checked for data problems only when in scope (due in the period, not
  cancelled); missing and unreadable due dates are reported for every row the query returned.
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
from carteiro.erp.emails import field_validity
from carteiro.erp.normalise import (
    drop_duplicate_ids,
    map_distinct,
    normalise_word,
    normalise_words,
    parse_days,
    parse_flags,
    to_ids,
)
from carteiro.erp.problems import ProblemKind, ProblemLog
from carteiro.period import Period

BILLING_ROUTINE = "envio_email_cobranca"
DEFAULT_EXCLUDED_STATUSES = frozenset({"cancelado", "inativo"})
BLOCKING_NOTICES = frozenset({"somente_sms", "nenhum"})
KNOWN_NOTICES = frozenset({"email_sms", "somente_email"}) | BLOCKING_NOTICES

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


def _ids(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    out = frame.copy(deep=False)  # copy-on-write: the raw frame is never changed
    for column in columns:
        out[column] = to_ids(out[column])
    return out


def _report_unknown(log: ProblemLog, table: str, frame: pd.DataFrame, id_column: str,
                    ref_column: str, known: pd.Series, what: str) -> pd.Series:
    """Report rows whose non-null ``ref_column`` names no id in ``known``; return the mask."""
    unknown = frame[ref_column].notna() & ~frame[ref_column].isin(known)
    if unknown.any():
        log.add(
            ProblemKind.UNKNOWN_ID,
            table,
            frame.loc[unknown, id_column],
            f"{what} " + frame.loc[unknown, ref_column].astype("string") + " não existe",
        )
    return unknown


def _customers(raw: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    frame = drop_duplicate_ids(_ids(raw, CustomerIn.ID), CustomerIn.ID, log=log,
                               table="customers")
    frame = frame[frame[CustomerIn.ID].notna()]
    frame[CustomerIn.ACTIVE] = parse_flags(frame[CustomerIn.ACTIVE], log=log, table="customers",
                                           column="ativo", ids=frame[CustomerIn.ID])
    return frame.reset_index(drop=True)


def _recipients(raw: pd.DataFrame, customers: pd.DataFrame, log: ProblemLog,
                valid_email: pd.Series | None = None) -> pd.DataFrame:
    """The customer records' own addresses of known customers (a duplicated one is reported
    as a customer), then the contacts of known customers, each id once.

    The choices are made on the id columns alone and the full rows taken once, in the same
    order as filtering the frame step by step would give. ``valid_email`` is
    ``field_validity`` of the raw rows' addresses when already computed (it is row by row, so
    the kept rows' verdicts are the same)."""
    ids = to_ids(raw[Recipient.ID]).reset_index(drop=True)
    owners = to_ids(raw[Recipient.CUSTOMER_ID]).reset_index(drop=True)
    origin = raw[Recipient.ORIGIN].astype("string").reset_index(drop=True)
    contacts = origin != "cadastro_cliente"  # a null origin is neither (the row is left out)
    own = np.flatnonzero((~contacts).fillna(False).to_numpy(dtype=bool))
    own = own[~ids.iloc[own].duplicated(keep="first").to_numpy()]
    own = own[owners.iloc[own].isin(customers[CustomerIn.ID]).to_numpy()]
    slim = pd.DataFrame({Recipient.ID: ids, Recipient.CUSTOMER_ID: owners}, copy=False)
    others = drop_duplicate_ids(slim[contacts.fillna(False).to_numpy(dtype=bool)], Recipient.ID,
                                log=log, table="recipients")
    orphan = _report_unknown(log, "recipients", others, Recipient.ID, Recipient.CUSTOMER_ID,
                             customers[CustomerIn.ID], "contato: cliente")
    rows = np.concatenate([own, others.index[~orphan.to_numpy(dtype=bool)].to_numpy()])
    frame = raw.take(rows).reset_index(drop=True)
    frame[Recipient.ID] = ids.take(rows).reset_index(drop=True)
    frame[Recipient.CUSTOMER_ID] = owners.take(rows).reset_index(drop=True)
    frame[Recipient.ORIGIN] = origin.take(rows).reset_index(drop=True)
    allows = parse_flags(frame[Recipient.ALLOWS_EMAIL], log=log, table="recipients",
                         column="permite_enviar_email", ids=frame[Recipient.ID])
    frame[Recipient.ALLOWS_EMAIL] = allows.fillna(False).astype(bool)
    frame[Recipient.EMAIL] = frame[Recipient.EMAIL].astype("string")
    if valid_email is None:
        frame[Recipient.VALID_EMAIL] = field_validity(frame[Recipient.EMAIL])
    else:
        frame[Recipient.VALID_EMAIL] = valid_email.to_numpy(dtype=bool)[rows]
    return frame


def _statuses(raw: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    frame = drop_duplicate_ids(_ids(raw, ServiceStatus.ID), ServiceStatus.ID, log=log,
                               table="service_statuses").copy(deep=False)
    frame[ServiceStatus.STATUS] = normalise_words(frame[ServiceStatus.PREFIX])
    return frame.reset_index(drop=True)


def _services(raw: pd.DataFrame, statuses: pd.DataFrame, customers: pd.DataFrame,
              log: ProblemLog) -> pd.DataFrame:
    frame = drop_duplicate_ids(_ids(raw, Service.ID, Service.CUSTOMER_ID, Service.STATUS_ID),
                               Service.ID, log=log, table="services").copy(deep=False)
    frame = frame[frame[Service.ID].notna()]
    _report_unknown(log, "services", frame, Service.ID, Service.CUSTOMER_ID,
                    customers[CustomerIn.ID], "serviço: cliente")
    _report_unknown(log, "services", frame, Service.ID, Service.STATUS_ID,
                    statuses[ServiceStatus.ID], "serviço: status")
    status_by_id = statuses.set_index(ServiceStatus.ID)[ServiceStatus.STATUS]
    frame[Service.STATUS] = frame[Service.STATUS_ID].map(status_by_id).astype("string")
    if frame[Service.STATUS_ID].isna().any():
        nulls = frame[Service.STATUS_ID].isna()
        log.add(ProblemKind.UNKNOWN_ID, "services", frame.loc[nulls, Service.ID],
                "serviço sem status")
    notice = normalise_words(frame[Service.BILLING_NOTICE])
    unknown = notice.notna() & ~notice.isin(KNOWN_NOTICES)
    if unknown.any():
        log.add(ProblemKind.UNKNOWN_VALUE, "services", frame.loc[unknown, Service.ID],
                "envio_cobranca desconhecido "
                + frame.loc[unknown, Service.BILLING_NOTICE].astype("string").map(repr)
                .astype("string") + ": tratado como o padrão (e-mail e SMS)")
    frame[Service.BLOCKS_EMAIL] = notice.isin(BLOCKING_NOTICES).fillna(False).astype(bool)
    return frame.reset_index(drop=True)


def _active(frame: pd.DataFrame, id_column: str, active_column: str, table: str,
            log: ProblemLog) -> pd.Series:
    return parse_flags(frame[active_column], log=log, table=table, column="ativo",
                       ids=frame[id_column], null_is_problem=True).fillna(False).astype(bool)


def _senders(raw: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    frame = drop_duplicate_ids(_ids(raw, Sender.ID), Sender.ID, log=log, table="senders").copy()
    frame[Sender.ACTIVE] = _active(frame, Sender.ID, Sender.ACTIVE, "senders", log)
    frame[Sender.IS_DEFAULT] = parse_flags(
        frame[Sender.IS_DEFAULT], log=log, table="senders", column="padrao",
        ids=frame[Sender.ID]).fillna(False).astype(bool)
    return frame.reset_index(drop=True)


def _methods(raw: pd.DataFrame, senders: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    frame = drop_duplicate_ids(_ids(raw, Method.ID, Method.SENDER_ID), Method.ID, log=log,
                               table="billing_methods").copy()
    frame[Method.ACTIVE] = _active(frame, Method.ID, Method.ACTIVE, "billing_methods", log)
    _report_unknown(log, "billing_methods", frame, Method.ID, Method.SENDER_ID,
                    senders[Sender.ID], "forma de cobrança: remetente")
    return frame.reset_index(drop=True)


def _rules(raw: pd.DataFrame, methods: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    frame = drop_duplicate_ids(_ids(raw, RuleIn.ID, RuleIn.METHOD_ID, RuleIn.DAYS), RuleIn.ID,
                               log=log, table="email_rules").copy()
    frame[RuleIn.ACTIVE] = _active(frame, RuleIn.ID, RuleIn.ACTIVE, "email_rules", log)
    _report_unknown(log, "email_rules", frame, RuleIn.ID, RuleIn.METHOD_ID,
                    methods[Method.ID], "regra: forma de cobrança")
    no_days = frame[RuleIn.DAYS].isna()
    if no_days.any():
        log.add(ProblemKind.UNKNOWN_VALUE, "email_rules", frame.loc[no_days, RuleIn.ID],
                "regra sem número de dias válido: ignorada")
        frame.loc[no_days, RuleIn.ACTIVE] = False
    return frame.reset_index(drop=True)


def _send_statuses(raw: pd.DataFrame, statuses: pd.DataFrame, methods: pd.DataFrame,
                   log: ProblemLog) -> pd.DataFrame:
    frame = _ids(raw, SendStatus.METHOD_ID, SendStatus.STATUS_ID)
    pair = (frame[SendStatus.METHOD_ID].astype("string").fillna("?") + "/"
            + frame[SendStatus.STATUS_ID].astype("string").fillna("?"))
    keyed = frame.assign(_pair=pair)
    _report_unknown(log, "send_statuses", keyed, "_pair", SendStatus.STATUS_ID,
                    statuses[ServiceStatus.ID], "status do serviço para envio: status")
    _report_unknown(log, "send_statuses", keyed, "_pair", SendStatus.METHOD_ID,
                    methods[Method.ID], "status do serviço para envio: forma de cobrança")
    status_by_id = statuses.set_index(ServiceStatus.ID)[ServiceStatus.STATUS]
    frame[SendStatus.STATUS] = frame[SendStatus.STATUS_ID].map(status_by_id).astype("string")
    return frame[frame[SendStatus.METHOD_ID].notna()].reset_index(drop=True)


def _routines(raw: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    frame = drop_duplicate_ids(_ids(raw, RoutineIn.ID), RoutineIn.ID, log=log,
                               table="routines").copy()
    frame[RoutineIn.ACTIVE] = _active(frame, RoutineIn.ID, RoutineIn.ACTIVE, "routines", log)
    frame[RoutineIn.KIND] = normalise_words(frame[RoutineIn.KIND])
    return frame.reset_index(drop=True)


def _invoices(raw: pd.DataFrame, period: Period, customers: pd.DataFrame,
              services: pd.DataFrame, methods: pd.DataFrame, log: ProblemLog) -> pd.DataFrame:
    frame = _ids(raw, Invoice.ID, Invoice.CUSTOMER_ID, Invoice.SERVICE_ID, Invoice.METHOD_ID)
    frame = drop_duplicate_ids(frame, Invoice.ID, log=log, table="invoices").copy(deep=False)
    due, unreadable = parse_days(frame[Invoice.DUE_DATE])
    missing = frame[Invoice.DUE_DATE].isna()
    if missing.any():
        log.add(ProblemKind.MISSING_DATE, "invoices", frame.loc[missing, Invoice.ID],
                "fatura sem data de vencimento: fora da análise")
    if unreadable.any():
        log.add(ProblemKind.UNREADABLE_DATE, "invoices", frame.loc[unreadable, Invoice.ID],
                "data de vencimento ilegível "
                + frame.loc[unreadable, Invoice.DUE_DATE].astype("string").map(repr)
                .astype("string") + ": fora da análise")
    frame[Invoice.DUE_DATE] = due
    start, end = np.datetime64(period.start, "s"), np.datetime64(period.end, "s")
    frame = frame[due.notna() & (due >= start) & (due <= end)]

    raw_status = frame[Invoice.STATUS]
    status = map_distinct(raw_status, lambda v: INVOICE_STATUS_WORDS.get(normalise_word(v)),
                          "string")
    in_scope = (status != CANCELLED).fillna(True)
    unknown = status.isna() & in_scope
    if unknown.any():
        log.add(ProblemKind.UNKNOWN_VALUE, "invoices", frame.loc[unknown, Invoice.ID],
                "status da fatura desconhecido "
                + raw_status[unknown].astype("string").map(repr).astype("string")
                .fillna("(nulo)") + ": considerada em aberto")
    frame = frame.assign(**{Invoice.STATUS: status.fillna(OPEN)})[in_scope]

    paid_on, bad_paid = parse_days(frame[Invoice.PAID_ON])
    if bad_paid.any():
        log.add(ProblemKind.UNREADABLE_DATE, "invoices", frame.loc[bad_paid, Invoice.ID],
                "data de pagamento ilegível "
                + frame.loc[bad_paid, Invoice.PAID_ON].astype("string").map(repr)
                .astype("string") + ": considerada sem pagamento")
    frame[Invoice.PAID_ON] = paid_on
    paid_without_date = (frame[Invoice.STATUS] == PAID) & paid_on.isna()
    if paid_without_date.any():
        log.add(ProblemKind.PAID_WITHOUT_DATE, "invoices",
                frame.loc[paid_without_date, Invoice.ID],
                "fatura paga sem data de pagamento: considerada paga antes de qualquer envio")
    frame[Invoice.UNPAID] = paid_on.isna() & (frame[Invoice.STATUS] != PAID)
    frame[Invoice.AMOUNT] = pd.to_numeric(frame[Invoice.AMOUNT], errors="coerce").astype(float)

    _report_unknown(log, "invoices", frame, Invoice.ID, Invoice.CUSTOMER_ID,
                    customers[CustomerIn.ID], "fatura: cliente")
    _report_unknown(log, "invoices", frame, Invoice.ID, Invoice.SERVICE_ID,
                    services[Service.ID], "fatura: serviço")
    _report_unknown(log, "invoices", frame, Invoice.ID, Invoice.METHOD_ID,
                    methods[Method.ID], "fatura: forma de cobrança")
    # The service's customer (services have unique, non-null ids): a positional look-up.
    where = pd.Index(services[Service.ID]).get_indexer(frame[Invoice.SERVICE_ID])
    owner = pd.Series(services[Service.CUSTOMER_ID].array.take(where, allow_fill=True),
                      index=frame.index)
    foreign = owner.notna() & (owner != frame[Invoice.CUSTOMER_ID]).fillna(True)
    if foreign.any():
        log.add(ProblemKind.FOREIGN_SERVICE, "invoices", frame.loc[foreign, Invoice.ID],
                "o serviço " + frame.loc[foreign, Invoice.SERVICE_ID].astype("string")
                + " é do cliente " + owner[foreign].astype("string") + ", não do cliente "
                + frame.loc[foreign, Invoice.CUSTOMER_ID].astype("string").fillna("(nulo)")
                + ": avaliada com esse serviço")
    return frame.reset_index(drop=True)


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

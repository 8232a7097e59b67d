"""The eligibility engine: the support article's checklist, computed for every invoice.

:func:`evaluate` takes the normalised ERP tables and returns an :class:`Audit` with

* ``invoices``: one row per invoice in scope, one boolean column per condition of the contract
  (named by its code, ``True`` = the condition fails), ``eligible``, ``primary_reason`` (the
  first failing condition in the contract's order) and ``reasons`` (every failing code,
  joined by ``;`` in that order, empty when none);
* ``customers``: one row per customer in scope: ``covered`` when all its invoices are eligible,
  ``partial`` when some are, ``not_covered`` when none is; the union of its invoices' reasons;
  and the open amount on its invoices that get no notice (unpaid and not eligible);
* the configuration alerts (conditions 1 and 2), shown above everything else.

Everything is vectorised: look-ups through ``Index.get_indexer``, reasons as a 9-bit mask
turned into labels through a 512-entry table. Conditions 6 and 7 are not evaluated (``False``)
when condition 5 fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from carteiro import formatting as fmt
from carteiro.columns import (
    CustomerAudit,
    CustomerIn,
    Invoice,
    Method,
    Recipient,
    RoutineIn,
    RuleIn,
    SendDate,
    Sender,
    SendStatus,
    Service,
)
from carteiro.erp.dataset import BILLING_ROUTINE, DEFAULT_EXCLUDED_STATUSES, ErpData
from carteiro.period import Period
from carteiro.rules.catalogue import COVERAGE_ORDER, REASON_BY_CODE, REASON_CODES

_BITS = np.left_shift(1, np.arange(len(REASON_CODES)), dtype=np.int16)
_REASON_STRINGS = [
    ";".join(code for bit, code in enumerate(REASON_CODES) if mask >> bit & 1)
    for mask in range(1 << len(REASON_CODES))
]
_PRIMARY_INDEX = np.array(
    [(mask & -mask).bit_length() - 1 for mask in range(1 << len(REASON_CODES))], dtype=np.int8
)


@dataclass(frozen=True)
class Alert:
    """A configuration fault (conditions 1 and 2) that blocks every invoice it touches."""

    code: str
    title: str
    detail: str
    menu_path: str
    invoices: int


@dataclass(frozen=True)
class Audit:
    period: Period
    data: ErpData
    invoices: pd.DataFrame
    customers: pd.DataFrame
    billing_methods: pd.DataFrame
    senders: pd.DataFrame
    routine_active: bool
    alerts: list[Alert] = field(default_factory=list)

    @property
    def problems(self) -> pd.DataFrame:
        return self.data.problems

    def reason_counts(self) -> pd.DataFrame:
        """Invoices and customers failing each condition, in the contract's order."""
        cust = self.customers[CustomerAudit.REASON_MASK].to_numpy()
        return pd.DataFrame(
            {
                "code": list(REASON_CODES),
                "invoices": [int(self.invoices[c].sum()) for c in REASON_CODES],
                "customers": [int(((cust >> i) & 1).sum()) for i in range(len(REASON_CODES))],
            }
        )


def _positions(keys: pd.Series, ids: pd.Series) -> np.ndarray:
    """Row position of each key in ``ids`` (-1 when null or absent)."""
    return pd.Index(ids.astype("Int64")).get_indexer(keys.astype("Int64"))


def _take(values: pd.Series | np.ndarray, positions: np.ndarray, missing: object) -> np.ndarray:
    array = np.asarray(values, dtype=object if missing is None else None)
    if len(array) == 0:
        return np.full(len(positions), missing)
    taken = array[np.clip(positions, 0, None)]
    return np.where(positions >= 0, taken, missing)


def _take_as(values: pd.Series, positions: np.ndarray, dtype: str) -> ExtensionArray:
    """``values`` at ``positions`` as a ``dtype`` extension array (NA where the position is -1).

    The same values as ``pd.array(_take(values.astype(object), positions, None), dtype)``
    without a Python object per row (Arrow-backed strings stay in Arrow)."""
    return pd.array(values, dtype=dtype).take(positions, allow_fill=True)


def default_sender_id(senders: pd.DataFrame) -> int | None:
    """The active sender marked default (lowest id), else the active one with the lowest id."""
    active = senders[senders[Sender.ACTIVE]]
    marked = active[active[Sender.IS_DEFAULT]]
    pool = marked if len(marked) else active
    return None if pool.empty else int(pool[Sender.ID].min())


def evaluate_senders(senders: pd.DataFrame, failed_sender_ids: Iterable[int]) -> pd.DataFrame:
    out = senders.copy()
    out[Sender.LAST_TEST_FAILED] = out[Sender.ID].isin(list(failed_sender_ids)).astype(bool)
    out[Sender.AVAILABLE] = out[Sender.ACTIVE] & ~out[Sender.LAST_TEST_FAILED]
    return out


def evaluate_methods(data: ErpData, senders: pd.DataFrame) -> pd.DataFrame:
    """Billing methods with their effective sender, its availability and their active rules."""
    methods = data.billing_methods.copy()
    default_id = default_sender_id(senders)
    effective = methods[Method.SENDER_ID].astype("Int64")
    if default_id is not None:
        effective = effective.fillna(default_id)
    methods[Method.EFFECTIVE_SENDER_ID] = effective
    available = senders.set_index(Sender.ID)[Sender.AVAILABLE]
    methods[Method.SENDER_AVAILABLE] = (
        effective.map(available).astype("boolean").fillna(False).astype(bool)
    )
    rules = data.email_rules[data.email_rules[RuleIn.ACTIVE]]
    per_method = rules.groupby(RuleIn.METHOD_ID)[RuleIn.DAYS].agg(["count", "min"])
    methods[Method.ACTIVE_RULES] = (
        methods[Method.ID].map(per_method["count"]).fillna(0).astype(int)
    )
    methods[Method.FIRST_OFFSET] = methods[Method.ID].map(per_method["min"]).astype("Int64")
    methods[Method.EXPLICIT_STATUSES] = methods[Method.ID].isin(
        data.send_statuses[SendStatus.METHOD_ID]
    )
    return methods


def _recipient_flags(recipients: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Per customer (the index; null customer ids left out): does any recipient allow e-mail,
    and does any allowing one have a valid address."""
    codes, uniques = pd.factorize(recipients[Recipient.CUSTOMER_ID].astype("Int64"),
                                  use_na_sentinel=True)
    allows = recipients[Recipient.ALLOWS_EMAIL].to_numpy(dtype=bool)
    valid = recipients[Recipient.VALID_EMAIL].to_numpy(dtype=bool)
    known = codes >= 0
    groups = codes[known]
    any_allows = np.bincount(groups, weights=allows[known], minlength=len(uniques)) > 0
    any_valid = np.bincount(groups, weights=(allows & valid)[known], minlength=len(uniques)) > 0
    return pd.Index(uniques), any_allows, any_valid


def _status_excluded(inv_methods: pd.Series, known_method: np.ndarray, explicit: np.ndarray,
                     status: pd.Series, send_statuses: pd.DataFrame) -> np.ndarray:
    """Condition 6 for services that exist: explicit selection by normalised prefix, else the
    default (everything but cancelado and inativo; an unknown status is allowed there)."""
    allowed = send_statuses.dropna(subset=[SendStatus.STATUS])
    # (method, status) pairs as integer keys over the distinct values; a null method or
    # status is in no pair (the selection has neither).
    method_codes, methods = pd.factorize(inv_methods.astype("Int64"), use_na_sentinel=True)
    status_codes, statuses = pd.factorize(status.astype(str), use_na_sentinel=True)
    status_codes = np.where(status.isna().to_numpy(dtype=bool), -1, status_codes)
    width = len(statuses) + 1
    keys = np.where((method_codes >= 0) & (status_codes >= 0),
                    method_codes * width + status_codes, -1)
    chosen_methods = pd.Index(methods).get_indexer(allowed[SendStatus.METHOD_ID].astype("Int64"))
    chosen_statuses = pd.Index(statuses).get_indexer(allowed[SendStatus.STATUS].astype(str))
    found = (chosen_methods >= 0) & (chosen_statuses >= 0)
    chosen = chosen_methods[found] * width + chosen_statuses[found]
    in_selection = np.isin(keys, chosen) & (keys >= 0)
    default_excluded = status.isin(DEFAULT_EXCLUDED_STATUSES).fillna(False).to_numpy(dtype=bool)
    uses_explicit = known_method & explicit
    return np.where(uses_explicit, ~in_selection, default_excluded)


def evaluate(data: ErpData, period: Period, failed_sender_ids: Iterable[int] = ()) -> Audit:
    """Evaluate the nine conditions for every invoice and customer in scope."""
    senders = evaluate_senders(data.senders, failed_sender_ids)
    methods = evaluate_methods(data, senders)
    routines = data.routines
    routine_active = bool(
        (routines[RoutineIn.ACTIVE] & (routines[RoutineIn.KIND] == BILLING_ROUTINE)).any()
    )
    default_id = default_sender_id(senders)
    available = senders.set_index(Sender.ID)[Sender.AVAILABLE]
    default_available = bool(default_id is not None and available.get(default_id, False))

    inv = data.invoices.sort_values(Invoice.ID, kind="stable").reset_index(drop=True)
    n = len(inv)
    m_pos = _positions(inv[Invoice.METHOD_ID], methods[Method.ID])
    known_method = m_pos >= 0
    sender_ok = np.where(
        known_method, _take(methods[Method.SENDER_AVAILABLE], m_pos, False), default_available
    ).astype(bool)
    sender_ids = _take_as(methods[Method.EFFECTIVE_SENDER_ID], m_pos, "Int64")
    if default_id is not None:
        sender_ids[~known_method] = default_id
    inv[Invoice.SENDER_ID] = sender_ids
    active_rules = _take(methods[Method.ACTIVE_RULES], m_pos, 0).astype(int)
    has_rules = active_rules > 0
    first_offset = _take(methods[Method.FIRST_OFFSET].fillna(0).astype(int), m_pos, 0)
    first_send = inv[Invoice.DUE_DATE].to_numpy() + first_offset.astype("timedelta64[D]")
    paid_on = inv[Invoice.PAID_ON].to_numpy()
    unpaid = inv[Invoice.UNPAID].to_numpy(dtype=bool)
    paid_from_first = ~np.isnat(paid_on) & (paid_on >= first_send)
    fires = has_rules & (unpaid | paid_from_first)

    s_pos = _positions(inv[Invoice.SERVICE_ID], data.services[Service.ID])
    service_found = s_pos >= 0
    status = pd.Series(_take_as(data.services[Service.STATUS], s_pos, "string"))
    inv[Invoice.SERVICE_STATUS] = status
    excluded = _status_excluded(
        inv[Invoice.METHOD_ID], known_method,
        _take(methods[Method.EXPLICIT_STATUSES], m_pos, False).astype(bool),
        status, data.send_statuses,
    )
    blocks = _take(data.services[Service.BLOCKS_EMAIL], s_pos, False).astype(bool)

    flag_ids, any_allows, any_valid = _recipient_flags(data.recipients)
    r_pos = flag_ids.get_indexer(inv[Invoice.CUSTOMER_ID].astype("Int64"))
    allows = _take(any_allows, r_pos, False).astype(bool)
    allows_valid = _take(any_valid, r_pos, False).astype(bool)

    conditions = {
        "no_email_routine": np.full(n, not routine_active),
        "sender_unavailable": ~sender_ok,
        "method_without_rules": ~has_rules,
        "invoice_outside_rules": has_rules & ~fires,
        "service_missing": ~service_found,
        "service_status_excluded": service_found & excluded,
        "service_blocks_email": service_found & blocks,
        "no_contact_allows_email": ~allows,
        "no_valid_email": allows & ~allows_valid,
    }
    assert tuple(conditions) == REASON_CODES
    matrix = np.column_stack([conditions[c] for c in REASON_CODES]) if n else np.zeros(
        (0, len(REASON_CODES)), dtype=bool
    )
    for code in REASON_CODES:
        inv[code] = conditions[code].astype(bool)
    mask = (matrix.astype(np.int16) * _BITS).sum(axis=1).astype(np.int16)
    inv[Invoice.REASON_MASK] = mask
    inv[Invoice.ELIGIBLE] = mask == 0
    inv[Invoice.PRIMARY_REASON] = _primary(mask)
    inv[Invoice.REASONS] = _reasons(mask)

    customers = _customers(inv, data.customers)
    return Audit(
        period=period,
        data=data,
        invoices=inv,
        customers=customers,
        billing_methods=methods,
        senders=senders,
        routine_active=routine_active,
        alerts=_alerts(inv, methods, senders, routine_active, default_id),
    )


def _primary(mask: np.ndarray) -> pd.Categorical:
    return pd.Categorical.from_codes(_PRIMARY_INDEX[mask], categories=list(REASON_CODES),
                                     ordered=True)


def _reasons(mask: np.ndarray) -> pd.Categorical:
    return pd.Categorical.from_codes(mask.astype(np.int16), categories=_REASON_STRINGS)


def _customers(inv: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    without_notice = np.where(
        ~inv[Invoice.ELIGIBLE] & inv[Invoice.UNPAID], inv[Invoice.AMOUNT].fillna(0.0), 0.0
    )
    # One group per customer id, ascending, a null id last (as groupby(sort=True,
    # dropna=False) orders them); reasons OR-ed as bit masks, counts by bincount.
    codes, uniques = pd.factorize(inv[Invoice.CUSTOMER_ID].astype("Int64"), sort=True,
                                  use_na_sentinel=True)
    ids = pd.array(uniques, dtype="Int64")
    if (codes < 0).any():
        codes = np.where(codes < 0, len(ids), codes)
        ids = pd.array([*ids, pd.NA], dtype="Int64")
    groups = len(ids)
    mask = np.zeros(groups, dtype=np.int16)
    np.bitwise_or.at(mask, codes, inv[Invoice.REASON_MASK].to_numpy(dtype=np.int16))
    total = np.bincount(codes, minlength=groups)
    eligible = np.bincount(codes, weights=inv[Invoice.ELIGIBLE].to_numpy(dtype=bool),
                           minlength=groups).astype(np.int64)
    # pandas' grouped sum (compensated), the same rounding as before
    amount = pd.Series(without_notice).groupby(codes, sort=True).sum().to_numpy()
    ids = pd.Series(ids)
    c_pos = _positions(ids, customers[CustomerIn.ID])
    status_code = np.where(eligible == total, 0, np.where(eligible == 0, 2, 1))
    out = pd.DataFrame(
        {
            CustomerAudit.ID: ids,
            CustomerAudit.NAME: _take_as(customers[CustomerIn.NAME], c_pos, "string"),
            CustomerAudit.DOCUMENT: _take_as(customers[CustomerIn.DOCUMENT], c_pos, "string"),
            CustomerAudit.CITY: _take_as(customers[CustomerIn.CITY], c_pos, "string"),
            CustomerAudit.ACTIVE: _take_as(customers[CustomerIn.ACTIVE], c_pos, "boolean"),
            CustomerAudit.INVOICES: total.astype(int),
            CustomerAudit.ELIGIBLE_INVOICES: eligible.astype(int),
            CustomerAudit.STATUS: pd.Categorical.from_codes(
                status_code, categories=list(COVERAGE_ORDER), ordered=True),
            CustomerAudit.PRIMARY_REASON: _primary(mask),
            CustomerAudit.REASONS: _reasons(mask),
            CustomerAudit.REASON_MASK: mask,
            CustomerAudit.AMOUNT_WITHOUT_NOTICE: amount.round(2),
        }
    )
    return out


def _alerts(inv: pd.DataFrame, methods: pd.DataFrame, senders: pd.DataFrame,
            routine_active: bool, default_id: int | None) -> list[Alert]:
    alerts: list[Alert] = []
    if not routine_active:
        reason = REASON_BY_CODE["no_email_routine"]
        alerts.append(Alert(
            reason.code,
            "Nenhuma rotina ativa de envio de e-mail de cobrança",
            "Sem a rotina «envio_email_cobranca» ativa, nenhum aviso de cobrança é enviado.",
            reason.menu_path,
            len(inv),
        ))
    reason = REASON_BY_CODE["sender_unavailable"]
    blocked = inv[inv["sender_unavailable"]]
    if blocked.empty:
        return alerts
    names = methods.set_index(Method.ID)[Method.DESCRIPTION]
    by_sender = blocked.groupby(Invoice.SENDER_ID, dropna=False)
    for sender_id, group in by_sender:
        per_method = group[Invoice.METHOD_ID].map(names).fillna("(sem forma de cobrança)")
        used_by = ", ".join(
            f"{name} ({fmt.integer(count)} fatura{'' if count == 1 else 's'})"
            for name, count in per_method.value_counts().items()
        )
        alerts.append(Alert(
            reason.code,
            _sender_title(sender_id, senders, default_id),
            f"Faturas afetadas por forma de cobrança: {used_by}.",
            reason.menu_path,
            len(group),
        ))
    return alerts


def _sender_title(sender_id: object, senders: pd.DataFrame, default_id: int | None) -> str:
    if pd.isna(sender_id):
        return "Não há remetente de e-mail ativo para usar como padrão"
    row = senders[senders[Sender.ID] == sender_id]
    if row.empty:
        return f"O remetente de e-mail {sender_id} não existe"
    sender = row.iloc[0]
    name = f"«{sender[Sender.DESCRIPTION]}» (id {sender_id})"
    if not sender[Sender.ACTIVE]:
        return f"O remetente de e-mail {name} está inativo"
    return f"O remetente de e-mail {name} falhou no último teste de envio"


def send_dates(audit: Audit, invoice_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Expected send dates: for each invoice and each active rule of its billing method, the
    day the routine would send (due date + offset) and whether the rule fires then (the invoice
    is still open that day). Without ``invoice_ids``, every invoice in scope."""
    inv = audit.invoices
    if invoice_ids is not None:
        inv = inv[inv[Invoice.ID].isin(list(invoice_ids))]
    rules = audit.data.email_rules
    rules = rules.loc[rules[RuleIn.ACTIVE], [RuleIn.ID, RuleIn.METHOD_ID, RuleIn.DAYS,
                                             RuleIn.SUBJECT]]
    joined = inv[[Invoice.ID, Invoice.METHOD_ID, Invoice.DUE_DATE, Invoice.PAID_ON,
                  Invoice.UNPAID, Invoice.ELIGIBLE]].merge(
        rules, left_on=Invoice.METHOD_ID, right_on=RuleIn.METHOD_ID, how="inner"
    )
    send = joined[Invoice.DUE_DATE] + pd.to_timedelta(joined[RuleIn.DAYS].astype(int), unit="D")
    fires = joined[Invoice.UNPAID] | (joined[Invoice.PAID_ON] >= send).fillna(False)
    out = pd.DataFrame(
        {
            SendDate.INVOICE_ID: joined[Invoice.ID],
            SendDate.RULE_ID: joined[RuleIn.ID],
            SendDate.DAYS: joined[RuleIn.DAYS].astype(int),
            SendDate.SUBJECT: joined[RuleIn.SUBJECT],
            SendDate.SEND_DATE: send,
            SendDate.FIRES: fires.astype(bool),
            Invoice.ELIGIBLE: joined[Invoice.ELIGIBLE],
        }
    )
    return out.sort_values([SendDate.INVOICE_ID, SendDate.SEND_DATE]).reset_index(drop=True)

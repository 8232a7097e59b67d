"""The nine conditions of the contract, evaluated for every invoice in scope at once.

Each condition is a boolean column named by its code (``True`` = the condition fails), built
from three kinds of facts looked up by position (:mod:`carteiro.rules.lookup`): the invoice's
billing method (conditions 1–4), its service (5–7) and its customer's recipients (8–9).
Conditions 6 and 7 are not evaluated (``False``) when condition 5 fails.

An invoice with no billing method, or an unknown one, fails condition 3; conditions 2 and 6
then read the default sender and the default «Status do Serviço para Envio».
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carteiro.columns import Invoice, Method, Recipient, SendStatus, Service
from carteiro.erp.dataset import DEFAULT_EXCLUDED_STATUSES, ErpData
from carteiro.rules.catalogue import REASON_CODES
from carteiro.rules.configuration import default_sender_id, sender_active
from carteiro.rules.lookup import positions, take, take_as
from carteiro.rules.masks import masks_of, primary_reasons, reason_lists
from carteiro.rules.sender_tests import fires_on_or_after


@dataclass(frozen=True)
class MethodFacts:
    """Per invoice: what its billing method (or the defaults) says."""

    known: np.ndarray  # the invoice names a billing method that exists
    sender_ok: np.ndarray  # condition 2 passes
    sender_ids: pd.api.extensions.ExtensionArray  # the effective sender (NA: none)
    has_rules: np.ndarray  # condition 3 passes
    fires: np.ndarray  # some active rule fires (condition 4 passes when there are rules)
    explicit_statuses: np.ndarray  # the method has its own «Status do Serviço para Envio»


def method_facts(inv: pd.DataFrame, methods: pd.DataFrame, senders: pd.DataFrame,
                 rules: pd.DataFrame) -> MethodFacts:
    """Conditions 2–4 inputs. A rule fires when the invoice is open on its send date; the
    earliest rule (lowest offset) fires whenever any does, so only the first send date is
    compared with the payment date. Condition 2 passes when the sender exists, is active,
    and has no failed test that speaks for one of the invoice's firing send dates
    (:mod:`carteiro.rules.sender_tests`)."""
    where = positions(inv[Invoice.METHOD_ID], methods[Method.ID])
    known = where >= 0
    default_id = default_sender_id(senders)
    active = np.where(known, take(methods[Method.SENDER_ACTIVE], where, False),
                      sender_active(senders, default_id)).astype(bool)
    # An invoice without a known billing method has no rule, hence no send date a test could
    # speak for: only its default sender's existence counts.
    since = take(methods[Method.SENDER_FAILING_SINCE].to_numpy(dtype="datetime64[D]"), where,
                 np.datetime64("NaT", "D")).astype("datetime64[D]")
    sender_ok = active & ~fires_on_or_after(inv, rules, since)
    sender_ids = take_as(methods[Method.EFFECTIVE_SENDER_ID], where, "Int64")
    if default_id is not None:
        sender_ids[~known] = default_id
    has_rules = take(methods[Method.ACTIVE_RULES], where, 0).astype(int) > 0
    first_offset = take(methods[Method.FIRST_OFFSET].fillna(0).astype(int), where, 0)
    first_send = inv[Invoice.DUE_DATE].to_numpy() + first_offset.astype("timedelta64[D]")
    paid_on = inv[Invoice.PAID_ON].to_numpy()
    paid_from_first = ~np.isnat(paid_on) & (paid_on >= first_send)
    fires = has_rules & (inv[Invoice.UNPAID].to_numpy(dtype=bool) | paid_from_first)
    explicit = take(methods[Method.EXPLICIT_STATUSES], where, False).astype(bool)
    return MethodFacts(known, sender_ok, sender_ids, has_rules, fires, explicit)


def status_excluded(inv_methods: pd.Series, known_method: np.ndarray, explicit: np.ndarray,
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


def recipient_flags(recipients: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
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


def evaluate_invoices(data: ErpData, methods: pd.DataFrame, senders: pd.DataFrame,
                      routine_is_active: bool) -> pd.DataFrame:
    """The invoices in scope (by id) with their sender, service status, one column per
    condition, the reason mask, ``eligible``, ``primary_reason`` and ``reasons``."""
    inv = data.invoices
    if inv[Invoice.ID].is_monotonic_increasing:  # as normalised: share the columns
        inv = inv.reset_index(drop=True)
    else:
        inv = inv.sort_values(Invoice.ID, kind="stable").reset_index(drop=True)
    facts = method_facts(inv, methods, senders, data.email_rules)
    inv[Invoice.SENDER_ID] = facts.sender_ids

    where = positions(inv[Invoice.SERVICE_ID], data.services[Service.ID])
    service_found = where >= 0
    status = pd.Series(take_as(data.services[Service.STATUS], where, "string"))
    inv[Invoice.SERVICE_STATUS] = status
    excluded = status_excluded(inv[Invoice.METHOD_ID], facts.known, facts.explicit_statuses,
                               status, data.send_statuses)
    blocks = take(data.services[Service.BLOCKS_EMAIL], where, False).astype(bool)

    flag_ids, any_allows, any_valid = recipient_flags(data.recipients)
    owner = flag_ids.get_indexer(inv[Invoice.CUSTOMER_ID].astype("Int64"))
    allows = take(any_allows, owner, False).astype(bool)
    allows_valid = take(any_valid, owner, False).astype(bool)

    conditions = {
        "no_email_routine": np.full(len(inv), not routine_is_active),
        "sender_unavailable": ~facts.sender_ok,
        "method_without_rules": ~facts.has_rules,
        "invoice_outside_rules": facts.has_rules & ~facts.fires,
        "service_missing": ~service_found,
        "service_status_excluded": service_found & excluded,
        "service_blocks_email": service_found & blocks,
        "no_contact_allows_email": ~allows,
        "no_valid_email": allows & ~allows_valid,
    }
    assert tuple(conditions) == REASON_CODES
    return with_reasons(inv, conditions)


def with_reasons(inv: pd.DataFrame, conditions: dict[str, np.ndarray]) -> pd.DataFrame:
    """``inv`` with one column per condition and the mask, eligibility and reasons they give."""
    failing = (np.column_stack([conditions[c] for c in REASON_CODES]) if len(inv)
               else np.zeros((0, len(REASON_CODES)), dtype=bool))
    for code in REASON_CODES:
        inv[code] = conditions[code].astype(bool)
    mask = masks_of(failing)
    inv[Invoice.REASON_MASK] = mask
    inv[Invoice.ELIGIBLE] = mask == 0
    inv[Invoice.PRIMARY_REASON] = primary_reasons(mask)
    inv[Invoice.REASONS] = reason_lists(mask)
    return inv

"""Which invoices a change of the engine's inputs can affect: its footprint.

The engine evaluates every invoice from its own row, its service, its customer's recipients,
the configuration of its billing method (rules, «Status do Serviço para Envio», sender) and,
for an invoice with no billing method or an unknown one, the default sender and selection;
condition 1 reads the routines, for everyone. Nothing else: one invoice's result never
depends on another invoice. So between two sets of inputs, the invoices whose result can
differ are exactly those whose inputs differ:

* every invoice, when whether an active billing routine exists changes;
* the invoices of a billing method whose *signature* changed: its evaluated row (effective
  sender, availability, rules count, first offset, explicit selection… every column the
  engine derives), the evaluated row of its effective sender, its rules (offset, active) and
  its selection (status id, status) — whatever the engine reads about a method, now or
  later, follows from these;
* the invoices with no or an unknown billing method, when the default sender (its id or its
  evaluated row) changed;
* the invoices whose own row, service row or customer's recipient rows changed.

This is computed from the tables themselves, not from what a correction says it does, so a
correction that reaches further than its name (activating a sender that then becomes the
default one) is followed wherever it goes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from carteiro.columns import Invoice, Method, Recipient, RuleIn, Sender, SendStatus, Service
from carteiro.erp.dataset import ErpData
from carteiro.plan.corrections import SenderTests
from carteiro.rules.configuration import (
    default_sender_id,
    evaluate_methods,
    evaluate_senders,
    routine_active,
)

Signature = tuple[Any, ...]


def _scalar(value: Any) -> Any:
    try:
        return None if pd.isna(value) else value
    except (TypeError, ValueError):  # an array-like cell
        return repr(value)


def _rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """The rows of a small configuration table as tuples (nulls as None)."""
    cells = frame.astype(object).to_numpy().tolist()
    return [tuple(_scalar(v) for v in row) for row in cells]


def _by_key(frame: pd.DataFrame, key: str, columns: list[str]) -> dict[Any, Signature]:
    """Per non-null ``key``: the sorted rows of ``columns`` (a small configuration table)."""
    out: dict[Any, list[tuple[Any, ...]]] = {}
    for k, row in zip(frame[key].astype(object).tolist(), _rows(frame[columns]), strict=True):
        if not pd.isna(k):
            out.setdefault(int(k), []).append(row)
    return {k: tuple(sorted(v, key=repr)) for k, v in out.items()}


@dataclass(frozen=True)
class Config:
    """The evaluated configuration of one set of inputs, and its signatures."""

    routine_active: bool
    senders: pd.DataFrame
    methods: pd.DataFrame
    method_ids: frozenset[int]
    signatures: dict[int, Signature]  # billing method id (also one only rules name) →
    default: Signature  # the default sender: id and evaluated row


def configuration(data: ErpData, sender_tests: SenderTests) -> Config:
    """What :func:`carteiro.rules.engine.evaluate` derives before it looks at the invoices."""
    senders = evaluate_senders(data.senders, sender_tests or {})
    methods = evaluate_methods(data, senders)
    sender_rows = dict(zip(senders[Sender.ID].astype("Int64"), _rows(senders), strict=True))
    rules = _by_key(data.email_rules, RuleIn.METHOD_ID, [RuleIn.DAYS, RuleIn.ACTIVE])
    chosen = _by_key(data.send_statuses, SendStatus.METHOD_ID,
                     [SendStatus.STATUS_ID, SendStatus.STATUS])
    own = dict(zip(methods[Method.ID].astype("Int64"), _rows(methods), strict=True))
    effective = dict(zip(methods[Method.ID].astype("Int64"),
                         methods[Method.EFFECTIVE_SENDER_ID].astype("Int64"), strict=True))
    signatures: dict[int, Signature] = {}
    for key in set(own) | set(rules) | set(chosen):
        if pd.isna(key):
            continue
        sender = effective.get(key, pd.NA)
        signatures[int(key)] = (own.get(key), None if pd.isna(sender) else
                                sender_rows.get(sender), rules.get(key), chosen.get(key))
    default_id = default_sender_id(senders)
    return Config(
        routine_active=routine_active(data.routines),
        senders=senders,
        methods=methods,
        method_ids=frozenset(int(m) for m in methods[Method.ID].dropna()),
        signatures=signatures,
        default=(default_id, sender_rows.get(default_id) if default_id is not None else None),
    )


@dataclass(frozen=True)
class MethodRows:
    """The billing method of each invoice row, factorised once per invoice table."""

    codes: np.ndarray  # per row: index into ``ids`` (-1: none)
    ids: np.ndarray  # the distinct method ids named

    @classmethod
    def of(cls, invoices: pd.DataFrame) -> MethodRows:
        codes, uniques = pd.factorize(invoices[Invoice.METHOD_ID].astype("Int64"),
                                      use_na_sentinel=True)
        return cls(codes.astype(np.int64), np.asarray(uniques, dtype=np.int64))

    def rows(self, keys: set[int], known: frozenset[int], default: bool) -> np.ndarray:
        """Rows whose method is in ``keys``, plus (``default``) those whose method is none or
        not in ``known``."""
        wanted = np.array([k in keys or (default and k not in known) for k in self.ids.tolist()]
                          + [default], dtype=bool)
        return wanted[self.codes]  # code -1 takes the last entry: no method


def changed_methods(old: Config, new: Config) -> tuple[set[int], bool]:
    """Method ids whose signature differs, and whether the default sender changed."""
    keys = {k for k in set(old.signatures) | set(new.signatures)
            if old.signatures.get(k) != new.signatures.get(k)}
    return keys, old.default != new.default


def changed_rows(old: pd.DataFrame, new: pd.DataFrame,
                 columns: Collection[str] | None = None) -> np.ndarray:
    """Per row (same length and order): does a value of ``columns`` (default: every column)
    differ? Nulls equal nulls."""
    if old is new or columns is not None and not columns:
        return np.zeros(len(old), dtype=bool)
    if len(old) != len(new):
        raise ValueError("a correction added or dropped a row of a big table")
    differs = np.zeros(len(old), dtype=bool)
    for column in old.columns if columns is None else columns:
        a, b = old[column], new[column]
        both_null = (a.isna() & b.isna()).to_numpy(dtype=bool)
        ne = (a != b).fillna(True).to_numpy(dtype=bool) if len(a) else np.zeros(0, bool)
        differs |= ne & ~both_null
    return differs


def _rows_naming(column: pd.Series, ids: pd.Series) -> np.ndarray:
    return column.isin(ids.dropna().unique()).to_numpy(dtype=bool)


def footprint(old: ErpData, old_config: Config, old_rows: MethodRows,
              new: ErpData, new_config: Config,
              written: Mapping[str, Collection[str]] | None = None) -> np.ndarray:
    """Per invoice row: can its result differ between the two sets of inputs?

    ``written``: per big table (``invoices``, ``services``, ``recipients``), the only columns
    that can differ between the two (what the list corrections that differ write); None:
    compare every column."""
    def columns(table: str) -> Collection[str] | None:
        return None if written is None else written.get(table, ())

    n = len(old.invoices)
    if old_config.routine_active != new_config.routine_active:
        return np.ones(n, dtype=bool)
    keys, default = changed_methods(old_config, new_config)
    # A row whose billing method differs between the two is a changed invoice row (below).
    mask = old_rows.rows(keys, old_config.method_ids & new_config.method_ids, default)
    mask |= changed_rows(old.invoices, new.invoices, columns("invoices"))
    services = changed_rows(old.services, new.services, columns("services"))
    if services.any():
        ids = old.services.loc[services, Service.ID]
        mask |= _rows_naming(old.invoices[Invoice.SERVICE_ID], ids)
        mask |= _rows_naming(new.invoices[Invoice.SERVICE_ID], ids)
    recipients = changed_rows(old.recipients, new.recipients, columns("recipients"))
    if recipients.any():
        customers = pd.concat([old.recipients.loc[recipients, Recipient.CUSTOMER_ID],
                               new.recipients.loc[recipients, Recipient.CUSTOMER_ID]])
        mask |= _rows_naming(old.invoices[Invoice.CUSTOMER_ID], customers)
    return mask

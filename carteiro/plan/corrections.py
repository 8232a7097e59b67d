"""Corrections: one change to the ERP (or to the sender-test history) as a pure transform of
the normalised tables.

A :class:`Correction` names one ERP object and the condition it fixes, carries a pt-BR action
sentence, and :meth:`Correction.apply` returns corrected :class:`Inputs` — new frames, never
the old ones changed. The transforms only change values or add rows to the small
configuration tables (routines, senders, billing methods, rules, «Status do Serviço para
Envio»); on the big tables (invoices, services, recipients) only a list correction writes, one
declared column of one table (:attr:`ListCorrection.TABLE`, :attr:`ListCorrection.COLUMN`),
in a copy, never adding, dropping or reordering a row: a row keeps its position from one set
of corrections to the next.

Corrections commute: applied in any order, they give the engine the same verdicts (the
tables are the same up to the ids and order of added configuration rows, and, for a customer
both in a list of permissions and in a list of addresses, which of its recipients allow
e-mail — every one of them has a valid address then). A set of corrections is applied in a
fixed order all the same (:func:`apply_all`).

The sender-test history (``sender_tests``) is what :func:`carteiro.rules.engine.evaluate`
takes as its third argument; it is passed through untouched, except that fixing a sender
drops that sender's failed test from it (a mapping keeps its other keys and values; any
other collection of sender ids keeps its other ids).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any, ClassVar, TypeAlias

import numpy as np
import pandas as pd

from carteiro.columns import (
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
from carteiro.erp.dataset import BILLING_ROUTINE, DEFAULT_EXCLUDED_STATUSES, ErpData
from carteiro.rules.catalogue import REASON_BY_CODE
from carteiro.rules.sender_tests import FailingSince

SenderTests: TypeAlias = FailingSince | None
"""The sender-test state the engine reads for condition 2, the third argument of
:func:`~carteiro.rules.engine.evaluate`: sender id → the day its failed test speaks from."""


def without_failure(sender_tests: SenderTests, sender_id: int) -> SenderTests:
    """``sender_tests`` without a failed test of ``sender_id``: as if its latest test passed."""
    return {k: v for k, v in (sender_tests or {}).items() if k != sender_id}


@dataclass(frozen=True)
class Inputs:
    """What the engine reads: the normalised tables and the sender-test history."""

    data: ErpData
    sender_tests: SenderTests


class Reach(StrEnum):
    """How far a correction's change can reach in the engine's inputs.

    ``method``: only the rules or the «Status do Serviço para Envio» of its billing method (so
    only the invoices of that method); ``global``: the routines, a sender, the sender-test
    history or which sender a method names (the default sender can change with them, and
    every method that uses it); ``rows``: values of the invoices, services or recipients it
    lists."""

    METHOD = "method"
    GLOBAL = "global"
    ROWS = "rows"


class Phase(IntEnum):
    """Configuration corrections (global, per sender, per billing method) come first in the
    plan; lists (per invoice, service or customer: a decision each) after them."""

    CONFIGURATION = 1
    LIST = 2


@dataclass(frozen=True, eq=False, kw_only=True)
class Correction:
    """One correction. Equal (and hashed) by :attr:`key`: kind and object."""

    KIND: ClassVar[str]
    CONDITION: ClassVar[str]
    PHASE: ClassVar[Phase] = Phase.CONFIGURATION
    REACH: ClassVar[Reach] = Reach.GLOBAL
    TARGET: ClassVar[str] = ""  # what a list's ids are: invoice | service | customer

    action: str = field(default="")  # pt-BR: what to do in the ERP

    @property
    def key(self) -> str:
        """Stable identifier: ``kind[:object[:parameter]]``."""
        raise NotImplementedError

    @property
    def object_id(self) -> int | None:
        """The ERP object's id (a list has none: its objects are :attr:`targets`)."""
        return None

    @property
    def targets(self) -> np.ndarray:
        """The ids a list correction touches (empty for a configuration correction)."""
        return np.zeros(0, dtype=np.int64)

    @property
    def objects(self) -> int:
        return len(self.targets) if self.PHASE == Phase.LIST else 1

    @property
    def erp_path(self) -> str:
        """Where to fix it: the menu path of its condition in the catalogue."""
        return REASON_BY_CODE[self.CONDITION].menu_path

    @property
    def condition_number(self) -> int:
        return REASON_BY_CODE[self.CONDITION].number

    def apply(self, inputs: Inputs) -> Inputs:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Correction) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key})"


def _ids(values: Iterable[int] | np.ndarray) -> np.ndarray:
    return np.unique(np.asarray(list(values) if not isinstance(values, np.ndarray) else values,
                                dtype=np.int64))


def _with_rows(frame: pd.DataFrame, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """``frame`` with ``rows`` appended, keeping its dtypes (a small configuration table)."""
    if not rows:
        return frame
    extra = pd.DataFrame(rows, columns=frame.columns)
    for column, dtype in frame.dtypes.items():
        with contextlib.suppress(TypeError, ValueError):  # a null where none is: upcast
            extra[column] = extra[column].astype(dtype)
    return pd.concat([frame, extra], ignore_index=True)


def _set(frame: pd.DataFrame, where: np.ndarray, column: str, value: Any) -> pd.DataFrame:
    """A copy of ``frame`` with ``column`` set to ``value`` on the rows ``where`` (a mask)."""
    out = frame.copy(deep=False)
    values = out[column].copy()
    values[where] = value
    out[column] = values
    return out


def _next_id(ids: pd.Series) -> int:
    known = ids.dropna()
    return int(known.max()) + 1 if len(known) else 1


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=6)
    for array in arrays:
        h.update(np.ascontiguousarray(array, dtype=np.int64).tobytes())
        h.update(b"|")
    return h.hexdigest()


def _replace(inputs: Inputs, sender_tests: SenderTests | None = None, **tables: Any) -> Inputs:
    data = dataclasses.replace(inputs.data, **tables) if tables else inputs.data
    tests = inputs.sender_tests if sender_tests is None else sender_tests
    return Inputs(data, tests)


# Condition 1 ----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, kw_only=True)
class ActivateRoutine(Correction):
    """Activate the billing e-mail routine ``routine_id``, or add one when there is none."""

    KIND: ClassVar[str] = "activate_routine"
    CONDITION: ClassVar[str] = "no_email_routine"
    routine_id: int | None = None

    @property
    def key(self) -> str:
        return self.KIND

    @property
    def object_id(self) -> int | None:
        return self.routine_id

    def apply(self, inputs: Inputs) -> Inputs:
        routines = inputs.data.routines
        mine = (routines[RoutineIn.ID] == self.routine_id).fillna(False).to_numpy(dtype=bool)
        if self.routine_id is not None and mine.any():
            routines = _set(routines, mine, RoutineIn.ACTIVE, True)
        else:
            routines = _with_rows(routines, [{RoutineIn.ID: None, RoutineIn.KIND: BILLING_ROUTINE,
                                              RoutineIn.TIME: None, RoutineIn.ACTIVE: True}])
        return _replace(inputs, routines=routines)


# Condition 2 ----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, kw_only=True)
class FixSender(Correction):
    """Make sender ``sender_id`` available: active, and its latest test passed."""

    KIND: ClassVar[str] = "fix_sender"
    CONDITION: ClassVar[str] = "sender_unavailable"
    sender_id: int

    @property
    def key(self) -> str:
        return f"{self.KIND}:{self.sender_id}"

    @property
    def object_id(self) -> int | None:
        return self.sender_id

    def apply(self, inputs: Inputs) -> Inputs:
        senders = inputs.data.senders
        mine = (senders[Sender.ID] == self.sender_id).fillna(False).to_numpy(dtype=bool)
        return _replace(inputs, without_failure(inputs.sender_tests, self.sender_id),
                        senders=_set(senders, mine, Sender.ACTIVE, True))


@dataclass(frozen=True, eq=False, kw_only=True)
class RepointSender(Correction):
    """The billing methods that name the missing sender ``sender_id`` use the default sender
    instead (what choosing a sender that exists would give)."""

    KIND: ClassVar[str] = "repoint_sender"
    CONDITION: ClassVar[str] = "sender_unavailable"
    sender_id: int

    @property
    def key(self) -> str:
        return f"{self.KIND}:{self.sender_id}"

    @property
    def object_id(self) -> int | None:
        return self.sender_id

    def apply(self, inputs: Inputs) -> Inputs:
        methods = inputs.data.billing_methods
        mine = (methods[Method.SENDER_ID] == self.sender_id).fillna(False).to_numpy(dtype=bool)
        return _replace(inputs, billing_methods=_set(methods, mine, Method.SENDER_ID, pd.NA))


@dataclass(frozen=True, eq=False, kw_only=True)
class CreateSender(Correction):
    """Register an active default sender (the ERP has none at all)."""

    KIND: ClassVar[str] = "create_sender"
    CONDITION: ClassVar[str] = "sender_unavailable"

    @property
    def key(self) -> str:
        return self.KIND

    def apply(self, inputs: Inputs) -> Inputs:
        senders = inputs.data.senders
        row = dict.fromkeys(senders.columns)
        row.update({Sender.ID: _next_id(senders[Sender.ID]), Sender.DESCRIPTION: "(novo)",
                    Sender.ACTIVE: True, Sender.IS_DEFAULT: True})
        return _replace(inputs, senders=_with_rows(senders, [row]))


# Conditions 3 and 4 ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, kw_only=True)
class AddRules(Correction):
    """Add active e-mail rules at ``offsets`` (days from the due date) to billing method
    ``method_id`` (condition 3: it has none)."""

    KIND: ClassVar[str] = "add_rules"
    CONDITION: ClassVar[str] = "method_without_rules"
    REACH: ClassVar[Reach] = Reach.METHOD
    method_id: int
    offsets: tuple[int, ...]

    @property
    def key(self) -> str:
        return f"{self.KIND}:{self.method_id}:{','.join(map(str, self.offsets))}"

    @property
    def object_id(self) -> int | None:
        return self.method_id

    def apply(self, inputs: Inputs) -> Inputs:
        rules = inputs.data.email_rules
        first = _next_id(rules[RuleIn.ID])
        rows = [{RuleIn.ID: first + i, RuleIn.METHOD_ID: self.method_id, RuleIn.DAYS: days,
                 RuleIn.SUBJECT: "(simulada)", RuleIn.ACTIVE: True}
                for i, days in enumerate(self.offsets)]
        return _replace(inputs, email_rules=_with_rows(rules, rows))


@dataclass(frozen=True, eq=False, kw_only=True)
class AddRule(AddRules):
    """Add one active rule at ``days`` to billing method ``method_id`` (condition 4)."""

    KIND: ClassVar[str] = "add_rule"
    CONDITION: ClassVar[str] = "invoice_outside_rules"
    offsets: tuple[int, ...] = ()
    days: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "offsets", (self.days,))

    @property
    def key(self) -> str:
        return f"{self.KIND}:{self.method_id}:{self.days}"


# Condition 6 ----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, kw_only=True)
class AllowStatus(Correction):
    """Add service status ``status`` (a normalised prefix) to the «Status do Serviço para
    Envio» of billing method ``method_id``. A method on the default selection gets an explicit
    one: every status but ``cancelado`` and ``inativo``, plus ``status``."""

    KIND: ClassVar[str] = "allow_status"
    CONDITION: ClassVar[str] = "service_status_excluded"
    REACH: ClassVar[Reach] = Reach.METHOD
    method_id: int
    status: str

    @property
    def key(self) -> str:
        return f"{self.KIND}:{self.method_id}:{self.status}"

    @property
    def object_id(self) -> int | None:
        return self.method_id

    def apply(self, inputs: Inputs) -> Inputs:
        chosen = inputs.data.send_statuses
        statuses = inputs.data.service_statuses.dropna(subset=[ServiceStatus.STATUS])
        statuses = statuses[statuses[ServiceStatus.ID].notna()]
        mine = (chosen[SendStatus.METHOD_ID] == self.method_id).fillna(False)
        have = set(chosen.loc[mine, SendStatus.STATUS].dropna())
        wanted = {self.status}
        if not mine.any():
            wanted |= set(statuses[ServiceStatus.STATUS]) - DEFAULT_EXCLUDED_STATUSES
        add = statuses[statuses[ServiceStatus.STATUS].isin(wanted - have)]
        rows = [{SendStatus.METHOD_ID: self.method_id, SendStatus.STATUS_ID: status_id,
                 SendStatus.STATUS: status}
                for status_id, status in zip(add[ServiceStatus.ID], add[ServiceStatus.STATUS],
                                             strict=True)]
        if self.status not in set(add[ServiceStatus.STATUS]) | have:
            # no status row has this prefix: the selection still names it
            rows.append({SendStatus.METHOD_ID: self.method_id, SendStatus.STATUS_ID: None,
                         SendStatus.STATUS: self.status})
        return _replace(inputs, send_statuses=_with_rows(chosen, rows))


# Lists ----------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, kw_only=True)
class ListCorrection(Correction):
    """A decision per invoice, service or customer, shown as one line: ``ids`` are them."""

    PHASE: ClassVar[Phase] = Phase.LIST
    REACH: ClassVar[Reach] = Reach.ROWS
    TABLE: ClassVar[str]  # the big table it writes (an ErpData field)…
    COLUMN: ClassVar[str]  # …and the one column it writes there
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def _write(self, inputs: Inputs, where: np.ndarray, value: Any) -> Inputs:
        """``inputs`` with :attr:`COLUMN` of :attr:`TABLE` set to ``value`` on ``where``."""
        frame = getattr(inputs.data, self.TABLE)
        return _replace(inputs, **{self.TABLE: _set(frame, where, self.COLUMN, value)})

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", _ids(self.ids))

    @property
    def key(self) -> str:
        """``kind[:parameter]:count:digest`` — two lists are the same correction only when
        they touch the same objects the same way."""
        return f"{self.KIND}{self._parameter()}:{len(self.ids)}:{_digest(*self._arrays())}"

    def _parameter(self) -> str:
        return ""

    def _arrays(self) -> tuple[np.ndarray, ...]:
        return (self.ids,)

    @property
    def targets(self) -> np.ndarray:
        return self.ids


@dataclass(frozen=True, eq=False, kw_only=True)
class LinkMethod(ListCorrection):
    """Invoices with no billing method (or an unknown one) linked to ``method_id``."""

    KIND: ClassVar[str] = "link_method"
    CONDITION: ClassVar[str] = "method_without_rules"
    TARGET: ClassVar[str] = "invoice"
    TABLE: ClassVar[str] = "invoices"
    COLUMN: ClassVar[str] = Invoice.METHOD_ID
    method_id: int

    def _parameter(self) -> str:
        return f":{self.method_id}"

    def apply(self, inputs: Inputs) -> Inputs:
        mine = inputs.data.invoices[Invoice.ID].isin(self.ids).to_numpy(dtype=bool)
        return self._write(inputs, mine, self.method_id)


@dataclass(frozen=True, eq=False, kw_only=True)
class LinkService(ListCorrection):
    """Invoices with no service (or an unknown one) linked to ``service_ids`` (one each, in
    the order of ``ids``, which must be ascending and unique)."""

    KIND: ClassVar[str] = "link_service"
    CONDITION: ClassVar[str] = "service_missing"
    TARGET: ClassVar[str] = "invoice"
    TABLE: ClassVar[str] = "invoices"
    COLUMN: ClassVar[str] = Invoice.SERVICE_ID
    service_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        order = np.argsort(np.asarray(self.ids, dtype=np.int64), kind="stable")
        ids = np.asarray(self.ids, dtype=np.int64)[order]
        services = np.asarray(self.service_ids, dtype=np.int64)[order]
        if len(np.unique(ids)) != len(ids) or len(ids) != len(services):
            raise ValueError("one service per invoice, each invoice once")
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "service_ids", services)

    def _arrays(self) -> tuple[np.ndarray, ...]:
        return (self.ids, self.service_ids)

    def apply(self, inputs: Inputs) -> Inputs:
        inv = inputs.data.invoices
        where = pd.Index(self.ids).get_indexer(inv[Invoice.ID].astype("Int64"))
        mine = where >= 0
        return self._write(inputs, mine, self.service_ids[where[mine]])


@dataclass(frozen=True, eq=False, kw_only=True)
class AllowEmail(ListCorrection):
    """The services ``ids`` (billing notice ``notice``) allow billing e-mail."""

    KIND: ClassVar[str] = "allow_email"
    CONDITION: ClassVar[str] = "service_blocks_email"
    TARGET: ClassVar[str] = "service"
    TABLE: ClassVar[str] = "services"
    COLUMN: ClassVar[str] = Service.BLOCKS_EMAIL
    notice: str = ""

    def _parameter(self) -> str:
        return f":{self.notice}" if self.notice else ""

    def apply(self, inputs: Inputs) -> Inputs:
        mine = inputs.data.services[Service.ID].isin(self.ids).to_numpy(dtype=bool)
        return self._write(inputs, mine, False)


@dataclass(frozen=True, eq=False, kw_only=True)
class AllowContacts(ListCorrection):
    """For each customer ``ids`` (none of its recipients allows billing e-mail): its recipients
    with a valid address allow it; when none has a valid address, all of them do (the address
    is then :class:`FixAddresses`' job)."""

    KIND: ClassVar[str] = "allow_contacts"
    CONDITION: ClassVar[str] = "no_contact_allows_email"
    TARGET: ClassVar[str] = "customer"
    TABLE: ClassVar[str] = "recipients"
    COLUMN: ClassVar[str] = Recipient.ALLOWS_EMAIL

    def apply(self, inputs: Inputs) -> Inputs:
        rec = inputs.data.recipients
        mine = rec[Recipient.CUSTOMER_ID].isin(self.ids).to_numpy(dtype=bool)
        valid = rec[Recipient.VALID_EMAIL].to_numpy(dtype=bool)
        with_valid = rec.loc[mine & valid, Recipient.CUSTOMER_ID].unique()
        has_valid = rec[Recipient.CUSTOMER_ID].isin(with_valid).to_numpy(dtype=bool)
        chosen = mine & (valid | ~has_valid)
        return self._write(inputs, chosen, True)


@dataclass(frozen=True, eq=False, kw_only=True)
class FixAddresses(ListCorrection):
    """For each customer ``ids``: its recipients get a valid address."""

    KIND: ClassVar[str] = "fix_addresses"
    CONDITION: ClassVar[str] = "no_valid_email"
    TARGET: ClassVar[str] = "customer"
    TABLE: ClassVar[str] = "recipients"
    COLUMN: ClassVar[str] = Recipient.VALID_EMAIL

    def apply(self, inputs: Inputs) -> Inputs:
        mine = inputs.data.recipients[Recipient.CUSTOMER_ID].isin(self.ids).to_numpy(dtype=bool)
        return self._write(inputs, mine, True)


def apply_all(inputs: Inputs, corrections: Iterable[Correction]) -> Inputs:
    """``inputs`` with every correction applied (in a fixed order; they commute)."""
    for correction in sorted(corrections, key=order_key):
        inputs = correction.apply(inputs)
    return inputs


def order_key(correction: Correction) -> tuple[int, int, str]:
    """Phase, then condition, then key: the order lists and ties follow."""
    return (int(correction.PHASE), correction.condition_number, correction.key)

"""A thread-safe least-recently-used cache bounded by **memory**, not by a count of entries.

The dashboard keeps each period's audit in memory; at a million customers one audit is about a
gigabyte, at ten thousand a few megabytes, so "twelve entries" means either nothing or more
than the server has. :class:`MemoryCache` estimates each value's bytes when it is stored
(:func:`estimate_bytes`: the frames' ``memory_usage(deep=False)`` plus, for text/object
columns, a sample of their values' sizes) and evicts the least recently used entries until the
total fits the budget.

Choices: the budget is ``CARTEIRO_CACHE_MB`` megabytes (default :data:`DEFAULT_MB`; a value
that is not a positive number gives a one-line pt-BR warning and the default). The entry just
stored is always kept, even alone above the budget (the page that asked for it needs it; the
next store evicts it first if it is the oldest). Entries also expire ``ttl`` seconds after
they were stored (the ERP changes during the day). Concurrent requests for the same key wait
for one load instead of loading twice.

No Streamlit here: the dashboard (``pages/_common.py``) holds one instance per process.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import fields, is_dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

ENV_VAR: Final = "CARTEIRO_CACHE_MB"
DEFAULT_MB: Final = 2500
MB: Final = 1024 * 1024
SAMPLE_ROWS: Final = 1000
MAX_DEPTH: Final = 4


def budget_from_env(environ: Mapping[str, str] | None = None) -> tuple[int, str | None]:
    """The budget in bytes from ``CARTEIRO_CACHE_MB``, and a pt-BR warning when the value was
    not usable (then the default is used)."""
    env = os.environ if environ is None else environ
    text = env.get(ENV_VAR)
    if text is None or not text.strip():
        return DEFAULT_MB * MB, None
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        value = float("nan")
    if not np.isfinite(value) or value <= 0:
        return DEFAULT_MB * MB, (f"{ENV_VAR} inválido ({text.strip()!r}): use um número de "
                                 f"megabytes maior que zero; usando {DEFAULT_MB} MB.")
    return int(value * MB), None


def _holds_python_objects(dtype: Any) -> bool:
    """Object columns, and strings stored as Python objects (Arrow-backed strings are counted
    exactly by ``memory_usage(deep=False)``: their buffers)."""
    if pd.api.types.is_object_dtype(dtype):
        return True
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "python"


def _frame_bytes(frame: pd.DataFrame | pd.Series) -> int:
    """Shallow bytes of the columns plus, for columns of Python objects, the sampled size of
    their values times the rows (``deep=True`` would touch every string: seconds at 1M). A
    value repeated in the sample (the same object: a city, a status) is counted once."""
    shallow = frame.memory_usage(index=True, deep=False)
    total = int(shallow.sum() if isinstance(shallow, pd.Series) else shallow)
    columns = frame.items() if isinstance(frame, pd.DataFrame) else [(None, frame)]
    for _, column in columns:
        rows = len(column)
        if rows == 0 or not _holds_python_objects(column.dtype):
            continue
        step = max(1, rows // SAMPLE_ROWS)
        sample = column.iloc[::step].to_numpy(dtype=object)
        distinct = {id(value): value for value in sample}
        sampled = sum(sys.getsizeof(value) for value in distinct.values())
        total += int(sampled / len(sample) * rows)
    return total


#: Dataclass field metadata key: the field's value is held (and counted) by another entry.
SHARED: Final = "shared"
#: Class attribute of a plain object: the names of its attributes held by another entry.
SHARED_ATTRIBUTES: Final = "cache_shared_attributes"


def estimate_bytes(value: Any, _depth: int = 0) -> int:
    """An estimate of the memory held by ``value``: frames, arrays, and what dataclasses,
    dicts, lists, tuples and plain objects' attributes hold of them (a few levels deep);
    anything else by ``sys.getsizeof``. What another entry holds is not counted here: a
    dataclass field whose metadata says :data:`SHARED` (the audit a reconciliation points to),
    an attribute named in the class's :data:`SHARED_ATTRIBUTES` (a simulator's audit)."""
    if isinstance(value, pd.DataFrame | pd.Series):
        return _frame_bytes(value)
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if _depth >= MAX_DEPTH:
        return sys.getsizeof(value)
    inner = _depth + 1
    if is_dataclass(value) and not isinstance(value, type):
        return sys.getsizeof(value) + sum(
            estimate_bytes(getattr(value, f.name), inner) for f in fields(value)
            if not f.metadata.get(SHARED))
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(estimate_bytes(v, inner) for v in value.values())
    if isinstance(value, list | tuple):
        return sys.getsizeof(value) + sum(estimate_bytes(v, inner) for v in value)
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict) and not isinstance(value, type):
        shared = getattr(type(value), SHARED_ATTRIBUTES, ())
        return sys.getsizeof(value) + sum(
            estimate_bytes(v, inner) for k, v in attributes.items() if k not in shared)
    return sys.getsizeof(value)


class _Entry:
    __slots__ = ("bytes", "stored", "value")

    def __init__(self, value: Any, size: int, stored: float) -> None:
        self.value = value
        self.bytes = size
        self.stored = stored


class MemoryCache:
    """Least-recently-used values keyed on small hashable tuples, within ``budget_bytes``."""

    def __init__(self, budget_bytes: int, ttl: float | None = None,
                 sizeof: Callable[[Any], int] = estimate_bytes,
                 clock: Callable[[], float] = time.monotonic,
                 release: Callable[[], None] | None = None) -> None:
        self.budget_bytes = int(budget_bytes)
        self.ttl = ttl
        self._sizeof = sizeof
        self._clock = clock
        self._release = release or release_memory
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.RLock()
        self._loading: dict[Hashable, threading.Lock] = {}

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return sum(entry.bytes for entry in self._entries.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def ordered_keys(self) -> list[Hashable]:
        """The keys, least recently used first."""
        with self._lock:
            return list(self._entries)

    def _fresh(self, entry: _Entry) -> bool:
        return self.ttl is None or self._clock() - entry.stored < self.ttl

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value of ``key`` (now the most recently used), or ``default``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return default
            if not self._fresh(entry):
                del self._entries[key]
                return default
            self._entries.move_to_end(key)
            return entry.value

    def __contains__(self, key: Hashable) -> bool:
        sentinel = object()
        return self.get(key, sentinel) is not sentinel

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value`` as the most recently used, evicting the least recently used entries
        until the total fits the budget (the new entry itself is always kept). After an
        eviction the memory is handed back (:func:`release_memory`)."""
        size = self._sizeof(value)
        evicted = []
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = _Entry(value, size, self._clock())
            total = sum(entry.bytes for entry in self._entries.values())
            while total > self.budget_bytes and len(self._entries) > 1:
                _, oldest = self._entries.popitem(last=False)
                total -= oldest.bytes
                evicted.append(oldest)
        if evicted:
            del evicted
            self._release()

    def get_or_load(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The cached value of ``key``, or ``load()`` stored under it. Concurrent callers of the
        same key wait for one load; other keys load in parallel."""
        sentinel = object()
        value = self.get(key, sentinel)
        if value is not sentinel:
            return value
        with self._lock:
            key_lock = self._loading.setdefault(key, threading.Lock())
        with key_lock:
            value = self.get(key, sentinel)
            if value is sentinel:
                value = load()
                self.put(key, value)
        with self._lock:
            self._loading.pop(key, None)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
        self._release()


def release_memory() -> None:
    """Free what the evicted values held: a full garbage collection (pandas frames hold
    reference cycles, so an audit can outlive its last reference until one runs) and, on
    glibc, ``malloc_trim`` (returns the freed heap to the system, so the server's RSS falls)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: reused, not returned
        ctypes.CDLL("libc.so.6").malloc_trim(0)

"""The dashboard's audit cache bounded by memory (carteiro/memory_cache.py)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest

from carteiro import memory_cache as mc

MB = 1024 * 1024


def NO_RELEASE() -> None:  # no gc.collect in these tests
    return None


def by_length(value: bytes) -> int:
    return len(value)


def test_eviction_by_bytes_keeps_the_total_within_the_budget() -> None:
    cache = mc.MemoryCache(budget_bytes=100, sizeof=by_length, release=NO_RELEASE)
    cache.put("a", b"x" * 40)
    cache.put("b", b"x" * 40)
    assert cache.ordered_keys() == ["a", "b"] and cache.total_bytes == 80
    cache.put("c", b"x" * 30)  # 110 > 100: the oldest goes
    assert cache.ordered_keys() == ["b", "c"] and cache.total_bytes == 70
    cache.put("d", b"x" * 10)  # 80: nothing goes although there are now three entries
    assert cache.ordered_keys() == ["b", "c", "d"]


def test_many_small_entries_are_all_kept() -> None:
    """Bounded by bytes, not by count: twenty small entries fit a budget of a few bytes each."""
    cache = mc.MemoryCache(budget_bytes=1000, sizeof=by_length, release=NO_RELEASE)
    for i in range(20):
        cache.put(("k", i), b"x" * 10)
    assert len(cache) == 20


def test_least_recently_used_goes_first() -> None:
    cache = mc.MemoryCache(budget_bytes=100, sizeof=by_length, release=NO_RELEASE)
    cache.put("a", b"x" * 40)
    cache.put("b", b"x" * 40)
    assert cache.get("a") == b"x" * 40  # a is now the most recently used
    cache.put("c", b"x" * 40)
    assert cache.ordered_keys() == ["a", "c"]
    assert "b" not in cache


def test_an_entry_above_the_budget_is_kept_alone() -> None:
    cache = mc.MemoryCache(budget_bytes=100, sizeof=by_length, release=NO_RELEASE)
    cache.put("a", b"x" * 10)
    cache.put("big", b"x" * 500)
    assert cache.ordered_keys() == ["big"]
    cache.put("b", b"x" * 10)
    assert cache.ordered_keys() == ["b"]


def test_entries_expire_after_the_ttl() -> None:
    now = [0.0]
    cache = mc.MemoryCache(budget_bytes=100, sizeof=by_length, ttl=10, clock=lambda: now[0],
                           release=NO_RELEASE)
    cache.put("a", b"x")
    now[0] = 9.9
    assert cache.get("a") == b"x"
    now[0] = 10.0
    assert cache.get("a") is None and len(cache) == 0


def test_get_or_load_loads_once_under_concurrency() -> None:
    cache = mc.MemoryCache(budget_bytes=10 * MB, sizeof=by_length, release=NO_RELEASE)
    calls: list[int] = []
    start = threading.Barrier(8)

    def load() -> bytes:
        calls.append(1)
        time.sleep(0.2)
        return b"value"

    results: list[bytes] = []

    def worker() -> None:
        start.wait()
        results.append(cache.get_or_load(("audit", 1), load))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and results == [b"value"] * 8


def test_concurrent_puts_and_gets_keep_the_accounting_right() -> None:
    cache = mc.MemoryCache(budget_bytes=1000, sizeof=by_length, release=NO_RELEASE)

    def worker(n: int) -> None:
        for i in range(300):
            cache.put((n, i % 37), b"x" * (1 + (i * 7 + n) % 50))
            cache.get((n, (i * 3) % 37))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sizes = [len(cache.get(key)) for key in cache.ordered_keys()]
    assert sum(sizes) == cache.total_bytes <= 1000


def test_estimate_counts_the_text_of_object_columns() -> None:
    rows = 10_000
    numbers = pd.DataFrame({"n": np.arange(rows, dtype=np.int64)})
    assert mc.estimate_bytes(numbers) >= rows * 8
    text = pd.DataFrame({"s": pd.Series(
        [f"um texto de umas quarenta letras {i:08d}" for i in range(rows)], dtype=object)})
    shallow = int(text.memory_usage(deep=False).sum())
    # each Python str of 41 ASCII letters takes 41 + 49 bytes: far more than its pointer
    assert mc.estimate_bytes(text) >= shallow + rows * 80
    assert mc.estimate_bytes(text) <= int(text.memory_usage(deep=True).sum()) * 1.1


def test_a_repeated_object_and_arrow_strings_are_not_counted_per_row() -> None:
    rows = 10_000
    city = "Chapecó e mais um nome de cidade bem comprido"
    repeated = pd.DataFrame({"s": pd.Series([city] * rows, dtype=object)})
    # per row it would be 10.000 × 118 bytes; once per sampled thousand rows, ~1 kB
    assert mc.estimate_bytes(repeated) < int(repeated.memory_usage(deep=False).sum()) + 5000
    arrow = pd.DataFrame({"s": pd.array([f"texto {i}" for i in range(rows)],
                                        dtype="string[pyarrow]")})
    assert mc.estimate_bytes(arrow) == int(arrow.memory_usage(deep=False).sum())


def test_an_eviction_releases_memory() -> None:
    released: list[int] = []
    cache = mc.MemoryCache(budget_bytes=10, sizeof=by_length,
                           release=lambda: released.append(1))
    cache.put("a", b"x" * 8)
    assert released == []
    cache.put("b", b"x" * 8)
    assert released == [1] and cache.ordered_keys() == ["b"]


def test_estimate_walks_dataclasses_and_lists() -> None:
    from dataclasses import dataclass

    @dataclass
    class Holder:
        frames: list[pd.DataFrame]
        array: np.ndarray

    held = Holder([pd.DataFrame({"n": np.zeros(1000)})] * 2, np.zeros(500))
    assert mc.estimate_bytes(held) >= 2 * 8000 + 4000


@pytest.mark.parametrize(("text", "expected_mb"), [
    (None, mc.DEFAULT_MB), ("", mc.DEFAULT_MB), ("800", 800), (" 2,5 ", 2.5), ("0.5", 0.5)])
def test_budget_from_env(text: str | None, expected_mb: float) -> None:
    env = {} if text is None else {mc.ENV_VAR: text}
    budget, warning = mc.budget_from_env(env)
    assert budget == int(expected_mb * MB) and warning is None


@pytest.mark.parametrize("text", ["muito", "-5", "0", "nan", "inf", "1e400"])
def test_bad_budget_warns_in_one_line_and_uses_the_default(text: str) -> None:
    budget, warning = mc.budget_from_env({mc.ENV_VAR: text})
    assert budget == mc.DEFAULT_MB * MB
    assert warning is not None and "\n" not in warning
    assert "CARTEIRO_CACHE_MB" in warning and "inválido" in warning
    assert f"{mc.DEFAULT_MB} MB" in warning


def test_a_shared_field_is_not_counted_twice() -> None:
    """A reconciliation points to its audit, which has its own cache entry: only what the
    reconciliation adds counts."""
    from dataclasses import dataclass, field

    big = pd.DataFrame({"x": np.arange(1_000_000, dtype=np.int64)})
    small = pd.DataFrame({"y": np.arange(1_000, dtype=np.int64)})

    @dataclass(frozen=True)
    class Owning:
        audit: pd.DataFrame
        own: pd.DataFrame

    @dataclass(frozen=True)
    class Pointing:
        audit: pd.DataFrame = field(metadata={mc.SHARED: True})
        own: pd.DataFrame = field(default_factory=pd.DataFrame)

    assert mc.estimate_bytes(Owning(big, small)) >= 8_000_000
    assert mc.estimate_bytes(Pointing(big, small)) < 100_000


def test_a_plain_object_counts_its_attributes_but_not_shared_ones() -> None:
    big = pd.DataFrame({"x": np.arange(1_000_000, dtype=np.int64)})

    class Holder:
        def __init__(self) -> None:
            self.audit = big
            self.own = big.copy()

    class Pointer(Holder):
        cache_shared_attributes = ("audit",)

    assert mc.estimate_bytes(Holder()) >= 16_000_000
    assert 8_000_000 <= mc.estimate_bytes(Pointer()) < 9_000_000

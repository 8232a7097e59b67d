"""Shared fixtures: ERP databases built from ``tests/erp_builder.py``."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pytest

from carteiro.erp.dataset import ErpData
from carteiro.erp.load import load_data
from carteiro.period import Period
from carteiro.rules.engine import Audit, evaluate
from tests.erp_builder import MARCH_2024, Erp

MARCH = Period(*MARCH_2024)
REQUIRE_SERVERS = os.environ.get("CARTEIRO_REQUIRE_SERVERS") == "1"


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path_factory: pytest.TempPathFactory,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Carteiro's own state store (sender tests) lives in a temp folder during tests."""
    monkeypatch.setenv("CARTEIRO_STATE_DB", str(tmp_path_factory.mktemp("state") / "s.sqlite"))
    monkeypatch.delenv("CARTEIRO_DB_URL", raising=False)
    monkeypatch.delenv("CARTEIRO_TIMEZONE", raising=False)  # the default, America/Sao_Paulo


@pytest.fixture
def erp() -> Erp:
    return Erp.baseline()


_counter = itertools.count()
LONG_AGO = dt.date(2000, 1, 1)  # a failed test before any send date of the fixtures


@pytest.fixture
def write_db(tmp_path: Path) -> Callable[..., str]:
    def write(erp: Erp, keys: bool = True) -> str:
        return erp.write_sqlite(tmp_path / f"erp{next(_counter)}.sqlite", keys=keys)

    return write


@pytest.fixture
def run(write_db: Callable[..., str]) -> Callable[..., Audit]:
    """Write the ERP to SQLite, load it through queries/ and evaluate."""

    def audit(erp: Erp, period: Period = MARCH,
              failed: Iterable[int] | Mapping[int, dt.date] = (), keys: bool = True) -> Audit:
        """``failed``: sender id → the day its failed test speaks from, or just the ids (a
        test failed long before any send date: it blocks every firing send date)."""
        data: ErpData = load_data(write_db(erp, keys=keys), period)
        since = failed if isinstance(failed, Mapping) else dict.fromkeys(failed, LONG_AGO)
        return evaluate(data, period, since)

    return audit


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)

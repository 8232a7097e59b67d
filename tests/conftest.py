"""Shared fixtures: ERP databases built from ``tests/erp_builder.py``."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable
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


@pytest.fixture
def erp() -> Erp:
    return Erp.baseline()


_counter = itertools.count()


@pytest.fixture
def write_db(tmp_path: Path) -> Callable[..., str]:
    def write(erp: Erp, keys: bool = True) -> str:
        return erp.write_sqlite(tmp_path / f"erp{next(_counter)}.sqlite", keys=keys)

    return write


@pytest.fixture
def run(write_db: Callable[..., str]) -> Callable[..., Audit]:
    """Write the ERP to SQLite, load it through queries/ and evaluate."""

    def audit(erp: Erp, period: Period = MARCH, failed: frozenset[int] = frozenset(),
              keys: bool = True) -> Audit:
        data: ErpData = load_data(write_db(erp, keys=keys), period)
        return evaluate(data, period, failed)

    return audit


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)

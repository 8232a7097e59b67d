"""carteiro/figures.py: every builder returns a go.Figure with pt-BR formats, the data of the
views it draws, and a readable empty state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import plotly.graph_objects as go
import pytest

from carteiro.period import Period
from carteiro.rules.catalogue import REASON_CODES
from carteiro.rules.engine import Audit
from carteiro.views import coverage as coverage_view
from carteiro.views import coverage_figures
from carteiro.views import figures as figures_view
from carteiro.views import reasons as reasons_view
from tests.test_views import mixed_erp


@pytest.fixture
def audit(run: Callable[..., Audit]) -> Audit:
    return run(mixed_erp())


@pytest.fixture
def empty(run: Callable[..., Audit]) -> Audit:
    return run(mixed_erp(), period=Period(dt.date(2030, 1, 1), dt.date(2030, 1, 31)))


def texts(fig: go.Figure) -> str:
    return " ".join(str(a.text) for a in fig.layout.annotations)


def test_due_date_figure(audit: Audit) -> None:
    frame = coverage_view.coverage_over_time(audit)  # a month: one bar per day
    fig = coverage_figures.coverage_over_time_figure(frame)
    assert isinstance(fig, go.Figure)
    assert fig.layout.separators == ",."
    assert [t.name for t in fig.data] == ["Com aviso", "Sem aviso"]
    assert sum(fig.data[0].y) + sum(fig.data[1].y) == len(audit.invoices)
    assert fig.data[0].customdata[9][0] == "10/03/2024"
    assert fig.data[0].customdata[9][1] == "16,7%"


def test_breakdown_figure(audit: Audit) -> None:
    frame = coverage_view.coverage_by_method(audit)
    fig = figures_view.coverage_breakdown_figure(frame)
    assert isinstance(fig, go.Figure)
    assert fig.layout.barmode == "stack"
    assert set(fig.data[0].y) == set(frame[coverage_view.Breakdown.LABEL])
    assert list(fig.data[0].y)[-1] == frame[coverage_view.Breakdown.LABEL].iloc[0]  # largest on top


def test_funnel_figure(audit: Audit) -> None:
    frame = reasons_view.funnel(audit)
    fig = figures_view.funnel_figure(frame)
    assert isinstance(fig.data[0], go.Funnel)
    assert list(fig.data[0].x) == frame[reasons_view.Funnel.REMAINING].tolist()
    assert list(fig.data[0].y)[0] == "Faturas no período"
    assert list(fig.data[0].y)[1] == "1. Sem rotina de envio de e-mail"


def test_reasons_figure_carries_the_codes_in_the_contract_order(audit: Audit) -> None:
    fig = figures_view.reasons_figure(reasons_view.reason_table(audit))
    customers, invoices = fig.data
    assert (customers.name, invoices.name) == ("Clientes", "Faturas")
    codes = list(customers.customdata)
    assert codes == [c for c in REASON_CODES if c != "no_email_routine"]
    assert fig.layout.yaxis.autorange == "reversed"
    assert list(customers.y)[0].startswith("2. ")


@pytest.mark.parametrize("build", [
    lambda a: coverage_figures.coverage_over_time_figure(coverage_view.coverage_over_time(a)),
    lambda a: figures_view.coverage_breakdown_figure(coverage_view.coverage_by_method(a)),
    lambda a: figures_view.funnel_figure(reasons_view.funnel(a)),
    lambda a: figures_view.reasons_figure(reasons_view.reason_table(a)),
])
def test_empty_period_figures_say_so(empty: Audit,
                                     build: Callable[[Audit], go.Figure]) -> None:
    fig = build(empty)
    assert isinstance(fig, go.Figure)
    assert not fig.data
    assert "Nenhuma" in texts(fig)

"""Cobertura's aggregates from invoice rows (carteiro/views/coverage_trend.py) against the
engine's own customer table, one read of many months against each month audited alone, the
trend's plan, and the short R$ and p.p. texts."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pandas as pd
import pytest

from carteiro.period import Period
from carteiro.rules.engine import Audit
from carteiro.views import coverage as coverage_view
from carteiro.views import coverage_headline as headline
from carteiro.views import coverage_trend as trend
from tests.test_views import mixed_erp

FEBRUARY = Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29))
MARCH = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31))
BOTH = Period(FEBRUARY.start, MARCH.end)


def two_months():
    erp = mixed_erp()  # March: customers 1–12
    erp.customer(40, due="2024-02-10")
    erp.customer(41, due="2024-02-12", allows=False, amount=70.0)
    erp.customer(42, due="2024-02-29", status="pago", paid="2024-02-20")
    erp.add("fatura", id_fatura=3003, id_cliente=3, id_cliente_servico=103, id_forma_cobranca=1,
            data_vencimento="2024-02-15", valor=55.0, status="aberto")
    return erp


def test_summary_from_invoices_equals_the_engines_customer_table(
        run: Callable[..., Audit]) -> None:
    audit = run(mixed_erp())
    assert trend.period_summary(audit.invoices, MARCH) == coverage_view.coverage_summary(audit)


def test_one_read_of_two_months_equals_each_month_alone(run: Callable[..., Audit],
                                                        write_db, ) -> None:
    from carteiro.erp.source import DataSource
    from carteiro.rules.audit import run_audit

    url = write_db(two_months())
    source = DataSource(url, "teste")
    both = run_audit(source, BOTH)
    months = trend.monthly(trend.slim(both.invoices), [FEBRUARY.start, MARCH.start])
    for row, period in zip(months.itertuples(index=False), (FEBRUARY, MARCH), strict=True):
        alone = coverage_view.coverage_summary(run_audit(source, period))
        assert row.customers == alone.customers and row.covered == alone.covered
        assert row.partial == alone.partial and row.not_covered == alone.not_covered
        assert row.invoices == alone.invoices
        assert row.eligible_invoices == alone.eligible_invoices
        assert row.amount_without_notice == pytest.approx(alone.amount_without_notice)
        assert row.open_amount == pytest.approx(alone.open_amount)
    # February by hand: customers 40 (covered), 41 (not allowed: R$ 70 open without notice),
    # 42 (paid: outside the rules), 3 (not allowed: R$ 55)
    february = months.iloc[0]
    assert (february["customers"], february["covered"], february["invoices"]) == (4, 1, 4)
    assert february["amount_without_notice"] == pytest.approx(125.0)


def test_trend_data_gives_the_previous_period_from_the_earlier_read(write_db) -> None:
    from carteiro.erp.source import DataSource
    from carteiro.rules.audit import run_audit

    source = DataSource(write_db(two_months()), "teste")
    plan = trend.plan_trend(MARCH, 12)
    assert plan.earlier == Period(dt.date(2023, 4, 1), dt.date(2024, 2, 29))
    assert plan.previous == FEBRUARY and len(plan.months) == 12 and not plan.limited
    current = run_audit(source, MARCH)
    data = trend.trend_data(plan, current.invoices, run_audit(source, plan.earlier).invoices)
    alone = coverage_view.coverage_summary(run_audit(source, FEBRUARY))
    assert data.previous == alone
    assert data.months["month"].dt.strftime("%Y-%m").tolist()[-2:] == ["2024-02", "2024-03"]


def test_a_large_erp_reads_fewer_months_but_always_the_previous_period() -> None:
    plan = trend.plan_trend(MARCH, 1_000_000)
    assert plan.limited and plan.months == [FEBRUARY.start, MARCH.start]
    assert plan.earlier == FEBRUARY
    long = Period(dt.date(2023, 1, 1), dt.date(2024, 3, 31))  # 15 months
    plan = trend.plan_trend(long, 100)
    assert plan.earlier is not None and plan.earlier.start == long.previous().start


@pytest.mark.parametrize(("value", "text"), [
    (0.0, "R$ 0,00"), (987.654, "R$ 987,65"), (129_543.2, "R$ 129,5 mil"),
    (1_000.0, "R$ 1 mil"), (12_345_678.0, "R$ 12,3 mi"), (2.5e9, "R$ 2,5 bi"),
    (-1_500.0, "-R$ 1,5 mil")])
def test_short_money(value: float, text: str) -> None:
    assert headline.short_money(value) == text


@pytest.mark.parametrize(("now", "before", "text"), [
    (0.773, 0.775, "-0,2 p.p."), (0.779, 0.775, "+0,4 p.p."), (0.5, 0.5, "0,0 p.p."),
    (0.50001, 0.5, "0,0 p.p."), (0.5, None, None)])
def test_points(now: float, before: float | None, text: str | None) -> None:
    assert headline.points(now, before)[0] == text


def test_counts_rising_while_the_share_falls_is_red() -> None:
    before = coverage_view.CoverageSummary(1000, 775, 100, 125, 1200, 930, 2000.0, 10_000.0)
    now = dataclasses.replace(before, customers=1100, covered=850, invoices=1300,
                              eligible_invoices=1000, amount_without_notice=2100.0,
                              open_amount=10_000.0)
    metrics = {m.key: m for m in headline.headline_metrics(now, before)}
    assert metrics["covered_share"].delta == "-0,2 p.p."  # 77,5% → 77,3%
    assert metrics["covered_share"].delta_color == "normal"  # negative + normal: red
    assert metrics["amount_without_notice"].delta == "+1,0 p.p."  # 20% → 21% of the open
    assert metrics["amount_without_notice"].delta_color == "inverse"  # rising + inverse: red


def test_top_reasons_rank_by_customers_then_amount(run: Callable[..., Audit]) -> None:
    """mixed_erp: four conditions failed by two customers each — no_valid_email (2, 9),
    no_contact_allows_email (3, 11), service_status_excluded (4, 11), each R$ 199,80 open
    without notice, and service_missing (8: only its R$ 80 invoice without service; 12:
    R$ 99,90), R$ 179,90: the fourth. Equal amounts keep the contract's order."""
    top = headline.top_reasons(run(mixed_erp()))
    assert top[headline.TopReason.CODE].tolist() == [
        "service_status_excluded", "no_contact_allows_email", "no_valid_email"]
    assert top[headline.TopReason.CUSTOMERS].tolist() == [2, 2, 2]
    assert top[headline.TopReason.AMOUNT].tolist() == pytest.approx([199.8] * 3)


def test_ticks_carry_the_year_where_it_changes() -> None:
    from carteiro.views.coverage_figures import time_ticks

    months = pd.date_range("2025-12-01", periods=12, freq="MS")
    values, texts = time_ticks(months, "month")
    assert texts == ["dez<br>2025", "fev<br>2026", "abr", "jun", "ago", "out"]
    assert list(values) == list(months[::2])
    days = pd.date_range("2024-12-20", "2025-01-19", freq="D")  # 31 days: every sixth
    assert time_ticks(days, "day")[1] == ["20/12<br>2024", "26/12", "01/01<br>2025", "07/01",
                                          "13/01", "19/01"]


def test_the_earlier_read_on_the_periods_reference_equals_a_full_audit(write_db) -> None:
    """Cobertura reads the earlier months' invoices only, on the period's normalised customers
    and configuration: every invoice's verdict is the full audit's."""
    from carteiro.erp.source import DataSource
    from carteiro.rules.audit import run_audit, run_audit_of_other_period

    source = DataSource(write_db(two_months()), "teste")
    march = run_audit(source, MARCH)
    reused = run_audit_of_other_period(march, source, FEBRUARY)
    full = run_audit(source, FEBRUARY)
    assert len(reused.invoices) == 4
    columns = ["invoice_id", "customer_id", "eligible", "primary_reason", "reason_mask", "amount"]
    pd.testing.assert_frame_equal(reused.invoices[columns].reset_index(drop=True),
                                  full.invoices[columns].reset_index(drop=True))
    assert coverage_view.coverage_summary(reused) == coverage_view.coverage_summary(full)

"""A dashboard view as a link (carteiro/views/links.py): every parameter read back as it was
written, and anything else — hostile or merely wrong — one pt-BR warning and a safe fallback,
never an exception; the month steps; the pt-BR counted nouns and numbers the pages use."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carteiro import formatting as fmt
from carteiro.period import Period
from carteiro.rules.catalogue import REASON_CODES
from carteiro.views import links

TODAY = dt.date(2026, 11, 29)
NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("2024-03-01", None, Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31))),
    ("2024-03-10", "2024-04-15", Period(dt.date(2024, 3, 10), dt.date(2024, 4, 15))),
    (None, "2024-02-20", Period(dt.date(2024, 2, 1), dt.date(2024, 2, 20))),
    (" 2024-02-01 ", "", Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29))),
    ("2000-01-01", "2031-12-31", Period(dt.date(2000, 1, 1), dt.date(2031, 12, 31))),
    (None, None, NOVEMBER),
    ("", "", NOVEMBER),
])
def test_a_good_link_period(start: str | None, end: str | None, expected: Period) -> None:
    parsed = links.period_from_link(start, end, TODAY)
    assert parsed.values["period"] == expected
    assert parsed.warnings == ()


@pytest.mark.parametrize(("start", "end", "said"), [
    ("1900-01-01", None, "fora das datas aceitas (01/01/2000 a 31/12/2031)"),
    ("1999-12-31", "2000-01-31", "fora das datas aceitas"),
    ("2032-01-01", None, "fora das datas aceitas"),
    ("2024-03-10", "2024-03-01", "«fim» (01/03/2024) é anterior a «inicio» (10/03/2024)"),
    ("2024-02-30", None, "«inicio=2024-02-30» não é uma data"),
    ("01/03/2024", None, "«inicio=01/03/2024» não é uma data"),
    ("20240301", None, "não é uma data"),
    ("2024-W10-1", None, "não é uma data"),
    ("2024-03-01T10:00", None, "não é uma data"),
    ("２０２４-03-01", None, "não é uma data"),
    ("0000-01-01", None, "não é uma data"),
    ("2024-03-01", "amanhã", "«fim=amanhã» não é uma data"),
    ("<script>alert(1)</script>", None, "não é uma data"),
    ("9" * 5000, None, "não é uma data"),
])
def test_a_bad_link_period_falls_back_to_the_current_month(start: str | None,
                                                          end: str | None, said: str) -> None:
    parsed = links.period_from_link(start, end, TODAY)
    assert parsed.values["period"] == NOVEMBER
    (warning,) = parsed.warnings
    assert warning.startswith("Período do link inválido: ")
    assert said in warning
    assert warning.endswith("mostrando o mês atual (01/11/2026 a 30/11/2026).")
    assert len(warning) < 400  # a hostile value is cut, not repeated whole


@settings(max_examples=300, deadline=None)
@given(start=st.one_of(st.none(), st.text(max_size=30), st.dates().map(dt.date.isoformat)),
       end=st.one_of(st.none(), st.text(max_size=30), st.dates().map(dt.date.isoformat)))
def test_any_link_period_gives_a_period_within_bounds(start: str | None,
                                                      end: str | None) -> None:
    parsed = links.period_from_link(start, end, TODAY)
    period = parsed.values["period"]
    assert isinstance(period, Period) and links.in_bounds(period, TODAY)
    assert (period == NOVEMBER) or not parsed.warnings


@pytest.mark.parametrize(("period", "back", "forward"), [
    (NOVEMBER, Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
     Period(dt.date(2026, 12, 1), dt.date(2026, 12, 31))),
    (Period(dt.date(2024, 1, 1), dt.date(2024, 1, 31)),
     Period(dt.date(2023, 12, 1), dt.date(2023, 12, 31)),
     Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29))),
    (Period(dt.date(2024, 3, 10), dt.date(2024, 3, 20)),
     Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
     Period(dt.date(2024, 4, 1), dt.date(2024, 4, 30))),
    (Period(dt.date(2024, 1, 15), dt.date(2024, 3, 5)),
     Period(dt.date(2023, 12, 1), dt.date(2023, 12, 31)),
     Period(dt.date(2024, 4, 1), dt.date(2024, 4, 30))),
])
def test_month_steps_go_from_the_selected_period(period: Period, back: Period,
                                                 forward: Period) -> None:
    assert links.step_month(period, -1) == back
    assert links.step_month(period, 1) == forward


@given(st.dates(min_value=dt.date(2001, 1, 1), max_value=dt.date(2030, 12, 1)))
def test_a_step_back_and_forth_returns_to_the_month(day: dt.date) -> None:
    month = Period.month_of(day)
    assert links.step_month(links.step_month(month, -1), 1) == month
    assert links.step_month(links.step_month(month, 1), -1) == month


@given(st.sets(st.sampled_from(REASON_CODES)))
def test_reasons_read_back_as_written(codes: set[str]) -> None:
    parsed = links.reasons_from_link(links.reason_params(codes))
    assert parsed.values[links.REASON] == [c for c in REASON_CODES if c in codes]
    assert parsed.warnings == ()


def test_bad_reasons_are_named_and_the_good_ones_kept() -> None:
    parsed = links.reasons_from_link(["6", "0", "10", "x", "no_valid_email", "6"])
    assert parsed.values[links.REASON] == ["service_status_excluded", "no_valid_email"]
    assert parsed.warnings == ("Motivo do link ignorado: «0», «10», «x» (use os números das "
                               "condições, de 1 a 9).",)


@pytest.mark.parametrize("mask", range(1, 1 << len(REASON_CODES)))
def test_every_combination_reads_back(mask: int) -> None:
    text = links.combination_param(mask)
    assert links.combination_from_link(text).values[links.COMBINATION] == mask


@pytest.mark.parametrize("text", ["6-x", "0", "10", "6--8", "6,8", "-"])
def test_a_bad_combination_is_dropped_with_a_warning(text: str) -> None:
    parsed = links.combination_from_link(text)
    assert parsed.values[links.COMBINATION] is None
    assert parsed.warnings and f"«{text}»" in parsed.warnings[0]


def test_coverage_reads_back_and_bad_values_are_named() -> None:
    codes = ["partial", "not_covered"]
    assert links.coverage_from_link(links.coverage_params(codes)).values[links.COVERAGE] == codes
    parsed = links.coverage_from_link(["parcial", "talvez"])
    assert parsed.values[links.COVERAGE] == ["partial"]
    assert "«talvez»" in parsed.warnings[0]


@pytest.mark.parametrize(("text", "customer"), [
    ("46", 46), (" 0046 ", 46), ("", None), (None, None), ("-1", None), ("4x", None),
    ("1e3", None), ("9" * 19, None), ("٤٦", None),
])
def test_customer_from_a_link(text: str | None, customer: int | None) -> None:
    parsed = links.customer_from_link(text)
    assert parsed.values[links.CUSTOMER] == customer
    assert bool(parsed.warnings) == (customer is None and bool(text))


def test_same_params_ignores_empty_values_and_sees_order() -> None:
    assert links.same_params({"a": ["1"], "b": []}, {"a": ["1"]})
    assert not links.same_params({"a": ["1", "2"]}, {"a": ["2", "1"]})
    assert not links.same_params({"a": ["1"]}, {"a": ["1"], "c": ["x"]})


# ---- pt-BR words and numbers ------------------------------------------------------------------


@pytest.mark.parametrize(("count", "singular", "plural", "expected"), [
    (0, "cliente", None, "0 clientes"),
    (1, "cliente", None, "1 cliente"),
    (2, "cliente", None, "2 clientes"),
    (1234, "cliente", None, "1.234 clientes"),
    (1, "ação", "ações", "1 ação"),
    (3, "ação", "ações", "3 ações"),
    (1, "dia tem", "dias têm", "1 dia tem"),
])
def test_plural(count: int, singular: str, plural: str | None, expected: str) -> None:
    assert fmt.plural(count, singular, plural) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (2.0, "2"), (1.5, "1,5"), (1234.567, "1.234,57"), (0.0, "0"), (-0.001, "0"),
    (-2.5, "-2,5"), (1e6, "1.000.000"), (float("nan"), "—"), (None, "—"),
])
def test_number_has_no_trailing_zeros(value: float | None, expected: str) -> None:
    assert fmt.number(value) == expected


def test_moment_and_date_of_nothing() -> None:
    assert fmt.moment(dt.datetime(2024, 3, 1, 9, 5)) == "01/03/2024 09:05"
    import pandas as pd

    assert fmt.moment(pd.NaT) == fmt.date(pd.NaT) == fmt.moment(None) == "—"

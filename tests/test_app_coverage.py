"""Cobertura, driven by AppTest: shares with their change in percentage points (and its colour
on counts that rise while the share falls), the open amount compared as a share, the due
notices sent against a hand count, the three biggest reasons opening their customers, bars per
day / week / month by the period's length, and periods without a previous one."""

from __future__ import annotations

import base64
import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from streamlit.proto.Metric_pb2 import Metric
from streamlit.testing.v1 import AppTest

from carteiro.errors import CarteiroError
from carteiro.period import Period
from carteiro.rules.catalogue import REASON_BY_CODE
from carteiro.views import coverage_trend as trend_view
from tests.delivery_helpers import log
from tests.erp_builder import Erp
from tests.test_app import new_app, no_exception, table_ids

MARCH = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31))
RED, GREEN, GRAY = Metric.MetricColor.RED, Metric.MetricColor.GREEN, Metric.MetricColor.GRAY
UP, DOWN = Metric.MetricDirection.UP, Metric.MetricDirection.DOWN


def rising_counts_falling_share(feb_uncovered: int = 1) -> Erp:
    """February: 4 customers, ``4 - feb_uncovered`` covered. March: 12 customers (1–12), 7
    covered (1–7) and 5 failing — 8 and 9 do not allow e-mail (R$ 100 each), 10 has no e-mail
    (R$ 100), 11's service is cancelled (R$ 150), 12's invoice has no billing method (R$ 50).
    Every invoice is unpaid. March's log: invoices 1001–1003 sent, 1004 failed."""
    erp = Erp.baseline()  # customer 1, due 2024-03-10, covered
    for cid in range(101, 105):
        erp.customer(cid, due="2024-02-10", amount=100.0, allows=cid > 100 + feb_uncovered)
    for cid in range(2, 8):
        erp.customer(cid, amount=100.0)
    erp.customer(8, allows=False, amount=100.0)
    erp.customer(9, allows=False, amount=100.0)
    erp.customer(10, email=None, amount=100.0)
    erp.customer(11, service_status=3, amount=150.0)
    erp.customer(12, method=None, amount=50.0)
    for invoice in (1001, 1002, 1003):
        log(erp, invoice, "2024-03-07 08:00:00")
    log(erp, 1004, "2024-03-07 08:00:00", sent=False,
        message="550 5.1.1 <x>: Recipient address rejected: User unknown")
    return erp


def run_app(write_db: Callable[..., str], monkeypatch: pytest.MonkeyPatch, erp: Erp,
            period: Period = MARCH,
            after_write: Callable[[str], None] | None = None) -> AppTest:
    url = write_db(erp)
    if after_write:
        after_write(url)
    monkeypatch.setenv("CARTEIRO_DB_URL", url)
    at = new_app(period).run()
    no_exception(at)
    return at


def metrics(at: AppTest) -> dict[str, Any]:
    return {m.label: m for m in at.metric}


def test_share_falls_while_counts_rise_nothing_is_green(write_db, monkeypatch) -> None:
    at = run_app(write_db, monkeypatch, rising_counts_falling_share())
    shown = metrics(at)
    # Customers: 3 of 4 (75,0%) in February, 7 of 12 (58,3%) in March: -16,7 p.p.
    customers = shown["Clientes com aviso"]
    assert customers.value == "58,3%"
    assert customers.proto.delta == "-16,7 p.p."
    assert customers.proto.color == RED and customers.proto.direction == DOWN
    # Invoices: the same 3 of 4 and 7 of 12.
    invoices = shown["Faturas com aviso"]
    assert (invoices.value, invoices.proto.delta) == ("58,3%", "-16,7 p.p.")
    assert invoices.proto.color == RED
    # Open amount without notice: R$ 100 of R$ 400 (25,0%), then R$ 500 of R$ 1.200 (41,7%).
    amount = shown["Em aberto sem aviso"]
    assert (amount.value, amount.proto.delta) == ("R$ 500,00", "+16,7 p.p.")
    assert amount.proto.color == RED and amount.proto.direction == UP
    assert not any(m.proto.color == GREEN for m in at.metric)
    captions = " ".join(c.value for c in at.caption)
    assert "41,7% do valor em aberto" in captions and "01/02/2024 a 29/02/2024" in captions


def test_share_that_improves_is_green(write_db, monkeypatch) -> None:
    at = run_app(write_db, monkeypatch, rising_counts_falling_share(feb_uncovered=3))
    customers = metrics(at)["Clientes com aviso"]
    # 1 of 4 (25,0%) in February, 7 of 12 (58,3%) in March
    assert customers.proto.delta == "+33,3 p.p."
    assert customers.proto.color == GREEN and customers.proto.direction == UP


def test_unchanged_share_is_grey(write_db, monkeypatch) -> None:
    erp = Erp.baseline()
    erp.customer(101, due="2024-02-10")
    at = run_app(write_db, monkeypatch, erp)
    customers = metrics(at)["Clientes com aviso"]
    assert (customers.value, customers.proto.delta) == ("100,0%", "0,0 p.p.")
    assert customers.proto.color == GRAY


def test_due_notices_sent_against_a_hand_count(write_db, monkeypatch) -> None:
    """Eligible in March: invoices 1001–1007, every send due long ago; sent: 1001–1003."""
    at = run_app(write_db, monkeypatch, rising_counts_falling_share())
    sent = metrics(at)["Avisos devidos enviados"]
    assert sent.value == "42,9%"
    assert "3 de 7 avisos devidos" in sent.proto.help


def test_unreadable_send_log_is_a_note_not_a_traceback(write_db, monkeypatch) -> None:
    def drop_log(url: str) -> None:
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.execute("DROP TABLE email_enviado")

    at = run_app(write_db, monkeypatch, rising_counts_falling_share(), after_write=drop_log)
    assert "Avisos devidos enviados" not in metrics(at)
    assert metrics(at)["Clientes com aviso"].value == "58,3%"
    captions = " ".join(c.value for c in at.caption)
    assert "Não foi possível ler o log de envios do ERP" in captions
    assert "Traceback" not in captions


def test_top_three_reasons_open_their_customers(write_db, monkeypatch) -> None:
    at = run_app(write_db, monkeypatch, rising_counts_falling_share())
    buttons = [b for b in at.button if b.key and b.key.startswith("top_reason_")]
    # 2 customers do not allow e-mail; then one customer each, larger open amount first:
    # the cancelled service (R$ 150), the missing e-mail (R$ 100); the missing method (R$ 50)
    # is fourth and not shown.
    codes = ["no_contact_allows_email", "service_status_excluded", "no_valid_email"]
    assert [b.key for b in buttons] == [f"top_reason_{c}" for c in codes]
    assert buttons[0].label == (f"{REASON_BY_CODE[codes[0]].label} · 2 clientes · R$ 200,00")
    assert buttons[1].label.endswith("· 1 cliente · R$ 150,00")
    at.button(key=f"top_reason_{codes[0]}").click().run()
    no_exception(at)
    assert at.title[0].value == "Clientes que não recebem o aviso"
    assert at.multiselect(key="nr_reasons").value == [codes[0]]
    assert table_ids(at) == {8, 9}


def values(data: Any) -> list[Any]:
    """A figure's array as a list (plotly writes numeric arrays as base64 typed arrays)."""
    if isinstance(data, dict) and "bdata" in data:
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)


def chart(at: AppTest, key: str) -> dict[str, Any]:
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if element.proto.id and key in element.proto.id:
            return spec
    raise AssertionError(f"no chart {key}")


@pytest.mark.parametrize(("start", "end", "bars", "ticks"), [
    ("2024-03-01", "2024-03-31", 31, ["01/03<br>2024"]),
    ("2024-01-01", "2024-03-31", 13, ["01/01<br>2024"]),  # 91 days from a Monday: 13 weeks
    # a year: months, every other one labelled, the year where it changes
    ("2023-04-01", "2024-03-31", 12, ["abr<br>2023", "jun", "dez", "fev<br>2024"]),
])
def test_bars_per_day_week_or_month(write_db, monkeypatch, start, end, bars, ticks) -> None:
    erp = rising_counts_falling_share()
    erp.customer(200, due="2023-04-15")
    at = run_app(write_db, monkeypatch, erp,
                 Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end)))
    spec = chart(at, "chart_due")
    assert [len(trace["x"]) for trace in spec["data"]] == [bars, bars]
    assert all(t in spec["layout"]["xaxis"]["ticktext"] for t in ticks)
    # one read of the earlier months: twelve months in the trend whatever the period
    trend = chart(at, "chart_trend")
    assert len(trend["data"][0]["x"]) == 12


def test_trend_counts_each_month_from_one_read(write_db, monkeypatch) -> None:
    at = run_app(write_db, monkeypatch, rising_counts_falling_share())
    trend = chart(at, "chart_trend")
    bars = next(t for t in trend["data"] if t["type"] == "bar")
    invoices = dict(zip([x[:7] for x in bars["x"]], values(bars["y"]), strict=True))
    assert invoices["2024-02"] == 4 and invoices["2024-03"] == 12
    assert invoices["2024-01"] == 0 and len(invoices) == 12
    share = trend["data"][0]
    by_month = dict(zip([x[:7] for x in share["x"]], values(share["y"]), strict=True))
    assert by_month["2024-02"] == pytest.approx(75.0)
    assert by_month["2024-03"] == pytest.approx(700 / 12)


def test_period_without_a_previous_one(write_db, monkeypatch) -> None:
    """The picker starts in 2000, so no period of the app lacks a previous one today; a
    Period.previous() that raises (as at 1900-01-01) still gives the page, without a change."""
    def no_previous(self: Period) -> Period:
        raise CarteiroError(f"não há período anterior a {self.label()}")

    monkeypatch.setattr(Period, "previous", no_previous)
    at = run_app(write_db, monkeypatch, rising_counts_falling_share())
    assert at.title[0].value == "Cobertura"
    assert "sem período anterior" in " ".join(c.value for c in at.caption)
    customers = metrics(at)["Clientes com aviso"]
    assert customers.value == "58,3%" and not customers.proto.delta
    assert not at.warning


def test_the_first_accepted_day_has_no_previous_period() -> None:
    january_1900 = Period(dt.date(1900, 1, 1), dt.date(1900, 1, 31))
    assert trend_view.previous_or_none(january_1900) is None
    plan = trend_view.plan_trend(january_1900, 10)
    assert plan.previous is None and plan.earlier is None
    assert plan.months == [dt.date(1900, 1, 1)]

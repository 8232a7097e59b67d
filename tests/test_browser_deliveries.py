"""«Entregas» in a real browser (the harness of ``tests/test_browser.py``: ``streamlit run``
on a seeded demo, headless Chromium, pt-BR) at 1440×900 and 390×844: drawn without an
exception, its three charts and four tables there, the day without sends named in red, no
English word (the as-of calendar opened too), no table wider than its box at 1440 px, nothing
but tables scrolling sideways at 390 px; and «Diagnóstico» of a customer whose notices failed,
with its expected dates against the log. Screenshots go to ``artifacts/screenshots/``
(``entregas-1440.png``, ``entregas-390.png``, ``diagnostico-entregas-1440.png``)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.test_browser import (  # noqa: F401  (fixtures)
    PHONE,
    SHOTS,
    TABLES_JS,
    WIDE,
    browser,
    database,
    no_english,
    server,
    settle,
    shoot,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def failed_customer(database: Path) -> int:  # noqa: F811
    """A customer of the current month with a failed notice (as of today)."""
    from carteiro.delivery.run import run_delivery
    from carteiro.erp.source import DataSource
    from carteiro.period import Period
    from pages._url import provider_today

    today = provider_today()
    delivery = run_delivery(DataSource(f"sqlite:///{database}", "teste"),
                            Period.month_of(today), today)
    failed = delivery.invoices[delivery.invoices["delivery"] == "failed"]
    assert len(failed), "the demo has failed notices"
    return int(failed["customer_id"].iloc[0])


def wait_drawn(page, charts: int, tables: int) -> list[dict[str, int]]:
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")
    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=20_000)
    page.wait_for_selector('[data-testid="stDataFrame"] .dvn-scroller', timeout=20_000)
    time.sleep(0.8)  # the grid sizes its columns after it appears
    assert page.locator('[data-testid="stPlotlyChart"] .main-svg').count() >= charts
    found = page.evaluate(TABLES_JS)
    assert len(found) >= tables, found
    return found


def test_entregas_at_both_widths(server: str, browser) -> None:  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    for viewport in (WIDE, PHONE):
        context = browser.new_context(viewport=viewport, locale="pt-BR")
        page = context.new_page()
        try:
            page.goto(f"{server}/entregas")
            settle(page)
            assert page.locator("h1").first.inner_text() == "Entregas dos avisos de cobrança"
            tables = wait_drawn(page, charts=3, tables=4)
            body = page.inner_text("body")
            assert "Nenhum envio de cobrança registrado em" in body  # the red alert
            assert "Dia sem envios" in body
            no_english(page, f"/entregas a {viewport['width']} px")
            if viewport is WIDE:
                wide = [t for t in tables if t["content"] > t["box"] + 1]
                assert not wide, f"/entregas: tabela mais larga que a caixa {wide}"
                page.locator('[data-testid="stMain"] [data-testid="stDateInputCalendarButton"]'
                             ).first.click()
                page.locator('[data-testid="stDateInputCalendar"]').wait_for(timeout=10_000)
                no_english(page, "calendário da data de referência")
                page.keyboard.press("Escape")
            else:
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport["width"], width
            shoot(page, viewport, f"entregas-{viewport['width']}")
        finally:
            context.close()


def test_diagnosis_shows_the_delivery(server: str, browser,  # noqa: F811
                                      failed_customer: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=WIDE, locale="pt-BR")
    page = context.new_page()
    try:
        page.goto(f"{server}/diagnostico?cliente={failed_customer}")
        settle(page)
        page.wait_for_selector('[data-testid="stDataFrame"] .dvn-scroller', timeout=20_000)
        time.sleep(0.8)
        body = page.inner_text("body")
        assert "Entregas: envios esperados e log do ERP" in body
        no_english(page, "/diagnostico com entregas")
        tables = page.evaluate(TABLES_JS)
        wide = [t for t in tables if t["content"] > t["box"] + 1]
        assert not wide, f"/diagnostico: tabela mais larga que a caixa {wide}"
        shoot(page, WIDE, "diagnostico-entregas-1440")
    finally:
        context.close()

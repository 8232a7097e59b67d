"""«Simulação» in a real browser (the harness of tests/test_browser.py): the page at 1440×900
and 390×844 draws its figures, fits a phone, shows no English word; ticking a correction and
clicking «Simular» changes the simulated figures and leaves today's as they were. Screenshots
go to ``artifacts/screenshots/simulacao-*.png`` for a person to look at."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_browser import (  # noqa: F401  (module fixtures: database, server, browser)
    PHONE,
    SHOTS,
    WIDE,
    browser,
    database,
    no_english,
    server,
    settle,
    shoot,
)

pytestmark = pytest.mark.browser

CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
# What every chart on the page draws (bar labels, ticks, legend), in order: coverage by method
# today, simulated; reasons today, simulated.
CHART_VALUES_JS = """() => Array.from(document.querySelectorAll(
    '[data-testid="stPlotlyChart"] .js-plotly-plot')).map(gd => gd.textContent)"""


def open_page(page: Any, server_url: str, width: int) -> None:
    page.goto(f"{server_url}/simulacao")
    settle(page, timeout=120)
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")
    page.wait_for_selector(f"{CHART} .main-svg", timeout=30_000)
    assert page.locator(CHART).count() == 4
    assert "Nada é gravado no ERP" in page.inner_text("body")
    no_english(page, f"/simulacao a {width} px")


def test_the_page_at_both_widths(server: str, browser) -> None:  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    for viewport in (WIDE, PHONE):
        context = browser.new_context(viewport=viewport, locale="pt-BR")
        page = context.new_page()
        try:
            open_page(page, server, viewport["width"])
            if viewport is PHONE:
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            shoot(page, viewport, f"simulacao-{viewport['width']}")
        finally:
            context.close()


def test_a_toggle_changes_the_simulated_figures(server: str, browser) -> None:  # noqa: F811
    context = browser.new_context(viewport=WIDE, locale="pt-BR")
    page = context.new_page()
    try:
        open_page(page, server, WIDE["width"])
        before = page.evaluate(CHART_VALUES_JS)
        assert all(before)
        assert before[0] == before[1] and before[2] == before[3]  # nothing picked: equal
        page.locator('[data-testid="stCheckbox"]', has_text="1. ").first.click()
        page.get_by_role("button", name="Simular").click()
        page.wait_for_function(
            f"() => {{ const v = ({CHART_VALUES_JS})(); "
            "return v.length === 4 && v[3] !== v[2]; }", timeout=60_000)
        settle(page)
        after = page.evaluate(CHART_VALUES_JS)
        assert after[0] == before[0] and after[2] == before[2]  # today stays today
        assert after[3] != before[3]  # the reasons the corrected invoices failed
        assert "correção simulada" in page.inner_text("body")
        no_english(page, "/simulacao depois de simular")
        shoot(page, WIDE, "simulacao-1440-simulado")
    finally:
        context.close()

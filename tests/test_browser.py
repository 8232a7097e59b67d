"""A real browser against ``streamlit run app.py``, as users tried it (1440×900 and 390×844,
Chromium, pt-BR):

* every page renders (no exception box, charts and tables drawn), fits its page (no table's
  content wider than its box with the default columns at 1440 px; at 390 px the sidebar starts
  closed and only tables scroll, inside their box), shows no English word of
  :data:`ENGLISH` (widgets opened too), follows the browser's dark mode; a screenshot of each
  page at both widths goes to ``artifacts/screenshots/`` (git-ignored) for a person to look at;
* a deep link opened as the very first visit after a server start shows its page with the
  link's period and filters, no English dialog and never the file names of ``pages/``; a
  copied URL opens the same period, filters and customer in a new session;
* the exports download with their period in the file name, two decimals and pt-BR dates.

Needs Debian's ``chromium`` (``/usr/bin/chromium``); skipped without it, except in CI
(``CARTEIRO_REQUIRE_SERVERS=1``), where its absence fails.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from carteiro import demo

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REQUIRED = os.environ.get("CARTEIRO_REQUIRE_SERVERS") == "1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# The navigation (pages/_nav.py draws it with st.page_link).
NAV_LINK = '[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]'

# URL path → what must render. The default page (Cobertura) lives at the root: Streamlit
# serves a default page at "/" only, whatever its url_path.
PAGES = {
    "": {"name": "cobertura", "charts": 2, "tables": 0},
    "motivos": {"name": "motivos", "charts": 2, "tables": 2},
    "nao-recebem": {"name": "nao-recebem", "charts": 0, "tables": 1},
    "diagnostico": {"name": "diagnostico", "charts": 0, "tables": 2},
    "configuracao": {"name": "configuracao", "charts": 1, "tables": 3},
    "dados": {"name": "dados", "charts": 0, "tables": 2},
}
# Pages whose tables this branch lays out (Cobertura's belong to its own rework).
FITTED = {"motivos", "nao-recebem", "diagnostico", "configuracao", "dados"}

# English that Streamlit can show and a setting or a widget option removes (the ones that
# cannot be removed are listed in the report: tooltips of the table toolbar, column menus…).
ENGLISH = re.compile(
    r"\b(Select all|Select \d+ matches|Press Enter|Enter to apply|Download as CSV|"
    r"Page not found|Past Week|Past Month|Date range|Quick select|View more|View less|"
    r"This app has encountered an error|Traceback|Running|Deploy|Choose a date|"
    r"No results|Add:)")
# Titles of the files of pages/ as Streamlit's legacy navigation shows them.
FILE_TITLES = {"app", "common", "gate", "downloads", "nav", "url", "period", "tables",
               "first visit", "sender test widget", "coverage", "reasons", "non recipients",
               "diagnosis", "settings", "data", "motivos", "nao-recebem", "diagnostico",
               "configuracao", "dados", "deliveries", "entregas"}

VISIBLE_TEXT_JS = """() => {
  const skip = e => e.closest('[data-testid="stIconMaterial"], [data-testid="stTooltipIcon"]');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const e = node.parentElement;
    if (!e || skip(e) || !e.getClientRects().length) continue;
    const style = getComputedStyle(e);
    if (style.visibility === 'hidden' || style.opacity === '0') continue;
    out.push(node.textContent);
  }
  return out.join(' ');
}"""
TABLES_JS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
  .filter(t => t.getClientRects().length)
  .map(t => { const s = t.querySelector('.dvn-scroller');
              return {content: s ? s.scrollWidth : 0, box: s ? s.clientWidth : 0}; })"""
# Records every navigation the sidebar ever listed and every dialog, from the first byte.
WATCH_JS = """
window.__navs = []; window.__dialogs = [];
new MutationObserver(() => {
  const links = [...document.querySelectorAll(
      '[data-testid="stSidebarNavLink"], [data-testid="stPageLink-NavLink"]')]
    .map(a => a.innerText.replace(/\\s+/g, ' ').trim());
  if (links.length) window.__navs.push(links);
  document.querySelectorAll('[role="dialog"]').forEach(d => window.__dialogs.push(d.innerText));
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def _need(condition: bool, why: str) -> None:
    if not condition:
        if REQUIRED:
            pytest.fail(why)
        pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(folder: Path, database: Path) -> Iterator[str]:
    """``streamlit run app.py`` on ``database``, cold (nothing opened before the caller)."""
    _need(Path(CHROMIUM).exists(), f"chromium não encontrado ({CHROMIUM})")
    port = _free_port()
    env = {**os.environ, "CARTEIRO_DB_URL": f"sqlite:///{database}",
           "CARTEIRO_STATE_DB": str(folder / "state.sqlite")}
    log_path = folder / f"streamlit-{port}.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), urllib.request.urlopen(
                    f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read() == b"ok":
                    break
            time.sleep(0.3)
        else:
            pytest.fail("streamlit não respondeu em 60 s: " + log_path.read_text())
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "erp.sqlite"
    demo.generate(f"sqlite:///{path}", customers=600, months=2, seed=3)
    return path


@pytest.fixture(scope="module")
def server(database: Path) -> Iterator[str]:
    with serve(database.parent, database) as url:
        yield url


@pytest.fixture(scope="module")
def customer(database: Path) -> int:
    """A customer of the current month whose invoices fail something (for Diagnóstico)."""
    from carteiro.erp.source import DataSource
    from carteiro.period import Period
    from carteiro.rules.audit import run_audit

    audit = run_audit(DataSource(f"sqlite:///{database}", "teste"), Period.current_month())
    failing = audit.customers[audit.customers["status"] != "covered"]
    return int(failing["customer_id"].iloc[0])


@pytest.fixture(scope="module")
def browser(database: Path):
    _need(Path(CHROMIUM).exists(), f"chromium não encontrado ({CHROMIUM})")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def settle(page, timeout: float = 90) -> None:
    """Until the page has a title and the script has stopped running for a moment."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0 or (
            page.locator('[data-testid="stSpinner"]').count() > 0)
        if running:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 1.5:
            return
        time.sleep(0.2)
    raise AssertionError("a página não terminou de rodar")


def no_english(page, where: str) -> None:
    text = page.evaluate(VISIBLE_TEXT_JS)
    found = ENGLISH.findall(text)
    assert not found, f"{where}: {found} em {text[:3000]}"


def check_page(page, path: str, width: int) -> None:
    """What every page must be at ``width``: drawn, without English, fitting its page."""
    expected = PAGES[path]
    body = page.inner_text("body")
    assert page.locator('[data-testid="stException"]').count() == 0, body
    if expected["charts"]:
        page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=20_000)
        assert page.locator('[data-testid="stPlotlyChart"] .main-svg').count() >= (
            expected["charts"])
    if expected["tables"]:
        page.wait_for_selector('[data-testid="stDataFrame"] .dvn-scroller', timeout=20_000)
        time.sleep(0.5)  # the grid sizes its columns after it appears
    tables = page.evaluate(TABLES_JS)
    assert len(tables) >= expected["tables"], (path, tables)
    no_english(page, f"/{path} a {width} px")
    if width == WIDE["width"] and path in FITTED:
        wide = [t for t in tables if t["content"] > t["box"] + 1]
        assert not wide, f"/{path}: tabela mais larga que a caixa {wide}"
    if width == PHONE["width"]:
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_attribute("data-collapsed") == "true", "sidebar closed on phones"


def open_widgets(page) -> None:
    """Open what can show Streamlit's own words: a search box being typed in, a filter's
    list, the date picker's calendar (on «Não recebem» at 1440 px)."""
    search = page.get_by_label("Buscar", exact=True)
    search.click()
    search.press_sequentially("ana", delay=40)
    no_english(page, "busca sendo digitada")
    search.fill("")
    search.press("Tab")
    settle(page)
    page.locator('[data-testid="stMultiSelect"]').first.click()
    page.get_by_role("option").first.wait_for(timeout=10_000)
    no_english(page, "lista do filtro Motivo")
    page.keyboard.press("Escape")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stDateInputCalendarButton"]').first.click()
    page.locator('[data-testid="stDateInputCalendar"]').wait_for(timeout=10_000)
    no_english(page, "calendário do período")
    page.keyboard.press("Escape")


def shoot(page, viewport: dict[str, int], name: str) -> None:
    """A screenshot of the whole page (the app scrolls inside its own box: the window is made
    as tall as the content for the picture)."""
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": min(int(height), 8000)})
    time.sleep(0.5)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size(viewport)


def test_every_page_at_both_widths(server: str, browser, customer: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for viewport in (WIDE, PHONE):
        context = browser.new_context(viewport=viewport, locale="pt-BR")
        page = context.new_page()
        try:
            for path, expected in PAGES.items():
                query = f"?cliente={customer}" if path == "diagnostico" else ""
                page.goto(f"{server}/{path}{query}")
                settle(page)
                check_page(page, path, viewport["width"])
                shoot(page, viewport, f"{expected['name']}-{viewport['width']}")
                if path == "nao-recebem" and viewport is WIDE:
                    open_widgets(page)
        finally:
            context.close()
    # The browser's dark mode is followed (config.toml no longer forces the light theme).
    context = browser.new_context(viewport=WIDE, locale="pt-BR", color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(f"{server}/motivos")
        settle(page)
        background = page.evaluate("getComputedStyle(document.querySelector("
                                   "'[data-testid=\"stApp\"]')).backgroundColor")
        red, green, blue = (int(v) for v in re.findall(r"\d+", background)[:3])
        assert red + green + blue < 150, background
        page.screenshot(path=str(SHOTS / "motivos-1440-escuro.png"))
    finally:
        context.close()


def period_inputs(page) -> list[str]:
    """The ISO dates of «Início» and «Fim» (their hidden date inputs)."""
    inputs = page.locator('[data-testid="stSidebar"] [data-testid="stDateInput"] input')
    return [inputs.nth(i).input_value() for i in range(inputs.count())]


def summary(page) -> str:
    return page.locator("p", has_text=re.compile(r" de [\d.]+ clientes")).first.inner_text()


def test_first_visit_deep_link_and_a_copied_url(browser, database: Path,
                                                tmp_path: Path) -> None:
    """A cold server: the deep link shows its page, period and filters, no dialog, never
    the file names; then the view is changed, and its URL, copied, reopens it."""
    this_month = dt.date.today().replace(day=1)
    before = (this_month - dt.timedelta(days=1)).replace(day=1)
    link = f"nao-recebem?inicio={this_month:%Y-%m-%d}&motivo=8&busca=a"
    with serve(tmp_path, database) as url:
        context = browser.new_context(viewport=WIDE, locale="pt-BR")
        page = context.new_page()
        page.add_init_script(WATCH_JS)
        page.goto(f"{url}/{link}")
        settle(page)
        time.sleep(1)
        assert page.locator("h1").first.inner_text() == "Clientes que não recebem o aviso"
        assert page.evaluate("window.__dialogs") == []
        seen = {name for names in page.evaluate("window.__navs") for name in names}
        assert not {re.sub(r"^\w+ ", "", n) for n in seen} & FILE_TITLES, seen
        assert page.get_by_label("Buscar", exact=True).input_value() == "a"
        assert "Nenhum contato permite e-mail" in page.inner_text(
            '[data-testid="stMultiSelect"] >> nth=0')
        assert period_inputs(page)[0] == f"{this_month:%Y-%m-%d}"
        assert "motivo=8" in page.url and "busca=a" in page.url
        # The view changes: the month before, a coverage filter; the URL follows.
        page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Anterior").click()
        settle(page)
        page.locator('[data-testid="stMultiSelect"]').nth(4).click()
        page.get_by_role("option", name="Não coberto").click()
        page.keyboard.press("Escape")
        settle(page)
        query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
        assert query["inicio"] == [f"{before:%Y-%m-%d}"] and query["situacao"] == ["nao-coberto"]
        copied, shown, dates = page.url, summary(page), period_inputs(page)
        context.close()
        # The copied URL in a new session: the same period, filters and rows.
        context = browser.new_context(viewport=WIDE, locale="pt-BR")
        page = context.new_page()
        page.goto(copied)
        settle(page)
        assert period_inputs(page) == dates
        assert summary(page) == shown
        assert page.get_by_label("Buscar", exact=True).input_value() == "a"
        # And a diagnosed customer: chosen among several, copied, reopened.
        page.locator(NAV_LINK).get_by_text("Diagnóstico", exact=True).click()
        settle(page)
        page.get_by_label("Buscar cliente").fill("a")
        page.keyboard.press("Enter")
        settle(page)
        page.locator('[data-testid="stSelectbox"]').first.click()
        page.get_by_role("option").nth(1).click()
        settle(page)
        name = page.locator("h2").first.inner_text()
        assert "cliente=" in page.url
        copied = page.url
        context.close()
        context = browser.new_context(viewport=WIDE, locale="pt-BR")
        page = context.new_page()
        page.goto(copied)
        settle(page)
        assert page.locator("h2").first.inner_text() == name
        assert period_inputs(page) == dates
        context.close()


def test_downloads(server: str, browser, tmp_path: Path) -> None:
    context = browser.new_context(accept_downloads=True, viewport=WIDE, locale="pt-BR")
    page = context.new_page()
    try:
        page.goto(f"{server}/nao-recebem")
        settle(page)
        with page.expect_download(timeout=30_000) as info:
            page.get_by_role("button", name=re.compile(r"^Baixar CSV \([\d.]+ clientes\)")).click()
        target = tmp_path / "nao-recebem.csv"
        info.value.save_as(target)
        content = target.read_bytes()
        assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
        assert rows and all(re.fullmatch(r"\d+,\d\d", r["Em aberto sem aviso (R$)"])
                            for r in rows)
        assert all(re.fullmatch(r"\d\d/\d\d/\d{4}|", r["1º vencimento sem aviso"])
                   for r in rows)
        month = dt.date.today().replace(day=1)
        assert info.value.suggested_filename.startswith(
            f"carteiro-nao-recebem-{month:%Y-%m-%d}-a-")
        page.locator(NAV_LINK).get_by_text("Dados", exact=True).click()
        settle(page)
        with page.expect_download(timeout=30_000) as info:
            page.get_by_role("button", name=re.compile(r"^Baixar CSV")).click()
        assert info.value.suggested_filename.startswith(f"carteiro-dados-{month:%Y-%m-%d}-a-")
    finally:
        context.close()

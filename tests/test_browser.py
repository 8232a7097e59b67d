"""A real browser against ``streamlit run app.py``: every page renders, no exception box,
charts and tables drawn, the CSV downloads; a screenshot of each page goes to
``artifacts/screenshots/`` (git-ignored) for a person to look at.

Needs Debian's ``chromium`` (``/usr/bin/chromium``); skipped without it, except in CI
(``CARTEIRO_REQUIRE_SERVERS=1``), where its absence fails.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
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

# URL path → what must render. The default page (Cobertura) lives at the root: Streamlit
# serves a default page at "/" only, whatever its url_path.
PAGES = {
    "": {"charts": 2, "tables": 0},
    "motivos": {"charts": 2, "tables": 1},
    "nao-recebem": {"charts": 0, "tables": 1},
    "diagnostico": {"charts": 0, "tables": 0},
    "configuracao": {"charts": 0, "tables": 1},
    "dados": {"charts": 0, "tables": 1},
}


def _need(condition: bool, why: str) -> None:
    if not condition:
        if REQUIRED:
            pytest.fail(why)
        pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need(Path(CHROMIUM).exists(), f"chromium não encontrado ({CHROMIUM})")
    folder = tmp_path_factory.mktemp("browser")
    database = folder / "erp.sqlite"
    demo.generate(f"sqlite:///{database}", customers=600, months=2, seed=3)
    port = _free_port()
    env = {**os.environ, "CARTEIRO_DB_URL": f"sqlite:///{database}",
           "CARTEIRO_STATE_DB": str(folder / "state.sqlite")}
    log = (folder / "streamlit.log").open("w")
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
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("streamlit não respondeu em 60 s: "
                        + (folder / "streamlit.log").read_text())
        _warm_up(url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _warm_up(url: str) -> None:
    """Open the main page once: a cold Streamlit server answers the first deep link to an
    ``st.navigation`` page with an English "Page not found" modal over the right page
    (streamlit/streamlit#9992); users reach a warm server."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = chromium.new_page()
        page.goto(url)
        _wait_for_script(page)
        chromium.close()


@pytest.fixture(scope="module")
def browser(server: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _wait_for_script(page, timeout: float = 60) -> None:
    """Until the app has drawn and the 'running' indicator has stayed away for a moment."""
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=timeout * 1000)
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


@pytest.mark.parametrize("path", list(PAGES))
def test_page_renders(server: str, browser, path: str) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 2000}, locale="pt-BR")
    try:
        page.goto(f"{server}/{path}")
        _wait_for_script(page)
        if path == "diagnostico":
            page.get_by_label("Buscar cliente").fill("1")
            page.keyboard.press("Enter")
            _wait_for_script(page)
            body = page.inner_text("body")
            assert "✅" in body or "❌" in body
            assert "Configuração > Geral > Rotinas" in body or "Rotina" in body
        body = page.inner_text("body")
        assert page.locator('[data-testid="stException"]').count() == 0, body
        assert "Traceback" not in body
        assert "Page not found" not in body
        expected = PAGES[path]
        charts = page.locator('[data-testid="stPlotlyChart"] .main-svg')
        if expected["charts"]:
            page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=20_000)
            assert charts.count() >= expected["charts"]
        if expected["tables"]:
            page.wait_for_selector('[data-testid="stDataFrame"]', timeout=20_000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{path or 'cobertura'}.png"))
    finally:
        page.close()


def test_csv_download(server: str, browser, tmp_path: Path) -> None:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{server}/nao-recebem")
        _wait_for_script(page)
        with page.expect_download(timeout=30_000) as info:
            page.get_by_role("button", name="Baixar CSV").click()
        target = tmp_path / "nao-recebem.csv"
        info.value.save_as(target)
        content = target.read_bytes()
        assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
        header = content[3:].decode("utf-8").splitlines()[0]
        assert ";" in header
        assert len(content.splitlines()) > 1
        assert dt.date.today().strftime("%Y-%m") in info.value.suggested_filename
    finally:
        context.close()

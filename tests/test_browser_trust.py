"""The dashboard's doors in a real browser: headless Chromium against ``streamlit run app.py``
with a ``secrets.toml``.

* an unusable ``[access]``/``[auth]`` stops the app (the two reported configurations), even
  on a deep link;
* the first correct password after a server start lets the user in (cold server, deep link);
* text from the ERP is never Markdown: with a hostile ERP in every text column, no page makes
  the browser fetch anything from a beacon server, and no link or image to it is in the DOM;
* an export's ``/media`` URL is new at each render and gone after «Sair»;
* wrong passwords from many parallel sessions of one address are stopped as a whole, and a
  good address still gets in.

Needs ``/usr/bin/chromium`` (skipped without it unless ``CARTEIRO_REQUIRE_SERVERS=1``).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from carteiro import demo
from tests.hostile import make_hostile
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, NAV_LINK, ROOT, _free_port, _need

pytestmark = pytest.mark.browser

PASSWORD = "senha-certa-da-equipe"
LOGIN_TIMEOUT = 90_000


# ---- Servers ----------------------------------------------------------------------------------


@contextlib.contextmanager
def streamlit_server(folder: Path, database: Path, secrets: str) -> Iterator[tuple[str, Path]]:
    """``streamlit run app.py`` with ``secrets`` as its only secrets file; yields its URL and
    its log file. Cold: nothing is opened before the test does."""
    _need(Path(CHROMIUM).exists(), f"chromium não encontrado ({CHROMIUM})")
    secrets_file = folder / f"secrets-{_free_port()}.toml"
    secrets_file.write_text(secrets, encoding="utf-8")
    port = _free_port()
    log_path = folder / f"streamlit-{port}.log"
    env = {**os.environ, "CARTEIRO_DB_URL": f"sqlite:///{database}",
           "CARTEIRO_STATE_DB": str(folder / "state.sqlite")}
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--secrets.files", str(secrets_file)],
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
        yield url, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


class Beacon:
    """A local HTTP server that records every request it gets (nothing must reach it)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        beacon = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                beacon.requests.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def hostile_erp(path: Path, beacon: Beacon) -> None:
    """The demo ERP with every text column holding markup that points at the beacon."""
    demo.generate(f"sqlite:///{path}", customers=240, months=2, seed=5)
    make_hostile(path, beacon.host)


# ---- Browser helpers --------------------------------------------------------------------------


def settle(page, timeout: float = 90) -> None:
    """Until the script has stopped running for a moment."""
    deadline = time.monotonic() + timeout
    quiet_since = None
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
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


def dismiss_page_not_found(page) -> None:
    """A cold server answers a deep link with Streamlit's English "Page not found" modal
    (streamlit/streamlit#9992, its legacy pages/ mode in the first run); a user closes it."""
    if page.get_by_text("Page not found").count():
        page.keyboard.press("Escape")
        page.get_by_text("Page not found").wait_for(state="detached", timeout=10_000)


def type_password(page, password: str) -> None:
    page.wait_for_selector('input[type="password"]', timeout=LOGIN_TIMEOUT)
    page.fill('input[type="password"]', password)
    page.get_by_role("button", name="Entrar").click()


def assert_no_data(page) -> None:
    assert page.locator('[data-testid="stSidebar"]').count() == 0
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    assert page.locator('[data-testid="stMetric"]').count() == 0
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0


LINKS_JS = """host => [...document.querySelectorAll('*')].flatMap(e =>
    ['href', 'src', 'xlink:href', 'srcset', 'action', 'data'].map(a => e.getAttribute(a))
).filter(v => v && (v.includes(host) || v.includes('evil-')))"""


def assert_inert(page, beacon: Beacon, where: str) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, where
    found = page.evaluate(LINKS_JS, beacon.host)
    assert not found, f"{where}: {found}"
    assert not beacon.requests, f"{where}: {beacon.requests}"


def fetch_status(url: str) -> int:
    """The status of a GET without cookies (a stranger with the URL)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as err:
        return err.code


def visit(page, title: str) -> None:
    """Open a page through the sidebar (a new URL load is a new session: logged out)."""
    page.locator(NAV_LINK).get_by_text(title, exact=True).click()
    settle(page)
    assert page.locator('[data-testid="stSidebar"]').count() == 1, title
    assert "Traceback" not in page.inner_text("body")


def open_all_pages(page, beacon: Beacon) -> None:
    """Every page, the opened widgets, a hostile customer's diagnosis and the sender test."""
    for title in ("Cobertura", "Motivos", "Não recebem", "Dados", "Configuração"):
        visit(page, title)
        assert_inert(page, beacon, title)
    # Configuração: the rules' subjects, the ERP sender (hostile host) and its test.
    page.get_by_text("Regras de envio de e-mail").click()
    page.get_by_label("Senha", exact=True).fill("senha-do-teste")
    page.get_by_label("Enviar o teste para").fill("teste@example.com")
    page.keyboard.press("Enter")
    settle(page)
    page.get_by_role("button", name="Enviar e-mail de teste").click()
    settle(page)
    body = page.inner_text("body")
    # the hostile sender's origin address is refused before any SMTP: its message is shown
    assert "falhou" in body or "Endereço de remetente inválido" in body, body[-1500:]
    assert_inert(page, beacon, "Configuração (teste)")
    # Não recebem: the filter options of billing methods.
    visit(page, "Não recebem")
    page.locator('[data-testid="stMultiSelect"]').nth(1).click()  # «Forma de cobrança»
    page.get_by_role("option").first.wait_for(timeout=10_000)
    assert "descricao ![x](http" in page.inner_text("body")
    assert_inert(page, beacon, "Não recebem (filtro)")
    page.keyboard.press("Escape")
    # Diagnóstico: several matches (the chooser), then the first one's diagnosis.
    visit(page, "Diagnóstico")
    page.get_by_label("Buscar cliente").fill("nome_razaosocial")
    page.keyboard.press("Enter")
    settle(page)
    assert "clientes encontrados" in page.inner_text("body")
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option").first.click()
    settle(page)
    body = page.inner_text("body")
    header = page.locator("h2").first.inner_text()
    assert header.startswith("nome_razaosocial ![x](http"), header  # shown as written
    assert "cidade ![x](http" in body and ("✅" in body or "❌" in body)
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option").first.wait_for(timeout=10_000)
    assert_inert(page, beacon, "Diagnóstico")
    page.keyboard.press("Escape")


# ---- Tests ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("trust")


@pytest.fixture(scope="module")
def browser(folder: Path):
    _need(Path(CHROMIUM).exists(), f"chromium não encontrado ({CHROMIUM})")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def beacon() -> Iterator[Beacon]:
    server = Beacon()
    yield server
    server.close()


@pytest.fixture(scope="module")
def hostile_db(folder: Path, beacon: Beacon) -> Path:
    path = folder / "hostil.sqlite"
    hostile_erp(path, beacon)
    return path


@pytest.mark.parametrize("secrets, problem", [
    ('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\n'
     'cookie_secret = "0123456789abcdef0123456789abcdef"\n\n'
     '[access]\nallowed_emails = ["ana@provedor.com.br"]\n', "nenhum provedor de login"),
    ('[access]\nsenha = "x"\n', "chave desconhecida «senha»"),
], ids=["auth-sem-provedor", "chave-senha"])
def test_unusable_access_stops_the_app_even_on_a_deep_link(folder: Path, hostile_db: Path,
                                                           browser, secrets: str,
                                                           problem: str) -> None:
    with streamlit_server(folder, hostile_db, secrets) as (url, _log):
        page = browser.new_page(locale="pt-BR")
        try:
            for path in ("", "nao-recebem"):
                page.goto(f"{url}/{path}")
                page.get_by_text("Configuração de acesso inválida").wait_for(
                    timeout=LOGIN_TIMEOUT)
                settle(page)
                dismiss_page_not_found(page)
                body = page.inner_text("body")
                assert problem in body
                assert_no_data(page)
                assert page.locator("input").count() == 0, "no login, no widget at all"
        finally:
            page.close()


def test_first_login_markup_and_exports(folder: Path, hostile_db: Path, browser,
                                        beacon: Beacon) -> None:
    secrets = f'[access]\npassword = "{PASSWORD}"\n'
    with streamlit_server(folder, hostile_db, secrets) as (url, log_path):
        context = browser.new_context(accept_downloads=True, locale="pt-BR",
                                      viewport={"width": 1440, "height": 1600})
        page = context.new_page()
        # A cold server, a deep link: the login only, then in at the first right password.
        page.goto(f"{url}/nao-recebem")
        page.wait_for_selector('input[type="password"]', timeout=LOGIN_TIMEOUT)
        settle(page)
        dismiss_page_not_found(page)
        assert_no_data(page)
        type_password(page, PASSWORD)
        page.wait_for_selector('[data-testid="stSidebar"]', timeout=LOGIN_TIMEOUT)
        settle(page)
        assert "Clientes que não recebem o aviso" in page.inner_text("body")
        assert_inert(page, beacon, "nao-recebem (login)")

        open_all_pages(page, beacon)

        # Exports: a new URL at each render, refused to a stranger after «Sair».
        visit(page, "Não recebem")
        with page.expect_download(timeout=60_000) as info:
            page.get_by_role("button", name=re.compile("Baixar CSV")).click()
        first = info.value
        assert first.path().read_bytes().startswith(b"\xef\xbb\xbf")
        media = urllib.parse.urljoin(url, first.url)
        assert "/media/" in media
        assert fetch_status(media) == 200  # for a while, the URL alone is enough…
        visit(page, "Dados")
        visit(page, "Não recebem")
        with page.expect_download(timeout=60_000) as again:
            page.get_by_role("button", name=re.compile("Baixar CSV")).click()
        assert again.value.path().read_bytes() == first.path().read_bytes()
        assert again.value.url != first.url, "the same export must not get the same URL"
        second = urllib.parse.urljoin(url, again.value.url)
        assert fetch_status(second) == 200
        page.get_by_role("button", name="Sair").click()
        page.wait_for_selector('input[type="password"]', timeout=LOGIN_TIMEOUT)
        assert fetch_status(second) == 404  # …and after «Sair» it is gone
        assert fetch_status(media) == 404
        context.close()
        assert "login com a senha da equipe: endereço local" in log_path.read_text()
    assert not beacon.requests


async def _guess_in_parallel(url: str, address: str, sessions: int,
                             rounds: int) -> list[str]:
    """``sessions`` browsers of one client address, each typing ``rounds`` wrong passwords at
    the same time as the others: the alert each guess got. (Playwright's sync
    API is bound to one thread, so the parallel sessions use its async API.)"""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                    args=CHROMIUM_ARGS)

        async def session(worker: int) -> list[str]:
            """A new browser session for each guess, as the reported attack did."""
            context = await chromium.new_context(
                extra_http_headers={"X-Forwarded-For": address})
            page = await context.new_page()
            answers = []
            for n in range(rounds):
                await page.goto(url)
                field = page.locator('input[type="password"]')
                await field.wait_for(timeout=LOGIN_TIMEOUT)
                await field.fill(f"chute-{worker}-{n}")
                await page.get_by_role("button", name="Entrar").click()
                alert = page.get_by_test_id("stAlert").first
                await alert.wait_for(timeout=LOGIN_TIMEOUT)
                answers.append(await alert.inner_text())
            await context.close()
            return answers

        results = await asyncio.gather(*(session(w) for w in range(sessions)))
        await chromium.close()
    return [answer for worker in results for answer in worker]


def test_parallel_wrong_passwords_are_throttled_per_address(folder: Path, browser) -> None:
    database = folder / "erp.sqlite"
    demo.generate(f"sqlite:///{database}", customers=60, months=1, seed=2)
    secrets = f'[access]\npassword = "{PASSWORD}"\n'
    bad, good, sessions, rounds = "198.51.100.7", "203.0.113.20", 8, 4
    with streamlit_server(folder, database, secrets) as (url, log_path):
        answers: list[str] = []  # (the sync API's loop owns this thread: run in another)
        worker = threading.Thread(target=lambda: answers.extend(
            asyncio.run(_guess_in_parallel(url, bad, sessions, rounds))))
        worker.start()
        worker.join(timeout=600)
        log = log_path.read_text()
        checked = log.count(f"senha de acesso errada: endereço {bad}")
        refused = log.count(f"endereço {bad} bloqueado")
        # 32 guesses, at most 10 compared: all sessions of the address share one count.
        assert len(answers) == sessions * rounds
        assert checked <= 10 and checked + refused == sessions * rounds, log
        assert sum("Senha incorreta" in a for a in answers) == checked
        assert any("Muitas tentativas de senha erradas deste endereço" in a for a in answers)
        assert "chute-" not in log
        assert re.search(rf"\d\d:\d\d:\d\d,\d+ WARNING carteiro\.access: senha de acesso "
                         rf"errada: endereço {re.escape(bad)}, \d+ falha", log)

        # The bad address is refused even with the right password; a good address gets in.
        for address, gets_in in ((bad, False), (good, True)):
            context = browser.new_context(extra_http_headers={"X-Forwarded-For": address})
            page = context.new_page()
            page.goto(url)
            type_password(page, PASSWORD)
            if gets_in:
                page.wait_for_selector('[data-testid="stSidebar"]', timeout=LOGIN_TIMEOUT)
            else:
                page.get_by_text("Muitas tentativas").wait_for(timeout=LOGIN_TIMEOUT)
                assert_no_data(page)
            context.close()
        assert f"login com a senha da equipe: endereço {good}" in log_path.read_text()

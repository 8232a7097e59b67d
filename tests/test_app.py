"""The dashboard, driven by Streamlit's AppTest against fixture ERP databases: every page
runs, access is enforced, and what the pages show equals what the engine computes."""

from __future__ import annotations

import calendar
import datetime as dt
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from carteiro import access
from carteiro import formatting as fmt
from carteiro.erp.dataset import ErpData
from carteiro.erp.load import load_data
from carteiro.period import Period
from carteiro.rules.catalogue import REASON_BY_CODE
from carteiro.rules.engine import Audit, evaluate
from carteiro.views import coverage as coverage_view
from carteiro.views import data as data_view
from carteiro.views import diagnosis as diagnosis_view
from carteiro.views import labels as labels_view
from carteiro.views import non_recipients as non_recipients_view
from carteiro.views import reasons as reasons_view
from carteiro.views import sender_test as sender_test_view
from carteiro.views import settings as settings_view
from carteiro.views import tables as tables_view
from pages import _gate as gate
from tests.erp_builder import MARCH_2024
from tests.hostile import make_hostile
from tests.test_views import EXPECTED_REASONS, HYPERLINK_NAME, mixed_erp

APP = Path(__file__).resolve().parent.parent / "app.py"
MARCH = Period(*MARCH_2024)
PAGES = ["pages/coverage.py", "pages/reasons.py", "pages/non_recipients.py",
         "pages/diagnosis.py", "pages/settings.py", "pages/data.py", "pages/simulation.py"]
TIMEOUT = 60
EMPTY_NOTICE_PAGES = ("pages/coverage.py", "pages/reasons.py", "pages/non_recipients.py",
                      "pages/deliveries.py", "pages/simulation.py")


@pytest.fixture
def db_url(write_db: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> str:
    """The mixed fixture ERP, which the app reads through CARTEIRO_DB_URL."""
    url = write_db(mixed_erp())
    monkeypatch.setenv("CARTEIRO_DB_URL", url)
    return url


@pytest.fixture
def engine_audit(db_url: str) -> Audit:
    data: ErpData = load_data(db_url, MARCH)
    return evaluate(data, MARCH)


def new_app(period: Period | None = MARCH, secrets: dict[str, Any] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if period is not None:
        at.session_state["period"] = (period.start, period.end)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    return at


@pytest.fixture
def app(db_url: str) -> AppTest:
    return new_app().run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def on_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    no_exception(at)
    return at


def table_ids(at: AppTest, key: str = "nr_table") -> set[int]:
    frame = at.dataframe(key=key).value
    return {int(i) for i in frame[non_recipients_view.Cust.ID]}


def table_element(at: AppTest, *columns: str) -> Any:
    """The first table holding all of ``columns`` (tables without selection have no key in
    AppTest, so they are told apart by their columns)."""
    for element in at.dataframe:
        if all(c in element.value.columns for c in columns):
            return element
    raise AssertionError(f"no table with columns {columns}")


def frame(at: AppTest, *columns: str) -> pd.DataFrame:
    """The values of the first table holding all of ``columns``."""
    return table_element(at, *columns).value


def headers(at: AppTest, *columns: str) -> list[str]:
    """The headers people see over the first table holding all of ``columns``, in order."""
    element = table_element(at, *columns)
    config = json.loads(element.proto.columns)
    return [config[c]["label"] for c in element.value.columns]


def plain(markdown: str) -> str:
    """What a Markdown text escaped by ``access.text`` reads on the page."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error]
    parts += [w.value for w in at.warning] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Callable[[], Any]]]:
    """The callables of deferred download buttons, by their file id (AppTest cannot click a
    download, so the test calls what the click would)."""
    captured: dict[str, Callable[[], Any]] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self: MediaFileManager, data_callable: Callable[[], Any], *args: Any,
                     **kwargs: Any) -> str:
        file_id = original(self, data_callable, *args, **kwargs)
        captured[file_id] = data_callable
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    yield captured


def download(at: AppTest, key: str, captured: dict[str, Callable[[], Any]]) -> bytes:
    button = at.download_button(key=key)
    file_id = button.proto.deferred_file_id
    assert file_id, "the download must be built on click (a callable)"
    data = captured[file_id]()
    return data if isinstance(data, bytes) else str(data).encode()


# ---- Every page ------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs(app: AppTest, page: str) -> None:
    no_exception(app)
    on_page(app, page)
    assert app.title, "every page has a title"
    # The sender alert (condition 2) is on every page, in red, with the ERP menu path.
    alert = app.error[0]
    assert "Gmail antigo" in alert.proto.title
    assert REASON_BY_CODE["sender_unavailable"].menu_path in alert.value


@pytest.mark.parametrize("page", PAGES)
def test_every_page_handles_an_empty_period(db_url: str, page: str) -> None:
    at = new_app(Period(dt.date(2031, 1, 1), dt.date(2031, 1, 31))).run()
    no_exception(at)
    on_page(at, page)
    notice = ("Nenhuma fatura não cancelada com vencimento de 01/01/2031 a 31/01/2031. "
              "Escolha outro período na barra lateral.")
    infos = [i.value for i in at.info]
    if page in EMPTY_NOTICE_PAGES:  # the pages that count invoices say there are none
        assert notice in infos
        assert not at.dataframe and not at.metric
    else:  # the others do not depend on the period's invoices
        assert notice not in infos


def test_sidebar_shows_source_period_and_connection(app: AppTest, db_url: str) -> None:
    sidebar = "\n".join(m.value for m in app.sidebar.markdown)
    assert "🟢 **Conectado**" in sidebar
    assert Path(db_url.removeprefix("sqlite:///")).name in plain(sidebar)
    assert app.sidebar.date_input(key="period_start").value == MARCH.start
    assert app.sidebar.date_input(key="period_end").value == MARCH.end
    assert [b.label for b in app.sidebar.button][-1] == "Atualizar dados"


def period_shown(at: AppTest) -> tuple[dt.date, dt.date]:
    return (at.sidebar.date_input(key="period_start").value,
            at.sidebar.date_input(key="period_end").value)


def _month_in_sao_paulo(moment: dt.datetime) -> tuple[dt.date, dt.date]:
    """The calendar month of ``moment`` in the provider's default time zone, by hand."""
    day = moment.astimezone(ZoneInfo("America/Sao_Paulo")).date()
    last = calendar.monthrange(day.year, day.month)[1]
    return dt.date(day.year, day.month, 1), dt.date(day.year, day.month, last)


def test_default_period_is_the_current_month(db_url: str) -> None:
    before = _month_in_sao_paulo(dt.datetime.now(dt.UTC))
    at = new_app(period=None).run()
    after = _month_in_sao_paulo(dt.datetime.now(dt.UTC))
    no_exception(at)
    assert period_shown(at) in (before, after)
    start, end = period_shown(at)
    assert at.query_params == {"inicio": start.isoformat(), "fim": end.isoformat()}
    assert at.sidebar.button(key="period_current").disabled


@pytest.mark.parametrize(("utc", "month"), [
    # 22:30 on 31 March in São Paulo is already 1 April in UTC: still March for the staff
    (dt.datetime(2026, 4, 1, 1, 30, tzinfo=dt.UTC), (dt.date(2026, 3, 1), dt.date(2026, 3, 31))),
    (dt.datetime(2028, 2, 29, 12, 0, tzinfo=dt.UTC), (dt.date(2028, 2, 1), dt.date(2028, 2, 29))),
    (dt.datetime(2027, 1, 1, 3, 0, tzinfo=dt.UTC), (dt.date(2027, 1, 1), dt.date(2027, 1, 31))),
])
def test_default_period_is_the_providers_month_on_a_frozen_clock(
        db_url: str, monkeypatch: pytest.MonkeyPatch, utc: dt.datetime,
        month: tuple[dt.date, dt.date]) -> None:
    from carteiro import localtime

    monkeypatch.setattr(localtime, "_now", lambda: utc)
    at = new_app(period=None).run()
    no_exception(at)
    assert period_shown(at) == month == _month_in_sao_paulo(utc)
    assert at.query_params == {"inicio": month[0].isoformat(), "fim": month[1].isoformat()}


def test_month_buttons_step_from_the_selected_period(app: AppTest) -> None:
    """«Mês anterior» twice goes two months back (it used to stay on the month before
    today), «Mês seguinte» comes back, and the URL follows."""
    app.sidebar.button(key="period_previous").click().run()
    assert period_shown(app) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    app.sidebar.button(key="period_previous").click().run()
    assert period_shown(app) == (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert app.query_params == {"inicio": "2024-01-01", "fim": "2024-01-31"}
    app.sidebar.button(key="period_next").click().run()
    app.sidebar.button(key="period_next").click().run()
    no_exception(app)
    assert period_shown(app) == (MARCH.start, MARCH.end)
    assert app.metric[0].value == "8,3%"  # 1 of the 12 customers of March
    # A part of a month steps to the whole month before it.
    app.sidebar.date_input(key="period_start").set_value(dt.date(2024, 3, 10)).run()
    assert period_shown(app) == (dt.date(2024, 3, 10), MARCH.end)
    app.sidebar.button(key="period_previous").click().run()
    assert period_shown(app) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    app.sidebar.button(key="period_current").click().run()
    current = Period.current_month()
    assert period_shown(app) == (current.start, current.end)


def test_a_start_after_the_end_moves_the_end(app: AppTest) -> None:
    app.sidebar.date_input(key="period_start").set_value(dt.date(2024, 4, 5)).run()
    no_exception(app)
    assert period_shown(app) == (dt.date(2024, 4, 5), dt.date(2024, 4, 30))
    app.sidebar.date_input(key="period_end").set_value(dt.date(2024, 3, 20)).run()
    assert period_shown(app) == (dt.date(2024, 3, 1), dt.date(2024, 3, 20))


def linked_app(params: dict[str, Any], door: str | None = None) -> AppTest:
    """A first visit through a link: the URL's parameters, and its page's door (the file
    ``pages/<url_path>.py`` that a first visit runs, ``pages/_first_visit.py``)."""
    at = new_app(period=None)
    at.query_params.update(params)
    if door:
        at.switch_page(door)
    return at.run()


def test_period_from_the_link(db_url: str) -> None:
    at = linked_app({"inicio": "2024-03-01"})
    no_exception(at)
    assert period_shown(at) == (MARCH.start, MARCH.end)
    assert at.metric[0].value == "8,3%"  # 1 of the 12 customers of March
    assert at.query_params == {"inicio": "2024-03-01", "fim": "2024-03-31"}
    assert not at.warning


@pytest.mark.parametrize(("params", "said"), [
    ({"inicio": "1900-01-01"}, "fora das datas aceitas"),
    ({"inicio": "2024-13-01"}, "«inicio=2024-13-01» não é uma data"),
    ({"inicio": "2024-03-10", "fim": "2024-03-01"}, "é anterior a «inicio»"),
    ({"inicio": "9999-12-31"}, "fora das datas aceitas"),
    ({"fim": "amanhã"}, "«fim=amanhã» não é uma data"),
])
def test_a_bad_link_period_warns_and_shows_the_current_month(
        db_url: str, params: dict[str, str], said: str) -> None:
    at = linked_app(params)
    no_exception(at)
    current = Period.current_month()
    assert period_shown(at) == (current.start, current.end)
    warning = plain(at.warning[0].value)
    assert said in warning and "mostrando o mês atual" in warning
    assert at.sidebar.children, "the sidebar stays"
    assert at.query_params == {"inicio": current.start.isoformat(),
                               "fim": current.end.isoformat()}
    at.sidebar.button(key="period_previous").click().run()  # and the session goes on
    no_exception(at)
    assert not at.warning


def test_a_bad_period_in_the_session_falls_back(db_url: str) -> None:
    at = new_app(Period(dt.date(1900, 1, 1), dt.date(1900, 1, 31))).run()
    no_exception(at)
    current = Period.current_month()
    assert period_shown(at) == (current.start, current.end)
    assert "mês atual" in at.warning[0].value


def test_refresh_reloads(app: AppTest) -> None:
    app.sidebar.button[-1].click().run()
    no_exception(app)
    assert app.metric


def test_unreachable_database_shows_what_to_check(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("CARTEIRO_DB_URL", f"sqlite:///{tmp_path / 'nao-existe.sqlite'}")
    at = new_app().run()
    no_exception(at)
    assert at.error[0].proto.title == "Não foi possível ler o banco de dados do ERP"
    assert "não encontrado" in at.error[0].value
    assert "O que verificar" in texts(at)
    assert not at.metric
    assert "🔴" in "\n".join(m.value for m in at.sidebar.markdown)


def test_demo_database_is_created_on_first_use(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    from carteiro.demo import generator

    path = tmp_path / "demo.sqlite"
    monkeypatch.setenv("CARTEIRO_DEMO_DB", str(path))
    monkeypatch.setattr(generator, "DEFAULT_DEMO_CUSTOMERS", 60)
    monkeypatch.setattr(generator, "DEFAULT_DEMO_MONTHS", 2)
    at = new_app(period=None).run()
    no_exception(at)
    assert path.exists()
    assert any("banco de demonstração" in i.value for i in at.info)
    assert "Demonstração" in "\n".join(m.value for m in at.sidebar.markdown)
    assert at.metric
    at.run()  # the notice is said once
    assert not any("banco de demonstração" in i.value for i in at.info)


# ---- Access ----------------------------------------------------------------------------------


def assert_only_login(at: AppTest) -> None:
    no_exception(at)
    assert not at.sidebar.children, "no sidebar (data source, period) before login"
    assert not at.metric and not at.dataframe and not at.date_input
    assert "_carteiro_context" not in at.session_state
    assert all(t.label == "Senha" for t in at.text_input)


@pytest.fixture
def fresh_throttle() -> Iterator[None]:
    """The login throttle is one per process (st.cache_resource): each test starts clean."""
    gate.throttle.clear()
    yield
    gate.throttle.clear()


def log_in(at: AppTest, password: str) -> AppTest:
    at.text_input[0].set_value(password)
    return at.button[0].click().run()


def test_password_gate(db_url: str, fresh_throttle: None,
                       caplog: pytest.LogCaptureFixture) -> None:
    at = new_app(secrets={"access": {"password": "abre-te sésamo"}}).run()
    assert_only_login(at)
    assert at.text_input[0].label == "Senha"

    log_in(at, "errada-123")
    assert_only_login(at)
    assert at.error[0].value == "Senha incorreta."
    assert at.text_input[0].value == "", "the typed password is not kept"
    assert "errada-123" not in repr(at.session_state)

    log_in(at, "abre-te sésamo")
    no_exception(at)
    assert at.metric
    assert at.sidebar.children

    # A page visited directly still needs the login: «Sair» forgets it, and the whole session.
    at.sidebar.button(key="logout").click().run()
    assert_only_login(at)
    assert "nr_query" not in at.session_state


def test_password_throttle_locks_the_address_out(db_url: str, fresh_throttle: None,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(access, "failure_delay", lambda failures: 0.0)
    limit = gate.throttle().limit
    at = new_app(secrets={"access": {"password": "certa"}}).run()
    for n in range(limit):
        log_in(at, f"chute-{n}")
        assert at.error[0].value == "Senha incorreta."
    log_in(at, "certa")  # even the right password is refused now, without being compared
    assert_only_login(at)
    assert "Muitas tentativas de senha erradas deste endereço" in at.error[0].value
    assert re.search(r"Tente de novo às \d\d:\d\d \(daqui a 15 min\)", at.error[0].value)
    # A new session from the same address is locked out too (one store per server).
    other = new_app(secrets={"access": {"password": "certa"}}).run()
    log_in(other, "certa")
    assert_only_login(other)
    assert "Muitas tentativas" in other.error[0].value
    logged = caplog.text
    assert f"endereço local, {limit} falha(s)" in logged
    assert "chute-" not in logged and "certa" not in logged


def test_oidc_gate_with_allow_list(db_url: str) -> None:
    secrets = {
        "auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                 "cookie_secret": "x" * 32, "client_id": "carteiro", "client_secret": "s",
                 "server_metadata_url": "https://idp.example/.well-known/openid-configuration"},
        "access": {"allowed_emails": ["Ana@Provedor.com.br"]},
    }
    at = new_app(secrets=secrets)
    at.user = {"is_logged_in": False}
    at.run()
    assert_only_login(at)
    assert [b.label for b in at.button] == ["Entrar"]

    at.user = {"is_logged_in": True, "email": "bob@outro.com"}
    at.run()
    assert_only_login(at)
    assert "bob@outro.com não tem acesso" in plain(at.error[0].value)

    at.user = {"is_logged_in": True, "email": "ana@provedor.com.br"}
    at.run()
    no_exception(at)
    assert at.metric
    assert "ana@provedor.com.br" in plain("\n".join(c.value for c in at.sidebar.caption))


# Unusable [access]/[auth] sections (the whole table is in tests/test_access.py): the app
# stops with the pt-BR problem and draws nothing else, on every page.
BROKEN = {
    "auth sem provedor": ({"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                                    "cookie_secret": "x" * 32},
                           "access": {"allowed_emails": ["ana@provedor.com.br"]}},
                          "nenhum provedor"),
    "senha vazia": ({"access": {"password": ""}}, "password está vazia"),
    "chave senha": ({"access": {"senha": "x"}}, "chave desconhecida «senha»"),
    "chave pasword": ({"access": {"pasword": "x"}}, "Você quis dizer password?"),
    "seção acesso": ({"acesso": {"password": "x"}}, "se chama [access]"),
    "senha e auth": ({"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                               "cookie_secret": "x" * 32, "client_id": "c",
                               "client_secret": "s",
                               "server_metadata_url": "https://idp.example/.well-known/x"},
                      "access": {"password": "x", "allowed_domains": ["provedor.com.br"]}},
                     "escolha um"),
}


@pytest.mark.parametrize("case", list(BROKEN))
@pytest.mark.parametrize("page", [None, "pages/non_recipients.py"])
def test_unusable_access_configuration_stops_the_app(db_url: str, case: str,
                                                     page: str | None) -> None:
    secrets, words = BROKEN[case]
    at = new_app(secrets=secrets)
    at.user = {"is_logged_in": True, "email": "ana@provedor.com.br"}
    at.run()
    if page:
        at.switch_page(page).run()
    no_exception(at)
    assert not at.sidebar.children and not at.text_input and not at.button
    assert not at.metric and not at.dataframe and "_carteiro_context" not in at.session_state
    assert at.error[0].proto.title == "Configuração de acesso inválida"
    assert words in plain(at.error[0].value)


def test_unreadable_secrets_file_stops_the_app(db_url: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit
    from streamlit import config
    from streamlit.runtime.secrets import Secrets

    broken = tmp_path / "secrets.toml"
    broken.write_text('[access]\npassword = "sem fim\n', encoding="utf-8")
    previous = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(broken)])
    monkeypatch.setattr(streamlit, "secrets", Secrets())
    try:
        at = new_app().run()
    finally:
        config.set_option("secrets.files", previous)
    no_exception(at)
    assert not at.sidebar.children and not at.metric and not at.text_input
    assert "não pôde ser lido" in plain(at.error[0].value)
    assert "sem fim" not in at.error[0].value


@pytest.mark.parametrize("page", PAGES)
def test_a_page_run_without_app_py_shows_nothing(db_url: str, page: str) -> None:
    """Streamlit's legacy pages/ mode (first session after a restart) runs a page file alone:
    it must not show data without the gate of app.py."""
    at = AppTest.from_file(str(APP.parent / page), default_timeout=TIMEOUT).run()
    no_exception(at)
    assert "endereço principal" in at.error[0].value
    assert not at.metric and not at.dataframe and not at.title


# ---- First visit after a server start (pages/_first_visit.py) ------------------------------

DOORS = {path: title for path, title in (
    ("motivos", "Por que não recebem"),
    ("entregas", "Entregas dos avisos de cobrança"),
    ("nao-recebem", "Clientes que não recebem o aviso"),
    ("diagnostico", "Diagnóstico de um cliente"),
    ("configuracao", "Configuração do envio no ERP"),
    ("dados", "Problemas nos dados do ERP"),
    ("simulacao", "Simulação de correções"),
)}


def test_every_url_path_has_its_door() -> None:
    from pages import _nav as nav

    paths = {path for path in nav.URL_PATHS.values() if path}
    assert paths == set(DOORS)
    for path in paths:
        code = (APP.parent / "pages" / f"{path}.py").read_text(encoding="utf-8")
        assert "_first_visit.door()" in code, path


@pytest.mark.parametrize("path", list(DOORS))
def test_a_deep_link_as_the_first_visit_opens_its_page(db_url: str, path: str) -> None:
    """AppTest starts every run in Streamlit's legacy pages/ mode, as the first session after
    a server start: the deep link runs the door, which runs app.py, which opens the page."""
    at = linked_app({"inicio": "2024-03-01"}, door=f"pages/{path}.py")
    no_exception(at)
    assert at.title[0].value == DOORS[path]
    assert at.sidebar.date_input(key="period_start").value == MARCH.start
    assert "Gmail antigo" in at.error[0].proto.title  # the alerts of app.py are there


@pytest.mark.parametrize("path", list(DOORS))
def test_a_door_run_alone_shows_nothing(db_url: str, path: str) -> None:
    at = AppTest.from_file(str(APP.parent / "pages" / f"{path}.py"),
                           default_timeout=TIMEOUT).run()
    no_exception(at)
    assert "endereço principal" in at.error[0].value
    assert not at.metric and not at.dataframe and not at.title and not at.sidebar.children


# ---- ERP text is text -------------------------------------------------------------------------


def markdown_texts(at: AppTest) -> list[str]:
    """Every text the page passes to an element that renders Markdown (see
    carteiro/access/markup.py): bodies and titles of alerts, headers, captions, metric labels
    and values, button labels."""
    texts = [e.value for e in (*at.markdown, *at.caption, *at.title, *at.header,
                               *at.subheader, *at.error, *at.warning, *at.info, *at.success)]
    texts += [e.proto.title for e in (*at.error, *at.warning, *at.info, *at.success)]
    texts += [t for m in at.metric for t in (m.label, m.value, m.proto.help)]
    texts += [b.label for b in at.button]
    return [str(t) for t in texts if t]


def test_erp_text_reaches_markdown_only_escaped(write_db: Callable[..., str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A hostile ERP (tests/hostile.py) on every page, a diagnosis and the sender test: no
    Markdown element gets a link, an image, HTML or an autolink from it."""
    url = write_db(mixed_erp())
    make_hostile(Path(url.removeprefix("sqlite:///")), "127.0.0.1:9")
    monkeypatch.setenv("CARTEIRO_DB_URL", url)
    at = new_app().run()
    seen: list[str] = []
    for page in PAGES:
        on_page(at, page)
        seen += markdown_texts(at)
    on_page(at, "pages/diagnosis.py")
    at.text_input(key="diag_query").set_value("2").run()
    at.selectbox(key="diag_pick").set_value(2).run()
    seen += markdown_texts(at)
    on_page(at, "pages/settings.py")
    at.text_input(key="smtp_to").set_value("suporte@provedor.com.br")
    at.text_input(key="smtp_password").set_value("segredo").run()
    at.button(key="smtp_send").click().run()
    no_exception(at)
    seen += markdown_texts(at)
    shown = plain("\n".join(seen))
    assert "descricao" in shown and "nome_razaosocial" in shown and "cidade" in shown
    assert "'email_origem ![x](http://127.0.0.1:9/" in shown  # the test names the sender
    for text in seen:
        assert not re.search(r"(?<!\\)(\]\(|<img|<a |://|www\.|@evil|:material|:red\[)",
                             text), text


# ---- Cobertura -------------------------------------------------------------------------------


def test_coverage_metrics_equal_the_engine(app: AppTest, engine_audit: Audit) -> None:
    """The shares of the engine's counts (the p.p. changes: tests/test_app_coverage.py)."""
    summary = coverage_view.coverage_summary(engine_audit)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Clientes com aviso"] == fmt.percent(summary.covered / summary.customers)
    assert metrics["Faturas com aviso"] == fmt.percent(
        summary.eligible_invoices / summary.invoices)
    assert metrics["Clientes com aviso"] == "8,3%"  # 1 of 12
    by_method = frame(app, coverage_view.Breakdown.LABEL, coverage_view.Breakdown.INVOICES)
    assert by_method[coverage_view.Breakdown.INVOICES].sum() == summary.invoices
    assert headers(app, coverage_view.Breakdown.LABEL, coverage_view.Breakdown.INVOICES) == [
        "Forma de cobrança", "Faturas", "Com aviso", "Sem aviso", "Cobertura", "Clientes",
        "Em aberto sem aviso"]


# ---- Motivos ---------------------------------------------------------------------------------


def test_reasons_table_and_combinations(app: AppTest, engine_audit: Audit) -> None:
    on_page(app, "pages/reasons.py")
    reasons = app.dataframe(key="table_reasons").value
    counts = engine_audit.reason_counts()
    assert reasons[reasons_view.ReasonRow.CUSTOMERS].tolist() == counts["customers"].tolist()
    assert reasons[reasons_view.ReasonRow.INVOICES].tolist() == counts["invoices"].tolist()
    combos = app.dataframe(key="table_combinations").value
    assert combos[reasons_view.Combination.CUSTOMERS].sum() == 11


def test_selecting_a_reason_opens_its_customers(app: AppTest) -> None:
    on_page(app, "pages/reasons.py")
    position = [r.code for r in REASON_BY_CODE.values()].index("no_valid_email")
    app.session_state["table_reasons"] = {"selection": {"rows": [position], "columns": [],
                                                        "cells": []}}
    app.run()
    no_exception(app)
    assert app.title[0].value == "Clientes que não recebem o aviso"
    assert app.multiselect(key="nr_reasons").value == ["no_valid_email"]
    assert table_ids(app) == {2, 9}
    captions = "\n".join(c.value for c in app.caption)  # what it means, where to fix it
    assert REASON_BY_CODE["no_valid_email"].menu_path in captions
    assert app.query_params["motivo"] == "9"


def test_clicking_a_bar_opens_its_customers(app: AppTest) -> None:
    """A bar goes straight to its customers (the button it offered was below the screen)."""
    on_page(app, "pages/reasons.py")
    app.session_state["chart_reasons"] = {"selection": {
        "points": [{"customdata": "service_missing", "curve_number": 0, "point_index": 3}],
        "point_indices": [3], "box": [], "lasso": []}}
    app.run()
    no_exception(app)
    assert app.title[0].value == "Clientes que não recebem o aviso"
    assert app.multiselect(key="nr_reasons").value == ["service_missing"]
    assert table_ids(app) == {8, 12}
    app.switch_page("pages/reasons.py").run()  # back on Motivos: no jump again
    no_exception(app)
    assert app.title[0].value == "Por que não recebem"


def test_selecting_a_combination_opens_exactly_those_customers(app: AppTest) -> None:
    on_page(app, "pages/reasons.py")
    combos = app.dataframe(key="table_combinations").value
    pair = labels_view.reason_bit("service_status_excluded") | labels_view.reason_bit(
        "no_contact_allows_email")
    position = combos.index[combos[reasons_view.Combination.LABEL]
                            == labels_view.combination_label(pair)][0]
    app.session_state["table_combinations"] = {"selection": {"rows": [int(position)],
                                                             "columns": [], "cells": []}}
    app.run()
    no_exception(app)
    assert table_ids(app) == {11}
    assert "Nenhum contato permite e-mail" in texts(app)
    assert app.query_params["combinacao"] == "6-8"
    # st.switch_page moved the app; AppTest keeps asking for the page it was last sent to.
    app.switch_page("pages/non_recipients.py")
    app.button(key="clear_combination").click().run()
    assert table_ids(app) == set(EXPECTED_REASONS) - {1}
    assert "combinacao" not in app.query_params


# ---- Não recebem -----------------------------------------------------------------------------


@pytest.fixture
def non_recipients(app: AppTest) -> AppTest:
    return on_page(app, "pages/non_recipients.py")


def test_table_lists_every_customer_without_full_coverage(non_recipients: AppTest,
                                                          engine_audit: Audit) -> None:
    customers = engine_audit.customers
    expected = {int(i) for i in customers.loc[customers["status"] != "covered", "customer_id"]}
    assert table_ids(non_recipients) == expected
    frame = non_recipients.dataframe(key="nr_table").value
    assert list(frame.columns) == list(non_recipients_view.SUPPORT_COLUMNS)
    assert headers(non_recipients, non_recipients_view.Cust.EMAILS) == [
        "Cliente", "Situação", "Motivo principal", "Em aberto sem aviso (R$)", "ID",
        "1º vencimento sem aviso", "CPF/CNPJ", "Todos os motivos", "Faturas",
        "Com aviso", "Formas de cobrança", "Status do serviço", "Cidade", "E-mails"]
    assert "**11** de 11 clientes" in texts(non_recipients)


def test_the_table_shows_its_key_columns_until_asked_for_more(non_recipients: AppTest) -> None:
    Cust = non_recipients_view.Cust
    assert list(non_recipients.dataframe(key="nr_table").proto.column_order) == list(
        non_recipients_view.SUPPORT_KEY_COLUMNS)
    assert Cust.AMOUNT in non_recipients_view.SUPPORT_KEY_COLUMNS  # the column it is sorted by
    non_recipients.toggle(key="nr_table_more").set_value(True).run()
    assert list(non_recipients.dataframe(key="nr_table").proto.column_order) == list(
        non_recipients_view.SUPPORT_COLUMNS)


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("nr_reasons", ["service_status_excluded"], {4, 11}),
    ("nr_reasons", ["no_contact_allows_email", "sender_unavailable"], {3, 10, 11}),
    ("nr_methods", ["Carnê"], {10}),
    ("nr_methods", [labels_view.NO_METHOD_LABEL], {6}),
    ("nr_statuses", [labels_view.NO_SERVICE_LABEL], {8, 12}),
    ("nr_cities", ["Lavras"], {2, 3, 8}),
    ("nr_coverage", ["partial"], {8}),
])
def test_each_filter_narrows_as_the_engine_says(non_recipients: AppTest, key: str,
                                               value: list[str], expected: set[int]) -> None:
    non_recipients.multiselect(key=key).set_value(value).run()
    no_exception(non_recipients)
    assert table_ids(non_recipients) == expected


def test_reason_filter_equals_engine_mask(non_recipients: AppTest,
                                         engine_audit: Audit) -> None:
    support = non_recipients_view.support_data(engine_audit)
    for code in non_recipients_view.filter_options(support).reasons:
        non_recipients.multiselect(key="nr_reasons").set_value([code]).run()
        customers = engine_audit.customers
        hit = (customers["reason_mask"].to_numpy(dtype=int) & labels_view.reason_bit(code)) != 0
        assert table_ids(non_recipients) == {int(i) for i in customers.loc[hit, "customer_id"]}


@pytest.mark.parametrize(("query", "expected"), [
    ("Cliente 4", {4}),
    ("000.000.005-00", {5}),
    ("00000000500", {5}),
    ("cliente7@gmail.com", {7}),
    ("conceição", {10}),
])
def test_search_box(non_recipients: AppTest, query: str, expected: set[int]) -> None:
    non_recipients.text_input(key="nr_query").set_value(query).run()
    assert table_ids(non_recipients) == expected


def test_filters_combine_and_empty_result_says_so(non_recipients: AppTest) -> None:
    non_recipients.multiselect(key="nr_cities").set_value(["Varginha"]).run()
    non_recipients.multiselect(key="nr_reasons").set_value(["service_blocks_email"]).run()
    assert table_ids(non_recipients) == {5}
    non_recipients.text_input(key="nr_query").set_value("ninguém").run()
    no_exception(non_recipients)
    assert not non_recipients.dataframe
    assert "Nenhum cliente corresponde" in texts(non_recipients)


def test_filters_survive_a_visit_to_another_page(non_recipients: AppTest) -> None:
    non_recipients.multiselect(key="nr_cities").set_value(["Alfenas"]).run()
    on_page(non_recipients, "pages/coverage.py")
    on_page(non_recipients, "pages/non_recipients.py")
    assert non_recipients.multiselect(key="nr_cities").value == ["Alfenas"]
    assert table_ids(non_recipients) == {6, 7, 12}


def test_exports_get_new_ids_and_expire_without_any_rerun(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """pages/_downloads.py on Streamlit's real media manager: the same bytes get a new /media
    id at each render, and the file is gone 2 × DOWNLOAD_TTL after the click with no rerun."""
    from types import SimpleNamespace

    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    from pages import _downloads as downloads

    manager = MediaFileManager(MemoryMediaFileStorage("/media"))
    monkeypatch.setattr(downloads.runtime, "exists", lambda: True)
    monkeypatch.setattr(downloads.runtime, "get_instance",
                        lambda: SimpleNamespace(media_file_mgr=manager))
    monkeypatch.setattr(downloads, "DOWNLOAD_TTL", 0.2)

    def click() -> str:
        """Render a button and click it, as Streamlit does: the file's name in /media."""
        button: dict[str, Any] = {}
        container = SimpleNamespace(download_button=lambda label, **kw: button.update(kw))
        downloads.button(container, "Baixar CSV", lambda: b"\xef\xbb\xbfa;b\r\n",
                         file_name="x.csv", mime="text/csv", key="k")
        assert button["on_click"] == "ignore" and button["mime"].startswith("text/csv; ")
        placeholder = manager.add_deferred(button["data"], button["mime"], "1.2",
                                           button["file_name"])
        return manager.execute_deferred(placeholder).rsplit("/", 1)[1]

    first, second = click(), click()
    assert first != second
    assert manager.read_file(first).content == manager.read_file(second).content
    deadline = time.monotonic() + 10
    while manager.read_file(second) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert manager.read_file(first) is None and manager.read_file(second) is None


def test_export_is_exactly_the_filtered_rows_and_neutralised(
        db_url: str, downloads: dict[str, Callable[[], Any]]) -> None:
    at = on_page(new_app().run(), "pages/non_recipients.py")
    at.multiselect(key="nr_reasons").set_value(["no_valid_email", "service_missing"]).run()
    shown = table_ids(at)
    assert shown == {2, 8, 9, 12}
    csv = download(at, "download_csv", downloads)
    assert csv.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(csv), sep=";", encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    assert list(frame.columns) == [non_recipients_view.SUPPORT_HEADERS[c]
                                   for c in non_recipients_view.SUPPORT_COLUMNS]
    assert {int(i) for i in frame["ID"]} == shown
    table = at.dataframe(key="nr_table").value
    assert frame["ID"].astype(int).tolist() == table[non_recipients_view.Cust.ID].astype(
        int).tolist()
    assert "'" + HYPERLINK_NAME in frame["Cliente"].tolist()
    assert not frame["Cliente"].str.startswith("=").any()

    import openpyxl

    xlsx = download(at, "download_xlsx", downloads)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    rows = list(sheet.values)
    assert len(rows) - 1 == len(shown)
    name = rows[0].index("Cliente")
    assert HYPERLINK_NAME in [r[name] for r in rows[1:]]  # a text cell, shown as in the ERP
    cell = next(c for c in sheet["A"] if c.value == HYPERLINK_NAME)
    assert cell.data_type == "s" and cell.quotePrefix


def test_table_is_bounded_but_the_export_is_not(
        write_db: Callable[..., str], monkeypatch: pytest.MonkeyPatch,
        downloads: dict[str, Callable[[], Any]]) -> None:
    erp = mixed_erp()
    for cid in range(100, 130):
        erp.customer(cid, allows=False)
    monkeypatch.setenv("CARTEIRO_DB_URL", write_db(erp))
    monkeypatch.setattr(tables_view, "TABLE_ROW_LIMIT", 10)
    at = on_page(new_app().run(), "pages/non_recipients.py")
    assert len(at.dataframe(key="nr_table").value) == 10
    assert "a tabela mostra os primeiros 10" in texts(at)
    csv = download(at, "download_csv", downloads)
    assert csv.count(b"\r\n") - 1 == 41  # 11 + 30 customers, header excluded


def test_selecting_a_row_opens_its_diagnosis(non_recipients: AppTest) -> None:
    frame = non_recipients.dataframe(key="nr_table").value
    position = frame.index[frame[non_recipients_view.Cust.ID] == 11][0]
    non_recipients.session_state["nr_table"] = {"selection": {"rows": [int(position)],
                                                              "columns": [], "cells": []}}
    non_recipients.run()
    no_exception(non_recipients)
    assert non_recipients.title[0].value == "Diagnóstico de um cliente"
    assert non_recipients.header[0].value == "Cliente 11"


# ---- Diagnóstico -----------------------------------------------------------------------------


def checklist(at: AppTest) -> dict[str, str]:
    """Condition label → its icon, read from the checklist lines."""
    out = {}
    for markdown in at.markdown:
        match = re.match(r"^(✅|❌|➖) \*\*(\d)\. (.+?)\*\*", markdown.value)
        if match:
            out[match.group(3)] = match.group(1)
    return out


@pytest.mark.parametrize("customer_id", sorted(EXPECTED_REASONS))
def test_diagnosis_lists_exactly_the_failing_conditions(app: AppTest, customer_id: int) -> None:
    on_page(app, "pages/diagnosis.py")
    app.text_input(key="diag_query").set_value(f"000.000.{customer_id:03d}-00").run()
    no_exception(app)
    icons = checklist(app)
    assert len(icons) == 9
    failing = {label for label, icon in icons.items() if icon == "❌"}
    assert failing == {REASON_BY_CODE[c].check_label for c in EXPECTED_REASONS[customer_id]}
    body = texts(app)
    for code in EXPECTED_REASONS[customer_id]:
        assert REASON_BY_CODE[code].menu_path in body
        assert REASON_BY_CODE[code].explanation in body


def test_diagnosis_shows_not_evaluated_invoices_dates_recipients_and_log(
        write_db: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> None:
    erp = mixed_erp()
    erp.add("email_enviado", id_email_enviado=1, id_cliente=12, id_fatura=1012,
            email_destino="cliente12@gmail.com", tipo_documento="fatura",
            data_envio="2024-02-07 08:00:00", enviado=True, mensagem_erro=None)
    monkeypatch.setenv("CARTEIRO_DB_URL", write_db(erp))
    at = on_page(new_app().run(), "pages/diagnosis.py")
    at.text_input(key="diag_query").set_value("12").run()  # an exact id comes first
    if at.selectbox:
        at.selectbox(key="diag_pick").set_value(12).run()
    no_exception(at)
    icons = checklist(at)
    assert icons[REASON_BY_CODE["service_status_excluded"].check_label] == "➖"
    assert icons[REASON_BY_CODE["service_blocks_email"].check_label] == "➖"
    assert icons[REASON_BY_CODE["service_missing"].check_label] == "❌"
    assert len(frame(at, diagnosis_view.InvoiceView.DUE_DATE)) == 1
    assert len(frame(at, diagnosis_view.SendView.SEND_DATE)) == 3
    recipients = frame(at, diagnosis_view.RecipientView.RECEIVES)
    assert recipients[diagnosis_view.RecipientView.EMAIL].tolist() == ["cliente12@gmail.com"]
    log = frame(at, diagnosis_view.LogView.SENT_AT)
    assert log[diagnosis_view.LogView.ACCEPTED].tolist() == ["Sim"]
    assert headers(at, diagnosis_view.LogView.SENT_AT) == [
        "Enviado em", "Destino", "Documento", "Fatura", "Aceito pelo servidor", "Erro"]


def test_diagnosis_search_by_contact_email_and_unknown(app: AppTest) -> None:
    on_page(app, "pages/diagnosis.py")
    assert "Busque um cliente" in texts(app)
    app.text_input(key="diag_query").set_value("financeiro@empresa-um.com.br").run()
    assert app.header[0].value == "Cliente 1"
    assert "Todas as condições passam" in "\n".join(s.value for s in app.success)
    app.text_input(key="diag_query").set_value("zzz-ninguem").run()
    no_exception(app)
    assert "Nenhum cliente encontrado" in app.warning[0].value


def test_diagnosis_chooses_among_several_matches(app: AppTest) -> None:
    """Several matches: a chooser, and nothing diagnosed until the person picks one."""
    on_page(app, "pages/diagnosis.py")
    app.text_input(key="diag_query").set_value("cliente").run()
    box = app.selectbox(key="diag_pick")
    assert len(box.options) == 11  # every customer named «Cliente N»
    assert box.value is None and not app.header and not app.metric
    assert "11 clientes encontrados" in box.label
    box.set_value(5).run()
    assert app.header[0].value == "Cliente 5"
    assert app.query_params["cliente"] == "5" and app.query_params["busca"] == "cliente"


def test_a_new_search_replaces_the_old_result(app: AppTest) -> None:
    """Customer 12 chosen for «1», then a search for «2», which 12 also matches: the old
    choice is not kept (searching 40 then 46 kept showing 40)."""
    on_page(app, "pages/diagnosis.py")
    app.text_input(key="diag_query").set_value("1").run()
    app.selectbox(key="diag_pick").set_value(12).run()
    assert app.header[0].value == "Cliente 12"
    app.text_input(key="diag_query").set_value("2").run()
    no_exception(app)
    box = app.selectbox(key="diag_pick")
    assert [option.rsplit(" id ", 1)[1] for option in box.options] == ["2", "12"]
    assert box.value is None and not app.header
    assert "cliente" not in app.query_params
    app.text_input(key="diag_query").set_value("000.000.004-00").run()  # one match: opened
    assert app.header[0].value == "Cliente 4"


def test_each_failing_condition_names_what_to_change(write_db: Callable[..., str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    erp = mixed_erp()
    erp.add("cliente_contato", id_cliente_contato=88, id_cliente=11, nome="Maria",
            email="maria@empresa.com.br", permite_enviar_email=False)
    monkeypatch.setenv("CARTEIRO_DB_URL", write_db(erp))
    at = linked_app({"inicio": "2024-03-01", "cliente": "11"}, door="pages/diagnostico.py")
    no_exception(at)
    assert at.header[0].value == "Cliente 11"
    shown = plain("\n".join(m.value for m in at.markdown))
    assert ("- Serviço 111 — FIBRA 300MB: status Inativo (inativo), fora dos «Status do Serviço "
            "para Envio» da forma de cobrança Boleto (Padrão: todos, exceto cancelado e "
            "inativo)") in shown
    assert "- Cadastro do cliente (id 11): permite_enviar_email = não" in shown
    assert "- Contato Maria (id 88): permite_enviar_email = não" in shown
    at.query_params.clear()
    at = linked_app({"inicio": "2024-03-01", "cliente": "5"}, door="pages/diagnostico.py")
    shown = plain("\n".join(m.value for m in at.markdown))
    assert "- Serviço 105 — FIBRA 300MB: envio_cobranca = Somente SMS" in shown


# ---- Links -----------------------------------------------------------------------------------


def test_a_copied_url_reopens_the_same_view(non_recipients: AppTest) -> None:
    non_recipients.multiselect(key="nr_cities").set_value(["Lavras"]).run()
    non_recipients.multiselect(key="nr_coverage").set_value(["not_covered"]).run()
    non_recipients.text_input(key="nr_query").set_value("cliente").run()
    expected = table_ids(non_recipients)
    assert expected == {2, 3}
    link = dict(non_recipients.query_params)
    assert link == {"inicio": "2024-03-01", "fim": "2024-03-31", "busca": "cliente",
                    "cidade": "Lavras", "situacao": "nao-coberto"}
    copy = linked_app(link, door="pages/nao-recebem.py")
    no_exception(copy)
    assert copy.title[0].value == "Clientes que não recebem o aviso"
    assert table_ids(copy) == expected
    assert copy.multiselect(key="nr_cities").value == ["Lavras"]
    assert copy.text_input(key="nr_query").value == "cliente"
    assert dict(copy.query_params) == link


def test_bad_link_filters_warn_and_are_dropped(db_url: str) -> None:
    at = linked_app({"inicio": "2024-03-01", "motivo": ["6", "12"], "forma": "Pix",
                     "cidade": "Varginha", "situacao": "talvez", "combinacao": "6-x"},
                    door="pages/nao-recebem.py")
    no_exception(at)
    said = [plain(w.value) for w in at.warning]
    assert any("Motivo do link ignorado: «12»" in w for w in said)
    assert any("Situação do link ignorada: «talvez»" in w for w in said)
    assert any("Combinação do link ignorada: «6-x»" in w for w in said)
    assert any("Forma de cobrança: «Pix» não aparece em 01/03/2024 a 31/03/2024" in w
               for w in said)
    assert at.multiselect(key="nr_methods").value == []
    assert at.multiselect(key="nr_reasons").value == ["service_status_excluded"]
    assert table_ids(at) == {4}  # condition 6 (4 and 11), in Varginha (4)
    assert dict(at.query_params) == {"inicio": "2024-03-01", "fim": "2024-03-31",
                                     "motivo": "6", "cidade": "Varginha"}


def test_a_link_to_an_unknown_customer_says_so(db_url: str) -> None:
    at = linked_app({"inicio": "2024-03-01", "cliente": "abc"}, door="pages/diagnostico.py")
    assert "Cliente do link ignorado: «abc»" in plain(at.warning[0].value)
    at = linked_app({"inicio": "2024-03-01", "cliente": "999"}, door="pages/diagnostico.py")
    no_exception(at)
    assert "Nenhum cliente com o id 999" in "\n".join(w.value for w in at.warning)


# ---- Configuração, sender test and Dados -----------------------------------------------------


def test_settings_page(app: AppTest) -> None:
    on_page(app, "pages/settings.py")
    method = settings_view.MethodRow
    methods = frame(app, method.METHOD, method.ACTIVE_RULES)
    assert methods[method.METHOD].tolist() == ["Boleto", "Carnê"]
    assert headers(app, method.METHOD, method.ACTIVE_RULES) == [
        "ID", "Forma de cobrança", "Ativa", "Remetente", "Remetente disponível",
        "Regras ativas", "Dias das regras (em relação ao vencimento)",
        "Status do Serviço para Envio", "Faturas", "Com aviso"]
    assert headers(app, settings_view.RoutineRow.SENDS_BILLING) == [
        "ID", "Tipo", "Horário", "Ativa", "Envia e-mail de cobrança"]
    assert headers(app, settings_view.SenderRow.USED_BY) == [
        "ID", "Descrição", "Servidor", "Porta", "Segurança", "Usuário", "E-mail de origem",
        "Padrão", "Ativo", "Último teste falhou", "Disponível", "Usado por"]
    assert headers(app, settings_view.RuleRow.WHEN) == [
        "Forma de cobrança", "Regra", "Quando", "Assunto", "Ativa"]
    breakdown = coverage_view.Breakdown
    orphans = frame(app, breakdown.LABEL, breakdown.CUSTOMERS)
    assert orphans[breakdown.LABEL].tolist() == [labels_view.NO_METHOD_LABEL]
    assert headers(app, breakdown.LABEL, breakdown.CUSTOMERS) == [
        "Forma de cobrança", "Faturas", "Clientes", "Em aberto sem aviso"]
    assert app.radio(key="smtp_mode").value == "erp"
    assert app.text_input(key="smtp_erp_host").value == "smtp.provedor.com.br"


def test_settings_capacity_follows_the_engine_and_the_cap(app: AppTest,
                                                          engine_audit: Audit) -> None:
    from carteiro.views import capacity as capacity_view

    on_page(app, "pages/settings.py")
    capacity = capacity_view.Capacity
    expected = capacity_view.capacity_table(engine_audit)
    days = frame(app, capacity.SEND_DATE, capacity.NOTICES)
    assert days[capacity.NOTICES].tolist() == expected[capacity.NOTICES].head(10).tolist()
    assert set(days[capacity.OVER_CAP]) == {"—"}
    assert headers(app, capacity.SEND_DATE, capacity.NOTICES) == [
        "Dia de envio", "Remetente", "Avisos", "Intervalo (s)", "Tempo necessário (s)",
        "Cabem no dia", "Cabe no dia", "Acima do limite do provedor", "Dentro do período"]
    app.selectbox(key="cfg_cap_choice").set_value("Outro limite…").run()
    app.number_input(key="cfg_cap_custom").set_value(1).run()
    no_exception(app)
    flagged = frame(app, capacity.SEND_DATE, capacity.NOTICES)
    over = (flagged[capacity.NOTICES] > 1).map({True: "Sim", False: "Não"})
    assert flagged[capacity.OVER_CAP].tolist() == over.tolist()


TEST_DAY = dt.datetime(2024, 3, 12, 15, 0, tzinfo=dt.UTC)  # 12/03/2024 in São Paulo
# Boleto (sender 1, rules -3, 0, +3) in the mixed ERP: 10 of its 11 invoices have a firing send
# date on or after 12/03 (due 10/03 → 13/03; 2008 due 20/03); 1007 was paid before its first.
BLOCKED_ON_THE_12TH = 10


def failed_result(stage: str, host: str, port: int, security: str, from_addr: str | None,
                  to_addr: str, started: dt.datetime = TEST_DAY) -> Any:
    """A test that failed at ``stage`` (``connect``: the server was not reached)."""
    from carteiro.sender import smtp as smtp_test

    reached = stage != "connect"
    stages = ((smtp_test.Stage("connect", True, 3.2),
               smtp_test.Stage("auth", False, 120.0, 535, "5.7.8 Authentication failed"))
              if reached else (smtp_test.Stage("connect", False, 1.0, None,
                                               "nome não encontrado (DNS)"),))
    return smtp_test.SmtpTestResult(
        ok=False, failed_stage=stage, message="O servidor recusou o usuário ou a senha."
        if reached else "Não foi possível encontrar o servidor (DNS).",
        host=host, port=port, security=security, from_addr=from_addr or "",
        to_addr=to_addr, started_at=started.isoformat(), stages=stages,
        tls=None, warnings=(), transcript=("S: 220 smtp.provedor.com.br", "C: AUTH ***"),
    )


def fake_smtp(monkeypatch: pytest.MonkeyPatch, stage: str) -> list[dict[str, Any]]:
    """Replace the SMTP test by one that fails at ``stage`` on :data:`TEST_DAY`."""
    from carteiro.sender import smtp as smtp_test

    calls: list[dict[str, Any]] = []

    def fake_test(host: str, port: int, security: str, **kwargs: Any) -> Any:
        calls.append({"host": host, "port": port, "security": security, **kwargs})
        return failed_result(stage, host, port, security, kwargs["from_addr"],
                             kwargs["to_addr"])

    monkeypatch.setattr(smtp_test, "run_smtp_test", fake_test)
    return calls


def send_test(app: AppTest, password: str = "segredo-do-smtp") -> None:
    on_page(app, "pages/settings.py")
    app.text_input(key="smtp_password").set_value(password)
    app.text_input(key="smtp_to").set_value("eu@provedor.com.br").run()
    app.button(key="smtp_send").click().run()
    no_exception(app)


def warnings_text(app: AppTest) -> list[str]:
    return [plain(str(w.value)) for w in app.warning]


def principal_alerts(app: AppTest) -> list[str]:
    return [plain(e.proto.title) for e in app.error if "Principal" in e.proto.title]


def condition_2_labels(app: AppTest) -> list[str]:
    test = sender_test_view.SenderTestRow
    return frame(app, test.WHEN, test.CONDITION_2)[test.CONDITION_2].tolist()


def blocked_by_engine(db_url: str, since: dt.date | None) -> int:
    """Invoices of sender 1 failing condition 2, computed by the engine itself."""
    from carteiro.columns import Invoice

    audit = evaluate(load_data(db_url, MARCH), MARCH, {1: since} if since else None)
    inv = audit.invoices
    return int((inv["sender_unavailable"] & (inv[Invoice.SENDER_ID] == 1)).sum())


def test_sender_test_records_the_result_and_refreshes_the_audit(
        app: AppTest, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refusal (AUTH) counts at once: the alert names the day, the widget says what it
    blocks, the history says it counts."""
    calls = fake_smtp(monkeypatch, "auth")
    on_page(app, "pages/settings.py")
    # only Carnê's sender (besides the days without sends of this ERP's empty send log)
    assert len([e for e in app.error if "Nenhum envio" not in e.proto.title]) == 1
    send_test(app)

    assert calls and calls[0]["password"] == "segredo-do-smtp"
    assert calls[0]["host"] == "smtp.provedor.com.br" and calls[0]["user"] == (
        "cobranca@provedor.com.br")
    # The failed test makes sender 1 unavailable at once: a new alert above the page.
    assert principal_alerts(app) == [
        "O remetente de e-mail «Principal» (id 1) falhou no teste de envio de 12/03/2024"]
    assert blocked_by_engine(db_url, TEST_DAY.date()) == BLOCKED_ON_THE_12TH
    assert ("Com esta falha, as 10 faturas da forma de cobrança Boleto com envio a partir de "
            "12/03/2024 passam a contar como sem aviso (condição 2).") in warnings_text(app)
    assert not any(b.key == "smtp_confirm_reach" for b in app.button)
    stage, test = sender_test_view.StageRow, sender_test_view.SenderTestRow
    stages = frame(app, stage.STAGE, stage.ELAPSED)
    assert stages[stage.RESULT].tolist() == ["✅", "❌"]
    assert headers(app, stage.STAGE, stage.ELAPSED) == [
        "Etapa", "Resultado", "Tempo", "Código", "Resposta do servidor"]
    history = frame(app, test.WHEN, test.RESULT)
    assert history[test.RESULT].iloc[0].startswith("❌")
    assert condition_2_labels(app) == ["conta a partir de 12/03/2024"]
    assert headers(app, test.WHEN, test.RESULT) == [
        "Quando", "Remetente", "Servidor", "Destinatário", "Resultado", "Condição 2",
        "Etapa com falha", "Mensagem"]
    # The typed password is gone from the widget and never shown.
    assert app.text_input(key="smtp_password").value == ""
    assert "segredo-do-smtp" not in texts(app)
    assert "segredo-do-smtp" not in " ".join(str(c.value) for c in app.code)


def test_a_reach_failure_asks_for_confirmation_before_it_counts(
        app: AppTest, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_smtp(monkeypatch, "connect")
    send_test(app)
    # Recorded, shown, but not counting: no alert for sender 1 yet.
    assert principal_alerts(app) == []
    assert condition_2_labels(app) == ["não conta: falha de conexão não confirmada"]
    assert any(m.value == "**Este erro reflete o remetente do ERP?**" for m in app.markdown)
    before = blocked_by_engine(db_url, None)
    after = blocked_by_engine(db_url, TEST_DAY.date())
    assert (before, after) == (0, BLOCKED_ON_THE_12TH)
    assert ("Se confirmar, as 10 faturas da forma de cobrança Boleto com envio a partir de "
            "12/03/2024 passam a contar como sem aviso (condição 2).") in warnings_text(app)

    app.button(key="smtp_confirm_reach").click().run()
    no_exception(app)
    assert principal_alerts(app) == [
        "O remetente de e-mail «Principal» (id 1) falhou no teste de envio de 12/03/2024"]
    alert = next(e for e in app.error if "Principal" in e.proto.title)
    assert "Boleto (10 faturas)" in plain(alert.value)
    assert condition_2_labels(app) == [
        "conta a partir de 12/03/2024 (falha de conexão confirmada)"]
    assert not any(b.key == "smtp_confirm_reach" for b in app.button)
    assert ("Falha de conexão confirmada: ela conta para a condição 2 a partir de 12/03/2024."
            in warnings_text(app))


def test_a_reach_failure_not_confirmed_stays_out_of_condition_2(
        app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_smtp(monkeypatch, "connect")
    send_test(app)
    app.button(key="smtp_dismiss_reach").click().run()
    no_exception(app)
    assert not any(b.key == "smtp_confirm_reach" for b in app.button)
    assert principal_alerts(app) == []
    assert condition_2_labels(app) == ["não conta: falha de conexão não confirmada"]


def test_an_earlier_unconfirmed_reach_failure_is_asked_about(db_url: str) -> None:
    """A reach failure already in the history (e.g. recorded before this rule, migrated) is
    the chosen sender's latest test: the widget asks about it."""
    from carteiro.sender.history import StateStore

    result = failed_result("connect", "smtp.provedor.com.br", 587, "tls",
                           "cobranca@provedor.com.br", "a@b.com.br",
                           dt.datetime(2024, 3, 20, 15, 0, tzinfo=dt.UTC))
    StateStore().record_sender_test(result, source=db_url, sender_id=1)
    at = on_page(new_app().run(), "pages/settings.py")
    assert any(m.value == "**Este erro reflete o remetente do ERP?**" for m in at.markdown)
    # Only 2008 (due 20/03) has a send date on or after 20/03.
    assert ("Se confirmar, 1 fatura da forma de cobrança Boleto com envio a partir de "
            "20/03/2024 passa a contar como sem aviso (condição 2).") in warnings_text(at)
    assert blocked_by_engine(db_url, dt.date(2024, 3, 20)) == 1


def test_sender_test_by_hand_against_a_real_smtp_server(app: AppTest) -> None:
    from tests.smtp_server import smtp_server

    on_page(app, "pages/settings.py")
    app.radio(key="smtp_mode").set_value("manual").run()
    with smtp_server() as (controller, handler):
        app.text_input(key="smtp_host").set_value("127.0.0.1")
        app.number_input(key="smtp_port").set_value(controller.port)
        app.selectbox(key="smtp_security").set_value("nenhuma")
        app.text_input(key="smtp_from").set_value("cobranca@provedor.com.br")
        app.text_input(key="smtp_to").set_value("suporte@provedor.com.br").run()
        app.button(key="smtp_send").click().run()
    no_exception(app)
    assert [r.rcpt_tos for r in handler.received] == [["suporte@provedor.com.br"]]
    assert any(plain(m.proto.title).startswith("Teste enviado por 127.0.0.1")
               for m in app.success)
    stage, test = sender_test_view.StageRow, sender_test_view.SenderTestRow
    stages = frame(app, stage.STAGE, stage.ELAPSED)
    assert set(stages[stage.RESULT]) == {"✅"}
    assert all(t.endswith(" ms") for t in stages[stage.ELAPSED])
    assert app.expander[-1].label.startswith("Transcrição")
    history = frame(app, test.WHEN, test.RESULT)
    assert history[test.SENDER].tolist() == ["(digitado à mão)"]


def test_sender_password_from_secrets_is_not_asked(db_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    at = on_page(new_app(secrets={"senders": {"1": {"password": "do-cofre"}}}).run(),
                 "pages/settings.py")
    labels = {t.key: t for t in at.text_input}
    assert "smtp_password" not in labels
    assert labels["smtp_stored_password"].disabled
    assert labels["smtp_stored_password"].value != "do-cofre"


def test_data_page_lists_problems(write_db: Callable[..., str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    erp = mixed_erp()
    erp.add("fatura", id_fatura=3000, id_cliente=777, id_cliente_servico=None,
            id_forma_cobranca=1, data_vencimento="2024-03-15", valor=10, status="estranho")
    monkeypatch.setenv("CARTEIRO_DB_URL", write_db(erp))
    at = on_page(new_app().run(), "pages/data.py")
    problem = data_view.ProblemRow
    summary = frame(at, problem.COUNT)
    assert "Valor desconhecido" in set(summary[problem.KIND])
    assert headers(at, problem.COUNT) == ["Problema", "Tabela", "Ocorrências"]
    at.multiselect(key="data_kinds").set_value(["Valor desconhecido"]).run()
    problems = frame(at, problem.DETAIL)
    assert set(problems[problem.KIND]) == {"Valor desconhecido"}
    assert headers(at, problem.DETAIL) == ["Problema", "Tabela", "Id", "Detalhe"]
    assert at.query_params["tipo"] == "Valor desconhecido"
    link = linked_app({**at.query_params, "tipo": ["Valor desconhecido", "Inexistente"]},
                      door="pages/dados.py")
    assert link.multiselect(key="data_kinds").value == ["Valor desconhecido"]
    assert "Tipo de problema: «Inexistente» não aparece" in plain(link.warning[0].value)
    assert {b.label for b in at.download_button} == {"Baixar CSV (1 problema)"}

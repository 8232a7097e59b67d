"""«Entregas» and the delivery part of «Diagnóstico», driven by Streamlit's AppTest: on a small
ERP whose numbers are counted by hand below, and on a seeded demo database.

The hand fixture (March 2024, as of 2024-03-15; every invoice due 2024-03-10 unless said, so
its expected sends are 07/03, 10/03 and 13/03 — rules at -3, 0 and +3 days):

====  =======  =========================================  ========================
cust  invoice  log rows (date, accepted, message)          delivery
====  =======  =========================================  ========================
1     1001     07/03 ok                                   sent
2     1002     07/03 and 13/03 failed (User unknown; the  failed, recipient_unknown
               last one a hostile Markdown image)
3     1003     07/03 failed (552 Mailbox full)            failed, mailbox_full
4     1004     —                                          missing
5     1005     07/03 ok (but allows no e-mail now)        sent_while_ineligible
6     1006     14/03 ×2 failed, address ``=HYPERLINK(…)`` not_expected (no e-mail allowed)
7     1007     — (due 20/03: sends 17, 20, 23/03)          scheduled
====  =======  =========================================  ========================

So: due notices 4 (1001–1004), sent 1 (25,0%), failed 2, missing 1, sent while ineligible 1;
per day 07/03: 4 expected, 2 sent, 2 failed; 10/03: 4 expected, nothing in the log — a day
without sends, 4 notices; 13/03: 4 expected, 1 failed; 14/03: 0 expected, 2 failed; 17, 20
and 23/03: 1 expected each, not due yet. Addresses failing twice or more without an accepted
send: ``=hyperlink(…)@x.com`` (customer 6) and ``errado@exemplo.com`` (customer 2).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sqlite3
from collections.abc import Callable

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from carteiro import demo
from carteiro.delivery.run import run_delivery
from carteiro.erp.source import DataSource
from carteiro.period import Period
from pages import _url as url_state
from tests.delivery_helpers import log
from tests.erp_builder import Erp
from tests.test_app import (  # noqa: F401  (downloads: a fixture)
    download,
    downloads,
    linked_app,
    markdown_texts,
    new_app,
    no_exception,
    on_page,
    plain,
)

AS_OF = dt.date(2024, 3, 15)
HOSTILE = "![x](http://h/x.png) 550 5.1.1 <errado@exemplo.com>: user unknown"
FORMULA_ADDRESS = '=HYPERLINK("http://h")@x.com'
ENTREGAS = "pages/deliveries.py"


def hand_erp() -> Erp:
    erp = Erp.baseline()
    for cid in range(2, 8):
        erp.customer(cid, due="2024-03-20" if cid == 7 else "2024-03-10")
    for cid in (5, 6):
        erp.set("cliente", "id_cliente", cid, permite_enviar_email=False)
    log(erp, 1001, "2024-03-07 08:00:00", True, address="cliente1@gmail.com", customer=1)
    log(erp, 1002, "2024-03-07 08:00:02", False, "550 5.1.1 User unknown",
        address="errado@exemplo.com", customer=2)
    log(erp, 1002, "2024-03-13 08:00:02", False, HOSTILE, address="errado@exemplo.com",
        customer=2)
    log(erp, 1003, "2024-03-07 08:00:04", False, "552 5.2.2 Mailbox full",
        address="cliente3@gmail.com", customer=3)
    log(erp, 1005, "2024-03-07 08:00:06", True, address="cliente5@gmail.com", customer=5)
    for second in (1, 2):
        log(erp, 1006, f"2024-03-14 09:00:0{second}", False, "Connection timed out",
            address=FORMULA_ADDRESS, customer=6)
    return erp


def app_on(url: str, monkeypatch: pytest.MonkeyPatch, period: Period, as_of: dt.date,
           page: str = ENTREGAS) -> AppTest:
    monkeypatch.setenv("CARTEIRO_DB_URL", url)
    at = new_app(period)
    at.session_state["deliv_as_of"] = as_of
    at.run()
    no_exception(at)
    return on_page(at, page)


@pytest.fixture
def hand(write_db: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return app_on(write_db(hand_erp()), monkeypatch, Period(dt.date(2024, 3, 1),
                                                          dt.date(2024, 3, 31)), AS_OF)


def table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    for element in at.dataframe:
        if all(c in element.value.columns for c in columns):
            return element.value
    raise AssertionError(f"no table with {columns}")


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def alert_titles(at: AppTest) -> list[str]:
    return [plain(e.proto.title) for e in at.error]


# ---- Entregas on the hand fixture -------------------------------------------------------------


def test_every_section_is_there(hand: AppTest) -> None:
    assert hand.title[0].value == "Entregas dos avisos de cobrança"
    assert [s.value for s in hand.subheader] == [
        "Previstos, enviados e com falha por dia", "Situação das faturas",
        "Falhas por tipo de erro", "Endereços que continuam falhando",
        "Faturas enviadas sem ser elegíveis"]
    assert len(hand.get("plotly_chart")) == 3


def test_headline_numbers_equal_the_hand_count(hand: AppTest) -> None:
    assert metric_values(hand) == {
        "Avisos devidos": "4", "Enviados": "25,0%", "Com falha": "2", "Não enviados": "1",
        "Enviados sem ser elegíveis": "1", "Dias sem envios": "1"}


def test_status_and_error_kind_tables_equal_the_hand_count(hand: AppTest) -> None:
    statuses = table_with(hand, "label", "invoices", "where")
    counts = dict(zip(statuses["label"], statuses["invoices"], strict=True))
    assert counts == {"Enviada": 1, "Agendada": 1, "Falhou": 2, "Não enviada": 1,
                      "Enviada sem ser elegível": 1, "Sem envio previsto": 1}
    tables = [e.value for e in hand.dataframe if "where" in e.value.columns]
    kinds = tables[1]
    failed = kinds[kinds["invoices"] > 0]
    assert dict(zip(failed["label"], failed["invoices"], strict=True)) == {
        "Destinatário inexistente": 1, "Caixa cheia": 1}
    assert len(kinds) == 8  # every kind, with what to do about it
    unknown = kinds[kinds["label"] == "Destinatário inexistente"].iloc[0]
    assert unknown["where"] == "Cliente > Cadastro > Contato > Ações"
    assert unknown["share"] == pytest.approx(0.5)


def test_days_table_equals_the_hand_count(hand: AppTest) -> None:
    days = table_with(hand, "day", "expected", "sent", "failed")
    got = {pd.Timestamp(d).strftime("%d/%m"): (e, s, f, n) for d, e, s, f, n in zip(
        days["day"], days["expected"], days["sent"], days["failed"], days["note"],
        strict=True)}
    assert got == {
        "07/03": (4, 2, 2, ""), "10/03": (4, 0, 0, "Dia sem envios"),
        "13/03": (4, 0, 1, ""), "14/03": (0, 0, 2, ""),
        "17/03": (1, 0, 0, "Agendado (ainda não chegou)"),
        "20/03": (1, 0, 0, "Agendado (ainda não chegou)"),
        "23/03": (1, 0, 0, "Agendado (ainda não chegou)")}
    named = [m.value for m in hand.markdown if "Dia sem envios" in m.value]
    assert named and "10/03/2024 (4 avisos previstos)" in named[0]


def test_failing_addresses_and_their_csv(downloads: dict, hand: AppTest) -> None:  # noqa: F811
    addresses = table_with(hand, "address", "failures", "erp_path")
    assert addresses["address"].tolist() == [FORMULA_ADDRESS.lower(), "errado@exemplo.com"]
    row = addresses.iloc[1]
    assert (int(row["customer_id"]), row["customer_name"], int(row["failures"])) == (
        2, "Cliente 2", 2)
    assert row["last_error_kind_label"] == "Destinatário inexistente"
    assert row["last_error_message"] == HOSTILE  # the ERP's text, as written, in a cell
    assert row["erp_path"] == "Cliente > Cadastro > Contato > Ações"
    assert addresses.iloc[0]["last_error_kind_label"] == "Falha de conexão"
    data = download(hand, "download_failing_addresses", downloads).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    assert rows[0][:3] == ["Endereço", "Cliente", "Nome do cliente"]
    assert rows[1][0] == "'" + FORMULA_ADDRESS.lower()  # a formula stays text
    assert rows[2][0] == "errado@exemplo.com" and rows[2][4] == "2"
    assert rows[2][6:8] == ["07/03/2024", "13/03/2024"]  # first and last failure


def test_sent_while_ineligible_names_its_primary_reason(hand: AppTest) -> None:
    sent = table_with(hand, "invoice_id", "primary_reason_label")
    assert sent["invoice_id"].tolist() == [1005]
    assert sent["primary_reason_label"].tolist() == ["8. Nenhum contato permite e-mail"]
    assert sent["menu_path"].tolist() == ["Cliente > Cadastro > Contato > Ações"]
    assert pd.Timestamp(sent["last_log_date"].iloc[0]).date() == dt.date(2024, 3, 7)


def test_a_day_without_sends_is_a_red_alert_on_every_page(hand: AppTest) -> None:
    title = "Nenhum envio de cobrança registrado em 10/03/2024"
    for page in (ENTREGAS, "pages/coverage.py", "pages/reasons.py", "pages/data.py"):
        on_page(hand, page)
        assert title in alert_titles(hand), page
        body = [plain(e.value) for e in hand.error if plain(e.proto.title) == title][0]
        assert "4 avisos de cobrança previstos e nenhuma tentativa no log" in body
        assert "Configuração > Geral > Rotinas" in body


def test_the_as_of_date_is_in_the_url_and_moves_the_reconciliation(hand: AppTest) -> None:
    assert hand.query_params["referencia"] == "2024-03-15"
    hand.date_input(key="deliv_as_of").set_value(dt.date(2024, 3, 9)).run()
    no_exception(hand)
    assert hand.query_params["referencia"] == "2024-03-09"
    # as known on 09/03 only 07/03 is due: nothing silent yet, 1003 and 1002 failed
    assert metric_values(hand)["Dias sem envios"] == "0"
    assert "Nenhum envio de cobrança registrado em 10/03/2024" not in alert_titles(hand)


def test_a_link_with_the_as_of_date_opens_it(write_db: Callable[..., str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTEIRO_DB_URL", write_db(hand_erp()))
    at = linked_app({"inicio": "2024-03-01", "referencia": "2024-03-12"},
                    door="pages/entregas.py")
    no_exception(at)
    assert at.title[0].value == "Entregas dos avisos de cobrança"
    assert at.date_input(key="deliv_as_of").value == dt.date(2024, 3, 12)
    assert metric_values(at)["Dias sem envios"] == "1"
    bad = linked_app({"inicio": "2024-03-01", "referencia": "ontem"}, door="pages/entregas.py")
    no_exception(bad)
    assert any("Data de referência do link inválida" in w.value for w in bad.warning)
    assert bad.query_params["referencia"] == url_state.provider_today().isoformat()


def test_hostile_erp_text_reaches_markdown_only_escaped(hand: AppTest) -> None:
    seen = markdown_texts(hand)
    on_page(hand, "pages/diagnosis.py")
    hand.text_input(key="diag_query").set_value("Cliente 2").run()
    if hand.selectbox:
        hand.selectbox(key="diag_pick").set_value(2).run()
    seen += markdown_texts(hand)
    for text in seen:
        assert not re.search(r"(?<!\\)(\]\(|<img|://)", text), text
    assert HOSTILE in table_with(hand, "delivery_label")["last_log_message"].tolist()


# ---- Diagnóstico ------------------------------------------------------------------------------


def diagnose(at: AppTest, customer: int) -> AppTest:
    on_page(at, "pages/diagnosis.py")
    at.text_input(key="diag_query").set_value(str(customer)).run()
    if at.selectbox:
        at.selectbox(key="diag_pick").set_value(customer).run()
    no_exception(at)
    return at


def test_diagnosis_shows_expected_dates_against_log_rows(hand: AppTest) -> None:
    diagnose(hand, 2)
    assert "Entregas: envios esperados e log do ERP" in [s.value for s in hand.subheader]
    invoice = table_with(hand, "delivery_label", "expected_dates").iloc[0]
    assert invoice["delivery_label"] == "Falhou"
    assert invoice["expected_dates"] == "07/03/2024, 10/03/2024, 13/03/2024"
    assert invoice["log_rows"] == 2
    assert invoice["error_kind_label"] == "Destinatário inexistente"
    matched = table_with(hand, "expected_label", "result")
    got = [(pd.Timestamp(d).strftime("%d/%m"), e, r) for d, e, r in zip(
        matched["day"], matched["expected_label"], matched["result"], strict=True)]
    assert got == [("07/03", "Sim", "Falhou"), ("10/03", "Sim", "Sem registro (dia sem envios)"),
                   ("13/03", "Sim", "Falhou")]


def test_diagnosis_of_a_scheduled_and_a_sent_invoice(hand: AppTest) -> None:
    diagnose(hand, 7)
    assert table_with(hand, "delivery_label")["delivery_label"].tolist() == ["Agendada"]
    matched = table_with(hand, "expected_label", "result")
    assert matched["result"].tolist() == ["Ainda não chegou"] * 3
    assert matched["expected_label"].tolist() == ["Sim, agendado"] * 3
    diagnose(hand, 1)
    matched = table_with(hand, "expected_label", "result")
    assert matched["result"].tolist() == ["Aceito pelo servidor",
                                          "Sem registro (dia sem envios)", "Sem registro"]


# ---- An unreadable send log ------------------------------------------------------------------


@pytest.mark.parametrize("damage", [
    "DROP TABLE email_enviado",
    "ALTER TABLE email_enviado RENAME COLUMN mensagem_erro TO erro",
])
def test_an_unreadable_log_is_one_pt_br_message(write_db: Callable[..., str],
                                                monkeypatch: pytest.MonkeyPatch,
                                                damage: str) -> None:
    url = write_db(hand_erp())
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute(damage)
    at = app_on(url, monkeypatch, Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31)), AS_OF)
    assert "Não foi possível ler o log de envios de e-mail" in alert_titles(at)
    assert not at.metric and not at.exception
    text = " ".join(plain(e.value) for e in at.error)
    assert "Traceback" not in text and "queries/send_log.sql" in text
    # the other pages still work (without the day alert) and Diagnóstico says it too
    on_page(at, "pages/coverage.py")
    assert at.metric
    diagnose(at, 2)
    assert "Não foi possível ler o log de envios de e-mail" in alert_titles(at)
    assert table_with(at, "origin", "email") is not None  # the rest of the page is there


# ---- The demo database -----------------------------------------------------------------------

DEMO_PERIOD = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31))
DEMO_AS_OF = dt.date(2024, 3, 31)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    demo.generate(url, customers=2_000, months=3, seed=7, end_month=dt.date(2024, 3, 1),
                  as_of=DEMO_AS_OF)
    return url


def test_demo_entregas(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app_on(demo_url, monkeypatch, DEMO_PERIOD, DEMO_AS_OF)
    delivery = run_delivery(DataSource(demo_url, "teste"), DEMO_PERIOD, DEMO_AS_OF)
    assert len(at.subheader) == 5 and len(at.get("plotly_chart")) == 3
    counts = delivery.status_counts()
    values = metric_values(at)
    assert values["Com falha"] == f"{int(counts['failed']):,}".replace(",", ".")
    assert values["Não enviados"] == f"{int(counts['missing']):,}".replace(",", ".")
    statuses = table_with(at, "label", "invoices", "where")
    assert statuses["invoices"].sum() == len(delivery.invoices)
    shown = dict(zip(statuses["label"], statuses["invoices"], strict=True))
    assert all(shown[label] > 0 for label in (  # nothing is scheduled on the month's last day
        "Enviada", "Falhou", "Não enviada", "Enviada sem ser elegível", "Sem envio previsto"))
    kinds = [e.value for e in at.dataframe if "where" in e.value.columns][1]
    assert kinds["invoices"].tolist() == delivery.error_kind_counts().tolist()
    assert (kinds["invoices"] > 0).sum() >= 6  # the demo's failures come in many kinds
    silent = delivery.days_without_sends()
    assert len(silent) >= 1
    titles = alert_titles(at)
    for day in silent["day"]:
        assert f"Nenhum envio de cobrança registrado em {pd.Timestamp(day):%d/%m/%Y}" in titles
    addresses = table_with(at, "address", "failures")
    assert len(addresses) == len(delivery.failing_addresses()) > 0
    assert (addresses["failures"] >= 2).all() and addresses["erp_path"].notna().all()
    on_page(at, "pages/coverage.py")
    assert sum(t.startswith("Nenhum envio de cobrança") for t in alert_titles(at)) == len(silent)


def test_coverage_shows_the_share_of_due_notices_sent(hand: AppTest) -> None:
    """Cobertura reads the same reconciliation, as of the session's as-of date (Entregas')."""
    on_page(hand, "pages/coverage.py")
    sent = [m for m in hand.metric if m.label == "Avisos devidos enviados"]
    assert [m.value for m in sent] == ["25,0%"]
    assert "1 de 4 avisos devidos" in sent[0].proto.help
    assert "antes de 15/03/2024" in sent[0].proto.help


def test_an_empty_period_says_so(write_db: Callable[..., str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    at = app_on(write_db(hand_erp()), monkeypatch,
                Period(dt.date(2023, 1, 1), dt.date(2023, 1, 31)), AS_OF)
    assert any("Nenhuma fatura não cancelada" in i.value for i in at.info)
    assert not at.metric and not alert_titles(at)


def test_more_than_three_days_without_sends_are_one_alert(write_db: Callable[..., str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The hand ERP without its log: 07, 10 and 13/03 (4 notices each) and 17/03 (invoice
    1007's first send, due as of 18/03) have no log row: 4 days, 13 notices, one alert."""
    erp = hand_erp().delete("email_enviado", tipo_documento="fatura")
    at = app_on(write_db(erp), monkeypatch, Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31)),
                dt.date(2024, 3, 18))
    days = [e for e in at.error if "Nenhum envio" in e.proto.title]
    assert [plain(e.proto.title) for e in days] == [
        "Nenhum envio de cobrança registrado em 4 dias"]
    assert plain(days[0].value).startswith(
        "07/03/2024 (4 avisos previstos); 10/03/2024 (4 avisos previstos); 13/03/2024 (4 avisos "
        "previstos); 17/03/2024 (1 aviso previsto): 13 avisos de cobrança previstos e "
        "nenhuma tentativa")


@pytest.mark.parametrize(("table", "row", "customer"), [
    ("table_failing_addresses", 1, 2),  # errado@exemplo.com
    ("table_sent_while_ineligible", 0, 5),
])
def test_selecting_a_row_opens_its_customer(hand: AppTest, table: str, row: int,
                                            customer: int) -> None:
    hand.session_state[table] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    hand.run()
    no_exception(hand)
    assert hand.title[0].value == "Diagnóstico de um cliente"
    assert hand.query_params["cliente"] == str(customer)
    assert "Entregas: envios esperados e log do ERP" in [s.value for s in hand.subheader]

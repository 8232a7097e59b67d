"""Sending capacity: notices per day and sender, time needed, daily caps, texts and figure.

The fixtures are small enough to count by hand. The baseline billing method «Boleto» has the
rules −3 / 0 / +3 days and the default sender «Principal» waits 2 s between e-mails.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carteiro.columns import Invoice, SendDate
from carteiro.erp.load import load_data
from carteiro.rules.engine import evaluate
from carteiro.rules.send_dates import send_dates
from carteiro.views.capacity import (
    DAILY_CAPS,
    PER_DAY_COLUMNS,
    TABLE_COLUMNS,
    Capacity,
    capacity_figure,
    capacity_summary,
    capacity_table,
    duration,
    notices_per_day,
)
from tests.conftest import MARCH
from tests.erp_builder import Erp

C = Capacity


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


@pytest.fixture
def three_due_on_the_10th() -> Erp:
    """Three eligible invoices due 10/03 (the third paid on the due date) and three that the
    routine never sends: one without a recipient allowing e-mail, one paid before its first
    send date, one cancelled. Customer 2 has two recipients; it still gets one notice a rule.

    Expected notices: 07/03 → 3, 10/03 → 3 (a payment on the day does not stop that day's
    send), 13/03 → 2.
    """
    erp = Erp.baseline()  # customer 1: due 10/03, open
    erp.customer(2)
    erp.add("cliente_contato", id_cliente_contato=1, id_cliente=2, nome="Financeiro",
            email="financeiro2@gmail.com", permite_enviar_email=True)
    erp.customer(3, status="pago", paid="2024-03-10")
    erp.customer(4, allows=False)  # not eligible: no_contact_allows_email
    erp.customer(5, status="pago", paid="2024-03-01")  # not eligible: invoice_outside_rules
    erp.customer(6, status="cancelado")  # not in scope
    return erp


def rows(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    return [tuple(row) for row in frame[list(columns)].itertuples(index=False)]


# notices_per_day ------------------------------------------------------------------------------
def test_notices_per_day_counts_by_hand(run, three_due_on_the_10th):
    audit = run(three_due_on_the_10th)
    eligible = audit.invoices.loc[audit.invoices[Invoice.ELIGIBLE], Invoice.ID].tolist()
    assert eligible == [1001, 1002, 1003]
    per_day = notices_per_day(audit)
    assert list(per_day.columns) == list(PER_DAY_COLUMNS)
    assert rows(per_day, C.SEND_DATE, C.SENDER_ID, C.NOTICES, C.IN_PERIOD, C.COMPLETE) == [
        (ts("2024-03-07"), 1, 3, True, True),
        (ts("2024-03-10"), 1, 3, True, True),
        (ts("2024-03-13"), 1, 2, True, True),
    ]
    assert per_day[C.SEND_DATE].dtype == "datetime64[s]"
    assert per_day[C.SENDER_ID].dtype == "Int64"
    assert per_day[C.NOTICES].dtype == "int64"


def test_send_dates_outside_the_period_are_kept_and_edges_are_partial(run):
    """Due 01/03 → sends 27/02, 01/03, 04/03; due 31/03 → 28/03, 31/03, 03/04.

    With offsets −3…+3, a day's count is complete only from 04/03 to 28/03: before that (and
    after) invoices due in February (April) also send, and they are not loaded."""
    erp = Erp.baseline().set("fatura", "id_fatura", 1001, data_vencimento="2024-03-01")
    erp.customer(2, due="2024-03-31")
    per_day = notices_per_day(run(erp))
    assert rows(per_day, C.SEND_DATE, C.NOTICES, C.IN_PERIOD, C.COMPLETE) == [
        (ts("2024-02-27"), 1, False, False),
        (ts("2024-03-01"), 1, True, False),
        (ts("2024-03-04"), 1, True, True),
        (ts("2024-03-28"), 1, True, True),
        (ts("2024-03-31"), 1, True, False),
        (ts("2024-04-03"), 1, False, False),
    ]


def test_completeness_follows_the_senders_own_rule_offsets(run):
    """Only «3 days before» (−3): 27/02 receives only invoices due 01/03, all loaded."""
    erp = Erp.baseline().set("fatura", "id_fatura", 1001, data_vencimento="2024-03-01")
    erp.set("forma_cobranca_regra_email", "id_regra_email", 2, ativo=False)
    erp.set("forma_cobranca_regra_email", "id_regra_email", 3, ativo=False)
    erp.customer(2, due="2024-03-02")
    per_day = notices_per_day(run(erp))
    assert rows(per_day, C.SEND_DATE, C.NOTICES, C.IN_PERIOD, C.COMPLETE) == [
        (ts("2024-02-27"), 1, False, True),
        (ts("2024-02-28"), 1, False, True),
    ]


def test_inactive_rules_send_nothing(run, three_due_on_the_10th):
    erp = three_due_on_the_10th.set("forma_cobranca_regra_email", "id_regra_email", 3,
                                    ativo=False)
    per_day = notices_per_day(run(erp))
    assert rows(per_day, C.SEND_DATE, C.NOTICES) == [(ts("2024-03-07"), 3),
                                                      (ts("2024-03-10"), 3)]


def two_senders() -> Erp:
    """Sender 2 «Secundário» (5 s) serves «Pix»; «Boleto» uses the default sender 1 (2 s).

    Boleto: customers 1, 2 due 10/03. Pix: customers 3 due 10/03, 4 due 07/03 (−3 → 04/03,
    0 → 07/03, +3 → 10/03)."""
    erp = Erp.baseline()
    erp.add("remetente_email", id_remetente_email=2, descricao="Secundário",
            host="smtp.gmail.com", porta=465, seguranca="ssl", usuario="x@gmail.com",
            email_origem="x@gmail.com", intervalo_segundos=5, padrao=False, ativo=True)
    erp.add("forma_cobranca", id_forma_cobranca=2, descricao="Pix", id_remetente_email=2,
            ativo=True)
    for rid, days in [(4, -3), (5, 0), (6, 3)]:
        erp.add("forma_cobranca_regra_email", id_regra_email=rid, id_forma_cobranca=2,
                dias=days, assunto="Pix", ativo=True)
    erp.customer(2)
    erp.customer(3, method=2)
    erp.customer(4, method=2, due="2024-03-07")
    return erp


def test_counts_are_per_sender(run):
    per_day = notices_per_day(run(two_senders()))
    assert rows(per_day, C.SEND_DATE, C.SENDER_ID, C.NOTICES) == [
        (ts("2024-03-04"), 2, 1),
        (ts("2024-03-07"), 1, 2),
        (ts("2024-03-07"), 2, 2),
        (ts("2024-03-10"), 1, 2),
        (ts("2024-03-10"), 2, 2),
        (ts("2024-03-13"), 1, 2),
        (ts("2024-03-13"), 2, 1),
    ]


def test_a_failed_sender_sends_nothing(run):
    """Condition 2 makes the Pix invoices ineligible, so sender 2 has no load."""
    per_day = notices_per_day(run(two_senders(), failed=frozenset({2})))
    assert set(per_day[C.SENDER_ID]) == {1}
    assert int(per_day[C.NOTICES].sum()) == 6


# capacity_table -------------------------------------------------------------------------------
def test_capacity_table_interval_and_cap(run, three_due_on_the_10th):
    table = capacity_table(run(three_due_on_the_10th), daily_cap=2)
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert rows(table, C.SEND_DATE, C.SENDER, C.NOTICES, C.INTERVAL_SECONDS,
                C.INTERVAL_UNKNOWN, C.SECONDS_NEEDED, C.ROUTINE_LIMIT, C.FITS_WINDOW,
                C.DAILY_CAP, C.OVER_CAP) == [
        (ts("2024-03-07"), "Principal", 3, 2.0, False, 6.0, 43200, True, 2, True),
        (ts("2024-03-10"), "Principal", 3, 2.0, False, 6.0, 43200, True, 2, True),
        (ts("2024-03-13"), "Principal", 2, 2.0, False, 4.0, 43200, True, 2, False),
    ]
    assert (table[C.WINDOW_HOURS] == 24.0).all()


def test_without_a_cap_nothing_is_over(run, three_due_on_the_10th):
    table = capacity_table(run(three_due_on_the_10th))
    assert table[C.DAILY_CAP].isna().all()
    assert not table[C.OVER_CAP].any()
    assert table[C.OVER_CAP].dtype == bool


def test_a_day_that_does_not_fit_in_the_window(run, three_due_on_the_10th):
    """10 h between e-mails: 2 fit in 24 h (72.000 s), 3 need 108.000 s > 86.400 s."""
    erp = three_due_on_the_10th.set("remetente_email", "id_remetente_email", 1,
                                    intervalo_segundos=36000)
    table = capacity_table(run(erp))
    assert rows(table, C.SEND_DATE, C.SECONDS_NEEDED, C.ROUTINE_LIMIT, C.FITS_WINDOW) == [
        (ts("2024-03-07"), 108000.0, 2, False),
        (ts("2024-03-10"), 108000.0, 2, False),
        (ts("2024-03-13"), 72000.0, 2, True),
    ]


def test_the_window_is_configurable(run, three_due_on_the_10th):
    """A routine that may only use 5 s... (6 s needed for 3 notices at 2 s; 4 s for 2)."""
    table = capacity_table(run(three_due_on_the_10th), routine_window_hours=5 / 3600)
    assert rows(table, C.NOTICES, C.ROUTINE_LIMIT, C.FITS_WINDOW) == [
        (3, 2, False), (3, 2, False), (2, 2, True),
    ]


def test_cap_is_per_sender_and_busiest_first(run):
    table = capacity_table(run(two_senders()), daily_cap=1)
    assert rows(table, C.SEND_DATE, C.SENDER_ID, C.NOTICES, C.INTERVAL_SECONDS,
                C.SECONDS_NEEDED, C.OVER_CAP) == [
        (ts("2024-03-07"), 1, 2, 2.0, 4.0, True),
        (ts("2024-03-07"), 2, 2, 5.0, 10.0, True),
        (ts("2024-03-10"), 1, 2, 2.0, 4.0, True),
        (ts("2024-03-10"), 2, 2, 5.0, 10.0, True),
        (ts("2024-03-13"), 1, 2, 2.0, 4.0, True),
        (ts("2024-03-04"), 2, 1, 5.0, 5.0, False),
        (ts("2024-03-13"), 2, 1, 5.0, 5.0, False),
    ]
    assert rows(table.drop_duplicates(C.SENDER_ID), C.SENDER_ID, C.ROUTINE_LIMIT) == [
        (1, 43200), (2, 17280),
    ]


@pytest.mark.parametrize("interval", [None, "dois", -1])
def test_unknown_interval_is_zero_and_flagged(run, three_due_on_the_10th, interval):
    erp = three_due_on_the_10th.set("remetente_email", "id_remetente_email", 1,
                                    intervalo_segundos=interval)
    table = capacity_table(run(erp), daily_cap=2)
    assert rows(table, C.NOTICES, C.INTERVAL_SECONDS, C.INTERVAL_UNKNOWN, C.SECONDS_NEEDED,
                C.FITS_WINDOW, C.OVER_CAP) == [
        (3, 0.0, True, 0.0, True, True),
        (3, 0.0, True, 0.0, True, True),
        (2, 0.0, True, 0.0, True, False),
    ]
    assert table[C.ROUTINE_LIMIT].isna().all()
    summary = capacity_summary(table)
    assert summary[1] == (
        "Dia mais carregado: 07/03/2024 com 3 avisos pelo remetente «Principal»; o tempo de "
        "envio é desconhecido (remetente sem intervalo entre envios)."
    )
    assert any("«intervalo_segundos» vazio ou inválido): «Principal»" in s for s in summary)


def test_zero_interval_is_known_and_unlimited(run, three_due_on_the_10th):
    erp = three_due_on_the_10th.set("remetente_email", "id_remetente_email", 1,
                                    intervalo_segundos=0)
    table = capacity_table(run(erp))
    assert not table[C.INTERVAL_UNKNOWN].any()
    assert table[C.ROUTINE_LIMIT].isna().all()
    assert table[C.FITS_WINDOW].all()


def test_zero_invoice_audit(run):
    erp = Erp.baseline().delete("fatura", id_fatura=1001)
    audit = run(erp)
    assert audit.invoices.empty
    per_day = notices_per_day(audit)
    table = capacity_table(audit, daily_cap=500)
    assert per_day.empty and table.empty
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert table[C.SEND_DATE].dtype == "datetime64[s]"
    assert table[C.NOTICES].dtype == "int64"
    assert capacity_summary(table) == [
        "Nenhum aviso de cobrança previsto: nenhuma fatura elegível do período tem envio "
        "agendado pelas regras de e-mail."
    ]
    figure = capacity_figure(table)
    assert isinstance(figure, go.Figure)
    assert len(figure.data) == 0
    assert figure.layout.annotations[0].text == "Nenhum aviso de cobrança previsto"


def test_no_eligible_invoice_means_no_load(run, three_due_on_the_10th):
    erp = three_due_on_the_10th.set("rotina", "id_rotina", 1, ativo=False)
    assert capacity_table(run(erp)).empty


@pytest.mark.parametrize("kwargs", [{"daily_cap": 0}, {"daily_cap": -5},
                                    {"routine_window_hours": 0}])
def test_bad_arguments(run, erp, kwargs):
    with pytest.raises(ValueError):
        capacity_table(run(erp), **kwargs)


def test_provider_presets():
    assert DAILY_CAPS["Gmail (conta comum)"] == 500
    assert DAILY_CAPS["Google Workspace"] == 2000
    assert all(isinstance(v, int) and v > 0 for v in DAILY_CAPS.values())


# Texts ----------------------------------------------------------------------------------------
def test_summary_sentences(run, three_due_on_the_10th):
    table = capacity_table(run(three_due_on_the_10th), daily_cap=2)
    assert capacity_summary(table) == [
        "As regras agendam 8 avisos para as faturas elegíveis do período, em 3 dias "
        "(de 07/03/2024 a 13/03/2024).",
        "Dia mais carregado: 07/03/2024 com 3 avisos pelo remetente «Principal»; leva 6 s com "
        "intervalo de 2 s.",
        "Todos os dias cabem na janela de 24 h da rotina.",
        "2 dias passam do limite diário de 2 e-mails do provedor: 07/03/2024 (3) e 10/03/2024 "
        "(3). Ao atingir o limite, o provedor bloqueia novos envios por até 24 h.",
    ]


def test_summary_when_the_window_and_cap_are_fine(run, three_due_on_the_10th):
    erp = three_due_on_the_10th.set("remetente_email", "id_remetente_email", 1,
                                    intervalo_segundos=36000)
    summary = capacity_summary(capacity_table(run(erp), daily_cap=500))
    assert summary[1:] == [
        "Dia mais carregado: 07/03/2024 com 3 avisos pelo remetente «Principal»; leva 30 h com "
        "intervalo de 36.000 s.",
        "Em 2 dias a rotina não consegue enviar todos os avisos em 24 h; o pior é 07/03/2024, "
        "que precisa de 30 h pelo remetente «Principal» (cabem 2 avisos com intervalo de "
        "36.000 s).",
        "Nenhum dia passa do limite diário de 500 e-mails do provedor (maior volume: 3).",
    ]


def test_summary_names_senders_over_the_cap_and_the_edges(run):
    erp = two_senders()
    erp.customer(5, due="2024-03-01")  # sends 27/02, 01/03, 04/03 through sender 1
    summary = capacity_summary(capacity_table(run(erp), daily_cap=1))
    assert summary[3] == (
        "3 dias passam do limite diário de 1 e-mail do provedor: 07/03/2024 (2, «Principal»), "
        "07/03/2024 (2, «Secundário»), 10/03/2024 (2, «Principal»), 10/03/2024 "
        "(2, «Secundário») e 13/03/2024 (2, «Principal»). Ao atingir o limite, o provedor "
        "bloqueia novos envios por até 24 h."
    )
    assert summary[4:] == [
        "Fora do período analisado caem 1 aviso (regras antes ou depois do vencimento); "
        "entram na conta porque as faturas são do período.",
        "2 dias têm contagem parcial (barras claras): também recebem avisos de faturas que "
        "vencem fora do período, que não entram nesta conta. Analise o período vizinho para "
        "ver o volume completo.",
    ]


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 s"), (6, "6 s"), (59.4, "59 s"), (60, "1 min"), (2468, "41 min"),
    (3570, "1 h"), (3600, "1 h"), (6710, "1 h 52 min"), (93900, "26 h 5 min"),
    (86400 * 50, "1.200 h"),
])
def test_duration(seconds, text):
    assert duration(seconds) == text


# Figure ---------------------------------------------------------------------------------------
def test_figure_bars_and_lines(run, three_due_on_the_10th):
    erp = three_due_on_the_10th.set("remetente_email", "id_remetente_email", 1,
                                    intervalo_segundos=36000)
    figure = capacity_figure(capacity_table(run(erp), daily_cap=2))
    assert isinstance(figure, go.Figure)
    (bars,) = figure.data
    assert bars.type == "bar"
    assert bars.name == "Principal (id 1)"
    assert [pd.Timestamp(x) for x in bars.x] == [ts("2024-03-07"), ts("2024-03-10"),
                                                 ts("2024-03-13")]
    assert list(bars.y) == [3, 3, 2]
    assert [row[0] for row in bars.customdata] == ["07/03/2024", "10/03/2024", "13/03/2024"]
    assert figure.layout.xaxis.tickformat == "%d/%m"
    assert figure.layout.xaxis.title.text == "Dia de envio"
    assert figure.layout.yaxis.title.text == "Avisos (e-mails)"
    assert figure.layout.separators == ",."
    lines = [(shape.y0, shape.line.dash) for shape in figure.layout.shapes]
    assert lines == [(2, "dash"), (2, "dot")]  # cap 2; routine: 86.400 s ÷ 36.000 s = 2
    texts = [a.text for a in figure.layout.annotations]
    assert "Limite do provedor: 2 por dia" in texts
    assert "Limite da rotina em 24 h (intervalo de 36.000 s): 2" in texts


def test_figure_notes_a_routine_limit_far_above_the_bars(run, three_due_on_the_10th):
    figure = capacity_figure(capacity_table(run(three_due_on_the_10th)))
    assert len(figure.layout.shapes) == 0
    (note,) = figure.layout.annotations
    assert note.text == "Limite da rotina em 24 h (intervalo de 2 s): 43.200 (fora da escala)"


def test_figure_partial_days_are_lighter_and_one_trace_per_sender(run):
    erp = two_senders()
    erp.customer(5, due="2024-03-01")
    figure = capacity_figure(capacity_table(run(erp)))
    assert [trace.name for trace in figure.data] == ["Principal (id 1)", "Secundário (id 2)"]
    principal = figure.data[0]
    partial = [pd.Timestamp(x) for x, o in zip(principal.x, principal.marker.opacity,
                                               strict=True) if o < 1]
    assert partial == [ts("2024-02-27"), ts("2024-03-01")]


# Against the engine and an independent count --------------------------------------------------
def test_totals_match_the_engine_send_dates(run, three_due_on_the_10th):
    audit = run(three_due_on_the_10th)
    dates = send_dates(audit)
    fired = dates[dates[SendDate.FIRES] & dates[Invoice.ELIGIBLE]]
    assert int(notices_per_day(audit)[C.NOTICES].sum()) == len(fired) == 8


def test_totals_by_hand(run, three_due_on_the_10th):
    """The fixture's docstring worked out by hand (rules -3, 0, +3; all through sender 1):
    customers 1 and 2 open → 07, 10, 13; customer 3 paid on 10/03 → 07 and 10 (open on the
    day it is paid), not 13; customers 4, 5 and 6 get nothing."""
    per_day = notices_per_day(run(three_due_on_the_10th))
    assert rows(per_day, "send_date", "sender_id", C.NOTICES) == [
        (ts("2024-03-07"), 1, 3), (ts("2024-03-10"), 1, 3), (ts("2024-03-13"), 1, 2)]


offsets_st = st.sets(st.integers(-5, 5), min_size=1, max_size=3)
invoice_st = st.tuples(st.integers(1, 31), st.one_of(st.none(), st.integers(-8, 8)))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offsets=offsets_st, invoices=st.lists(invoice_st, max_size=6))
def test_counts_match_a_count_by_hand(offsets, invoices):
    """For random rule offsets and invoices (due day, payment relative to it or none), the
    notices per day equal a plain count: each offset fires while the invoice is open."""
    erp = Erp.baseline().delete("fatura", id_fatura=1001)
    erp.delete("forma_cobranca_regra_email", id_forma_cobranca=1)
    for rid, days in enumerate(sorted(offsets), start=1):
        erp.add("forma_cobranca_regra_email", id_regra_email=rid, id_forma_cobranca=1,
                dias=days, assunto="x", ativo=True)
    expected: Counter[dt.date] = Counter()
    for cid, (day, paid_after) in enumerate(invoices, start=2):
        due = dt.date(2024, 3, day)
        paid = None if paid_after is None else due + dt.timedelta(days=paid_after)
        erp.customer(cid, due=due.isoformat(), paid=paid and paid.isoformat(),
                     status="pago" if paid else "aberto")
        for days in offsets:
            send = due + dt.timedelta(days=days)
            if paid is None or paid >= send:
                expected[send] += 1
    with tempfile.TemporaryDirectory() as folder:
        url = erp.write_sqlite(Path(folder) / "erp.sqlite")
        audit = evaluate(load_data(url, MARCH), MARCH)
    per_day = notices_per_day(audit)
    got = {d.date(): int(n) for d, n in zip(per_day[C.SEND_DATE], per_day[C.NOTICES],
                                            strict=True)}
    assert got == dict(expected)

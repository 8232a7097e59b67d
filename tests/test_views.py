"""carteiro.views: the dashboard's numbers, filters, search and diagnosis, checked against
the engine on a fixture ERP where each customer fails a known set of conditions."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carteiro.columns import CustomerAudit, Invoice
from carteiro.rules.catalogue import REASON_CODES
from carteiro.rules.engine import Audit
from carteiro.sender.settings import sender_password, sender_settings
from carteiro.sender.smtp import Stage, TlsInfo
from carteiro.views import coverage as coverage_view
from carteiro.views import data as data_view
from carteiro.views import diagnosis as diagnosis_view
from carteiro.views import fixes as fixes_view
from carteiro.views import labels as labels_view
from carteiro.views import non_recipients as non_recipients_view
from carteiro.views import reasons as reasons_view
from carteiro.views import sender_test as sender_test_view
from carteiro.views import settings as settings_view
from carteiro.views import tables as tables_view
from tests.erp_builder import Erp

HYPERLINK_NAME = '=HYPERLINK("http://evil.example/x","clique")'

# customer id → the conditions it fails in March 2024 (empty: covered).
EXPECTED_REASONS: dict[int, tuple[str, ...]] = {
    1: (),
    2: ("no_valid_email",),
    3: ("no_contact_allows_email",),
    4: ("service_status_excluded",),
    5: ("service_blocks_email",),
    6: ("method_without_rules",),
    7: ("invoice_outside_rules",),
    8: ("service_missing",),  # partial: one invoice without service
    9: ("no_valid_email",),
    10: ("sender_unavailable",),
    11: ("service_status_excluded", "no_contact_allows_email"),
    12: ("service_missing",),  # its only invoice has no service: 6 and 7 not evaluated
}


def mixed_erp() -> Erp:
    """Customers 1–12 of :data:`EXPECTED_REASONS`: one healthy, the others failing each
    condition but the global ones (1 and 2 are per method here: customer 10's method uses an
    inactive sender)."""
    erp = Erp.baseline()
    erp.add("cliente_contato", id_cliente_contato=501, id_cliente=1, nome="Financeiro",
            email="financeiro@empresa-um.com.br", permite_enviar_email=True)
    erp.customer(2, email=None, city="Lavras")
    erp.customer(3, allows=False, city="Lavras")
    erp.customer(4, service_status=3, city="Varginha")
    erp.customer(5, notice="somente_sms", city="Varginha")
    erp.customer(6, method=None, city="Alfenas")
    erp.customer(7, status="pago", paid="2024-03-01", city="Alfenas")
    erp.customer(8, city="LAVRAS", amount=150.0)
    erp.add("fatura", id_fatura=2008, id_cliente=8, id_cliente_servico=None,
            id_forma_cobranca=1, data_vencimento="2024-03-20", valor=80.0, status="aberto")
    erp.customer(9, email="sem email", name=HYPERLINK_NAME, city="São Paulo")
    erp.add("remetente_email", id_remetente_email=2, descricao="Gmail antigo",
            host="smtp.gmail.com", porta=587, seguranca="tls", usuario="antigo@gmail.com",
            email_origem="antigo@gmail.com", intervalo_segundos=5, padrao=False, ativo=False)
    erp.add("forma_cobranca", id_forma_cobranca=2, descricao="Carnê", id_remetente_email=2,
            ativo=True)
    erp.add("forma_cobranca_regra_email", id_regra_email=10, id_forma_cobranca=2, dias=-5,
            assunto="Carnê", ativo=True)
    erp.customer(10, method=2, city="Varginha", name="Maria José da Conceição")
    erp.customer(11, service_status=4, allows=False, city=None)
    erp.customer(12, city="Alfenas")
    erp.set("fatura", "id_fatura", 1012, id_cliente_servico=None)
    return erp


@pytest.fixture
def audit(run: Callable[..., Audit]) -> Audit:
    return run(mixed_erp())


@pytest.fixture
def support(audit: Audit) -> non_recipients_view.SupportData:
    return non_recipients_view.support_data(audit)


def ids(frame: pd.DataFrame) -> set[int]:
    return {int(i) for i in frame[non_recipients_view.Cust.ID]}


def failing_customers(audit: Audit, code: str) -> set[int]:
    customers = audit.customers
    bit = labels_view.reason_bit(code)
    hit = (customers[CustomerAudit.REASON_MASK].to_numpy(dtype=int) & bit) != 0
    return {int(i) for i in customers.loc[hit, CustomerAudit.ID]}


def test_fixture_fails_what_it_says(audit: Audit) -> None:
    got = {int(row[CustomerAudit.ID]): labels_view.mask_codes(row[CustomerAudit.REASON_MASK])
           for row in audit.customers.to_dict("records")}
    assert got == EXPECTED_REASONS


# ---- Cobertura -------------------------------------------------------------------------------


def test_summary_equals_engine(audit: Audit) -> None:
    summary = coverage_view.coverage_summary(audit)
    status = audit.customers[CustomerAudit.STATUS].astype(str)
    assert summary.customers == len(audit.customers) == 12
    assert summary.covered == (status == "covered").sum() == 1
    assert summary.partial == (status == "partial").sum() == 1
    assert summary.not_covered == (status == "not_covered").sum() == 10
    assert summary.invoices == len(audit.invoices) == 13
    assert summary.eligible_invoices == int(audit.invoices[Invoice.ELIGIBLE].sum()) == 2
    expected_amount = audit.invoices.loc[
        ~audit.invoices[Invoice.ELIGIBLE] & audit.invoices[Invoice.UNPAID], Invoice.AMOUNT].sum()
    assert summary.amount_without_notice == pytest.approx(expected_amount)


def test_metrics_deltas_in_pt_br() -> None:
    now = coverage_view.CoverageSummary(1234, 1000, 34, 200, 1500, 1300, 1234.5)
    before = coverage_view.CoverageSummary(1200, 1010, 30, 160, 1400, 1300, 2000.0)
    metrics = {m.key: m for m in coverage_view.coverage_metrics(now, before)}
    assert metrics["customers"].value == "1.234"
    assert metrics["customers"].delta == "+34"
    assert metrics["covered"].delta == "-10"
    assert metrics["covered"].delta_color == "normal"
    assert metrics["not_covered"].delta_color == "inverse"
    assert metrics["eligible_invoices"].delta == "0"
    assert metrics["eligible_invoices"].delta_color == "off"
    assert metrics["amount_without_notice"].value == "R$ 1.234,50"
    assert metrics["amount_without_notice"].delta == "-R$ 765,50"
    assert "81,0%" in metrics["covered"].help


def test_metrics_without_previous_period_have_no_delta() -> None:
    now = coverage_view.CoverageSummary(1, 1, 0, 0, 1, 1, 0.0)
    empty = coverage_view.CoverageSummary(0, 0, 0, 0, 0, 0, 0.0)
    for previous in (None, empty):
        assert all(m.delta is None for m in coverage_view.coverage_metrics(now, previous))


def test_breakdowns_add_up(audit: Audit) -> None:
    breakdown = coverage_view.Breakdown
    for frame in (coverage_view.coverage_by_method(audit),
                  coverage_view.coverage_by_service_status(audit)):
        assert frame[breakdown.INVOICES].sum() == len(audit.invoices)
        assert frame[breakdown.ELIGIBLE].sum() == audit.invoices[Invoice.ELIGIBLE].sum()
        assert (frame[breakdown.ELIGIBLE] + frame[breakdown.NOT_ELIGIBLE]
                == frame[breakdown.INVOICES]).all()
    by_method = coverage_view.coverage_by_method(audit).set_index(breakdown.LABEL)
    assert by_method.loc[labels_view.NO_METHOD_LABEL, coverage_view.Breakdown.INVOICES] == 1
    assert by_method.loc["Carnê", coverage_view.Breakdown.ELIGIBLE] == 0
    by_status = coverage_view.coverage_by_service_status(audit).set_index(breakdown.LABEL)
    assert by_status.loc[labels_view.NO_SERVICE_LABEL, coverage_view.Breakdown.INVOICES] == 2
    assert by_status.loc["Cancelado", coverage_view.Breakdown.INVOICES] == 1
    assert by_status.loc["Inativo", coverage_view.Breakdown.INVOICES] == 1


def test_due_date_series_covers_every_day(audit: Audit) -> None:
    frame = coverage_view.coverage_by_due_date(audit)
    assert len(frame) == 31
    assert frame[coverage_view.Breakdown.DUE_DATE].iloc[0] == pd.Timestamp("2024-03-01")
    assert frame[coverage_view.Breakdown.INVOICES].sum() == len(audit.invoices)
    day = frame.set_index(coverage_view.Breakdown.DUE_DATE).loc[pd.Timestamp("2024-03-10")]
    assert day[coverage_view.Breakdown.INVOICES] == 12
    assert day[coverage_view.Breakdown.ELIGIBLE] == 2


# ---- Motivos ---------------------------------------------------------------------------------


def test_funnel_follows_the_contract(audit: Audit) -> None:
    frame = reasons_view.funnel(audit)
    remaining = frame[reasons_view.Funnel.REMAINING].tolist()
    assert remaining[0] == len(audit.invoices)
    assert remaining[-1] == int(audit.invoices[Invoice.ELIGIBLE].sum())
    assert remaining == sorted(remaining, reverse=True)
    assert frame[reasons_view.Funnel.CODE].tolist()[1:] == list(REASON_CODES)
    # Step k removes the invoices failing condition k and none before it.
    inv = audit.invoices
    alive = np.ones(len(inv), dtype=bool)
    for step, code in enumerate(REASON_CODES, start=1):
        alive &= ~inv[code].to_numpy(dtype=bool)
        assert remaining[step] == alive.sum()


def test_reason_table_matches_engine(audit: Audit) -> None:
    table = reasons_view.reason_table(audit)
    counts = audit.reason_counts()
    assert table[reasons_view.ReasonRow.CODE].tolist() == list(REASON_CODES)
    assert table[reasons_view.ReasonRow.CUSTOMERS].tolist() == counts["customers"].tolist()
    assert table[reasons_view.ReasonRow.INVOICES].tolist() == counts["invoices"].tolist()
    assert table.loc[table[reasons_view.ReasonRow.CODE] == "no_valid_email",
                     reasons_view.ReasonRow.CUSTOMERS].item() == 2


def test_combinations(audit: Audit) -> None:
    combos = reasons_view.combinations(audit, limit=None)
    assert combos[reasons_view.Combination.CUSTOMERS].sum() == 11
    pair = labels_view.reason_bit("service_status_excluded") | labels_view.reason_bit(
        "no_contact_allows_email")
    row = combos[combos[reasons_view.Combination.MASK] == pair].iloc[0]
    assert row[reasons_view.Combination.LABEL] == (
        "Status do serviço fora do envio + Nenhum contato permite e-mail")
    assert row[reasons_view.Combination.SIZE] == 2
    top = combos.iloc[0]
    assert top[reasons_view.Combination.CUSTOMERS] == 2  # no_valid_email, service_missing: 2 each
    assert list(combos[reasons_view.Combination.CUSTOMERS]) == sorted(
        combos[reasons_view.Combination.CUSTOMERS], reverse=True)


# ---- Não recebem -----------------------------------------------------------------------------


def test_support_table_holds_the_customers_without_full_coverage(
        audit: Audit, support: non_recipients_view.SupportData) -> None:
    not_full = audit.customers[audit.customers[CustomerAudit.STATUS] != "covered"]
    assert ids(support.table) == {int(i) for i in not_full[CustomerAudit.ID]}
    first = support.table.iloc[0]
    assert first[non_recipients_view.Cust.COVERAGE] == "Não coberto"
    assert support.table.iloc[-1][non_recipients_view.Cust.COVERAGE] == "Parcial"
    row = support.table.set_index(non_recipients_view.Cust.ID).loc[11]
    assert row[non_recipients_view.Cust.REASONS] == (
        "Status do serviço fora do envio · Nenhum contato permite e-mail")
    assert row[non_recipients_view.Cust.PRIMARY] == "Status do serviço fora do envio"
    assert row[non_recipients_view.Cust.STATUSES] == "Inativo"


@pytest.mark.parametrize("code", [c for c in REASON_CODES if c not in (
    "no_email_routine",)])
def test_reason_filter_equals_engine(audit: Audit, support: non_recipients_view.SupportData,
                                     code: str) -> None:
    rows = non_recipients_view.apply_filters(support, non_recipients_view.Filters(reasons=(code,)))
    assert ids(rows) == failing_customers(audit, code)


def test_filters(support: non_recipients_view.SupportData) -> None:
    def only(**kwargs: object) -> set[int]:
        filters = non_recipients_view.Filters(**kwargs)  # type: ignore[arg-type]
        return ids(non_recipients_view.apply_filters(support, filters))

    assert only() == set(EXPECTED_REASONS) - {1}
    assert only(methods=("Carnê",)) == {10}
    assert only(methods=(labels_view.NO_METHOD_LABEL,)) == {6}
    assert only(statuses=("Cancelado", "Inativo")) == {4, 11}
    assert only(statuses=(labels_view.NO_SERVICE_LABEL,)) == {8, 12}
    assert only(cities=("Lavras",)) == {2, 3, 8}  # «LAVRAS» is the same city
    assert only(cities=(non_recipients_view.NO_CITY_LABEL,)) == {11}
    assert only(coverage=("partial",)) == {8}
    assert only(combination=labels_view.reason_bit("service_missing")) == {8, 12}
    assert only(reasons=("no_valid_email",), cities=("São Paulo",)) == {9}
    assert only(reasons=("no_valid_email", "sender_unavailable")) == {2, 9, 10}


def test_city_options_merge_spellings(support: non_recipients_view.SupportData) -> None:
    options = non_recipients_view.filter_options(support)
    assert options.cities == ("Alfenas", "Lavras", "São Paulo", "Varginha",
                              non_recipients_view.NO_CITY_LABEL)
    assert "no_email_routine" not in options.reasons
    assert options.coverage == ("partial", "not_covered")


@pytest.mark.parametrize(("query", "expected"), [
    ("cliente 3", {3}),
    ("CLIENTE 3", {3}),
    ("000.000.004-00", {4}),  # CPF as written
    ("00000000400", {4}),  # CPF without punctuation
    ("cliente5@gmail", {5}),  # the customer record's address
    ("conceicao", {10}),  # accents ignored
    ("maria jose", {10}),  # every word must match
    ("hyperlink", {9}),
    ("nao-existe", set()),
])
def test_search(support: non_recipients_view.SupportData, query: str, expected: set[int]) -> None:
    filters = non_recipients_view.Filters(query=query)
    assert ids(non_recipients_view.apply_filters(support, filters)) == expected


def test_search_reaches_contacts_and_customers_out_of_the_table(audit: Audit) -> None:
    index = non_recipients_view.customer_index(audit)
    found = non_recipients_view.search_customers(index, "financeiro@empresa-um")
    assert ids(found) == {1}
    assert bool(found.iloc[0][non_recipients_view.Cust.IN_SCOPE])
    assert non_recipients_view.search_customers(index, "   ").empty
    by_id = non_recipients_view.search_customers(index, "1")
    assert int(by_id.iloc[0][non_recipients_view.Cust.ID]) == 1  # the exact id comes first
    label = non_recipients_view.customer_choice_label(found.iloc[0].to_dict())
    assert label == "Cliente 1 — 000.000.001-00 — id 1"


@pytest.mark.parametrize(("query", "folded"), [
    ("²", "2"), ("①", "1"), ("1²", "12"), ("𝟙", "1"), ("٤٦", "٤٦")])
def test_search_of_digits_that_are_no_ascii_numbers(audit: Audit, query: str,
                                                    folded: str) -> None:
    """«²».isdigit() is True but int("²") fails: such a search is text (folded like any
    text, ² as 2), never a crash."""
    index = non_recipients_view.customer_index(audit)
    assert ids(non_recipients_view.search_customers(index, query)) == ids(
        non_recipients_view.search_customers(index, folded))


def test_first_due_date_without_notice(audit: Audit,
                                       support: non_recipients_view.SupportData) -> None:
    """Customer 8 (partial): of its invoices due 10/03 (with notice) and 20/03 (without),
    the first one without notice is 20/03; every other one has a single invoice."""
    first = support.table.set_index(non_recipients_view.Cust.ID)[
        non_recipients_view.Cust.FIRST_DUE]
    assert first[8] == pd.Timestamp("2024-03-20")
    assert (first.drop(8) == pd.Timestamp("2024-03-10")).all()


def test_export_frame_is_the_visible_columns(support: non_recipients_view.SupportData) -> None:
    rows = non_recipients_view.apply_filters(support,
                                             non_recipients_view.Filters(cities=("Varginha",)))
    out = non_recipients_view.export_frame(rows)
    assert tuple(out.columns) == non_recipients_view.SUPPORT_COLUMNS
    assert set(non_recipients_view.SUPPORT_HEADERS) == set(non_recipients_view.SUPPORT_COLUMNS)
    assert ids(out) == {4, 5, 10}


settings_ = settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings_
@given(data=st.data())
def test_filters_agree_with_a_row_by_row_reading(support: non_recipients_view.SupportData,
                                                 data: st.DataObject) -> None:
    options = non_recipients_view.filter_options(support)
    filters = non_recipients_view.Filters(
        query=data.draw(st.sampled_from(["", "cliente", "lavras", "1", "gmail"])),
        reasons=tuple(data.draw(st.lists(st.sampled_from(options.reasons), max_size=3))),
        methods=tuple(data.draw(st.lists(st.sampled_from(options.methods), max_size=2))),
        statuses=tuple(data.draw(st.lists(st.sampled_from(options.statuses), max_size=2))),
        cities=tuple(data.draw(st.lists(st.sampled_from(options.cities), max_size=2))),
        coverage=tuple(data.draw(st.lists(st.sampled_from(options.coverage), max_size=1))),
    )
    got = ids(non_recipients_view.apply_filters(support, filters))
    expected = set()
    methods: dict[int, set[str]] = {}
    statuses: dict[int, set[str]] = {}
    for pairs, into in ((support.methods, methods), (support.statuses, statuses)):
        for cid, label in zip(pairs[non_recipients_view.Pair.ID],
                              pairs[non_recipients_view.Pair.LABEL], strict=True):
            into.setdefault(int(cid), set()).add(str(label))
    cities = non_recipients_view.city_labels(support.table[non_recipients_view.Cust.CITY])
    for position, row in enumerate(support.table.to_dict("records")):
        cid = int(row[non_recipients_view.Cust.ID])
        codes = set(labels_view.mask_codes(row[non_recipients_view.Cust.MASK]))
        if filters.reasons and not codes & set(filters.reasons):
            continue
        if filters.methods and not methods[cid] & set(filters.methods):
            continue
        if filters.statuses and not statuses[cid] & set(filters.statuses):
            continue
        if filters.cities and cities.iloc[position] not in filters.cities:
            continue
        if filters.coverage and row[non_recipients_view.Cust.COVERAGE_CODE] not in filters.coverage:
            continue
        if filters.query and (labels_view.fold(filters.query)
                              not in row[non_recipients_view.Cust.SEARCH]):
            continue
        expected.add(cid)
    assert got == expected


# ---- Diagnóstico -----------------------------------------------------------------------------


@pytest.mark.parametrize("customer_id", sorted(EXPECTED_REASONS))
def test_diagnosis_lists_exactly_the_failing_conditions(audit: Audit, customer_id: int) -> None:
    d = diagnosis_view.diagnosis(audit, customer_id)
    assert d.failing == EXPECTED_REASONS[customer_id]
    assert len(d.checklist) == 9
    failing = d.checklist[d.checklist[diagnosis_view.Check.STATE] == diagnosis_view.STATE_FAIL]
    assert (failing[diagnosis_view.Check.ICON] == labels_view.ICON_FAIL).all()
    assert (failing[diagnosis_view.Check.MENU_PATH] != "").all()
    passing = d.checklist[d.checklist[diagnosis_view.Check.STATE] == diagnosis_view.STATE_OK]
    assert (passing[diagnosis_view.Check.MENU_PATH] == "").all()
    if customer_id == 11:
        detail = d.checklist.set_index(diagnosis_view.Check.CODE).loc["service_status_excluded",
                                                              diagnosis_view.Check.DETAIL]
        assert detail == "falha em 1 de 1 fatura: Status do serviço fora do envio"


def test_diagnosis_conditions_6_and_7_not_evaluated_without_service(audit: Audit) -> None:
    checklist = diagnosis_view.diagnosis(audit, 12).checklist
    states = checklist.set_index(diagnosis_view.Check.CODE)[diagnosis_view.Check.STATE]
    assert states["service_missing"] == diagnosis_view.STATE_FAIL
    assert states["service_status_excluded"] == diagnosis_view.STATE_NOT_EVALUATED
    assert states["service_blocks_email"] == diagnosis_view.STATE_NOT_EVALUATED
    partial = diagnosis_view.diagnosis(audit, 8).checklist.set_index(diagnosis_view.Check.CODE)
    assert (partial.loc["service_status_excluded", diagnosis_view.Check.STATE]
            == diagnosis_view.STATE_OK)
    assert "não avaliada" in partial.loc["service_status_excluded", diagnosis_view.Check.DETAIL]


def test_diagnosis_details(audit: Audit) -> None:
    d = diagnosis_view.diagnosis(audit, 8)
    assert d.coverage == "partial"
    assert d.in_scope and d.known
    assert d.city == "LAVRAS"
    assert len(d.invoices) == 2
    assert set(d.invoices[diagnosis_view.InvoiceView.ELIGIBLE]) == {labels_view.ICON_OK,
                                                                     labels_view.ICON_FAIL}
    assert set(d.invoices[diagnosis_view.InvoiceView.STATUS]) == {"Em aberto"}
    # 3 active rules × 2 invoices, sorted by invoice then date.
    assert len(d.send_dates) == 6
    first = d.send_dates.iloc[0]
    assert first[diagnosis_view.SendView.SEND_DATE] == pd.Timestamp("2024-03-07")
    assert first[diagnosis_view.SendView.WHEN] == "3 dias antes do vencimento"
    assert d.recipients[diagnosis_view.RecipientView.ORIGIN].tolist() == ["Cadastro do cliente"]
    assert d.amount_without_notice == pytest.approx(80.0)


def test_diagnosis_of_a_customer_without_invoices(run: Callable[..., Audit]) -> None:
    erp = mixed_erp()
    erp.add("cliente", id_cliente=99, nome_razaosocial="Sem Fatura", cpf_cnpj="1",
            cidade="X", email_principal="x@y.com", permite_enviar_email=True, ativo=False)
    d = diagnosis_view.diagnosis(run(erp), 99)
    assert not d.in_scope and d.known
    assert d.checklist.empty and d.failing == ()
    assert d.active is False
    assert d.recipients[diagnosis_view.RecipientView.RECEIVES].tolist() == [labels_view.ICON_OK]


def test_email_log_view() -> None:
    log = pd.DataFrame({
        "log_id": [1, 2, 3],
        "customer_id": [8, 8, 8],
        "invoice_id": [1008, 1008, None],
        "address": ["a@b.com", "a@b.com", "c@d.com"],
        "document_type": ["fatura", "fatura", "nota"],
        "sent_at": ["2024-03-07 08:00:01", "2024-03-10T08:00:00", "lixo"],
        "accepted": ["S", 0, None],
        "error_message": [None, "550 mailbox unavailable", None],
    })
    view = diagnosis_view.email_log_view(log, limit=2)
    assert len(view) == 2
    assert view[diagnosis_view.LogView.SENT_AT].iloc[0] == pd.Timestamp("2024-03-10 08:00:00")
    assert view[diagnosis_view.LogView.ACCEPTED].tolist() == ["Não", "Sim"]


def test_email_log_reads_accepted_like_every_other_flag() -> None:
    """The log's ``accepted`` flag follows the ERP's yes/no spellings (erp.normalise): the
    contract's words only (``v`` is not one of them)."""
    spellings = ["Sim", " NÃO ", "verdadeiro", "falso", "t", True, 1, 0.0, "talvez", None]
    log = pd.DataFrame({
        "invoice_id": [1] * len(spellings), "address": ["a@b.com"] * len(spellings),
        "document_type": ["fatura"] * len(spellings), "error_message": [None] * len(spellings),
        "sent_at": pd.date_range("2024-03-01", periods=len(spellings), freq="-1D"),
        "accepted": pd.Series(spellings, dtype=object),
    })
    view = diagnosis_view.email_log_view(log, limit=len(spellings))
    assert view[diagnosis_view.LogView.ACCEPTED].tolist() == [
        "Sim", "Não", "Sim", "Não", "Sim", "Sim", "Sim", "Não", "—", "—"]


# ---- Configuração and Dados ------------------------------------------------------------------


def test_configuration_views(audit: Audit) -> None:
    method = settings_view.MethodRow
    methods = settings_view.methods_view(audit).set_index(method.ID)
    assert methods.loc[1, method.ACTIVE_RULES] == 3
    assert methods.loc[1, method.RULE_DAYS] == "-3, 0, +3"
    assert methods.loc[2, method.SENDER_AVAILABLE] == labels_view.ICON_FAIL
    assert methods.loc[1, method.SEND_STATUSES].startswith("Padrão")
    orphans = settings_view.methods_without_rules(audit)
    assert orphans[coverage_view.Breakdown.LABEL].tolist() == [labels_view.NO_METHOD_LABEL]
    assert orphans[coverage_view.Breakdown.INVOICES].tolist() == [1]
    sender = settings_view.SenderRow
    senders = settings_view.senders_view(audit).set_index(sender.ID)
    assert senders.loc[2, sender.ACTIVE] == "Não" and senders.loc[2, sender.USED_BY] == "Carnê"
    routines = settings_view.routines_view(audit)
    assert routines[settings_view.RoutineRow.SENDS_BILLING].tolist() == ["Sim", "Não"]
    assert settings_view.rules_view(audit)[settings_view.RuleRow.WHEN].tolist()[:3] == [
        "3 dias antes do vencimento", "no dia do vencimento", "3 dias depois do vencimento"]


@pytest.mark.parametrize(("build", "headers"), [
    (settings_view.routines_view, settings_view.ROUTINE_HEADERS),
    (settings_view.senders_view, settings_view.SENDER_HEADERS),
    (settings_view.methods_view, settings_view.METHOD_HEADERS),
    (settings_view.rules_view, settings_view.RULE_HEADERS),
    (settings_view.methods_without_rules, coverage_view.METHOD_BREAKDOWN_HEADERS),
    (coverage_view.coverage_by_method, coverage_view.METHOD_BREAKDOWN_HEADERS),
    (coverage_view.coverage_by_service_status, coverage_view.STATUS_BREAKDOWN_HEADERS),
    (coverage_view.coverage_by_due_date, coverage_view.BREAKDOWN_HEADERS),
    (data_view.problem_summary, data_view.PROBLEM_HEADERS),
    (data_view.problems_view, data_view.PROBLEM_HEADERS),
    (lambda a: diagnosis_view.diagnosis(a, 8).invoices, diagnosis_view.INVOICE_HEADERS),
    (lambda a: diagnosis_view.diagnosis(a, 8).send_dates, diagnosis_view.SEND_HEADERS),
    (lambda a: diagnosis_view.diagnosis(a, 8).recipients, diagnosis_view.RECIPIENT_HEADERS),
])
def test_every_shown_column_has_a_header(audit: Audit, build: Callable[[Audit], pd.DataFrame],
                                         headers: dict[str, str]) -> None:
    """A frame names its columns in its class; the page shows them with these headers."""
    assert set(build(audit).columns) <= set(headers)


def test_problem_views(run: Callable[..., Audit]) -> None:
    erp = mixed_erp()
    erp.add("fatura", id_fatura=3000, id_cliente=777, id_cliente_servico=None,
            id_forma_cobranca=1, data_vencimento="2024-03-15", valor=10, status="estranho")
    audit = run(erp)
    problem = data_view.ProblemRow
    summary = data_view.problem_summary(audit)
    assert summary[problem.COUNT].sum() == len(audit.problems) > 0
    assert "Valor desconhecido" in set(summary[problem.KIND])
    only = data_view.problems_view(audit, ["Valor desconhecido"])
    assert set(only[problem.KIND]) == {"Valor desconhecido"}
    assert "3000" in set(only[problem.ID])
    # The unknown customer is searchable and has a (partial) diagnosis.
    index = non_recipients_view.customer_index(audit)
    assert 777 in ids(index)
    assert not diagnosis_view.diagnosis(audit, 777).known


def test_sender_settings_and_password(audit: Audit) -> None:
    sender = sender_settings(audit.senders, 1)
    assert (sender.host, sender.port, sender.security) == ("smtp.provedor.com.br", 587, "tls")
    assert sender.username == sender.from_address == "cobranca@provedor.com.br"
    secrets = {"senders": {"1": {"password": "s3nha"}, "2": {}}}
    assert sender_password(secrets, 1) == "s3nha"
    assert sender_password(secrets, 2) is None
    assert sender_password(secrets, None) is None
    assert sender_password({}, 1) is None


def test_smtp_result_rows() -> None:
    stages = [Stage("connect", True, 12.4),
              Stage("auth", False, 1234.0, 535, "5.7.8 authentication failed")]
    rows = sender_test_view.smtp_stage_rows(stages)
    assert rows[sender_test_view.StageRow.RESULT].tolist() == [labels_view.ICON_OK,
                                                                labels_view.ICON_FAIL]
    assert rows[sender_test_view.StageRow.ELAPSED].tolist() == ["12 ms", "1.234 ms"]
    assert set(rows.columns) == set(sender_test_view.STAGE_HEADERS)
    tls = TlsInfo(protocol="TLSv1.3", cipher="TLS_AES_256_GCM_SHA384", subject="CN=smtp",
                  issuer="CN=CA", not_after="2027-01-31T12:00:00+00:00",
                  names=("smtp.provedor.com.br",), verified=True)
    tls_row = sender_test_view.TlsRow
    table = sender_test_view.tls_rows(tls).set_index(tls_row.FIELD)[tls_row.VALUE]
    assert table["Válido até"] == "31/01/2027"
    assert table["Certificado verificado"] == "Sim"
    assert sender_test_view.tls_rows(None).empty


def test_the_views_do_not_load_the_smtp_dialogue() -> None:
    """The sender-test tables name the SMTP types for the type checker only."""
    code = ("import sys, carteiro.views.settings, carteiro.views.sender_test; "
            "print(sorted(m for m in sys.modules if m.startswith('carteiro.sender.smtp')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parent.parent)
    assert done.stdout.strip() == "[]"


def test_sender_tests_view(audit: Audit) -> None:
    history = pd.DataFrame({
        "tested_at": pd.to_datetime(["2024-03-05T12:00:00Z"], utc=True),
        "source": ["x"], "sender_id": pd.array([2], dtype="Int64"), "host": ["smtp.gmail.com"],
        "port": [587], "security": ["tls"], "from_addr": ["a@b.com"], "recipient": ["c@d.com"],
        "success": [False], "failed_stage": ["auth"], "message": ["Senha recusada"],
        "speaks_from": [dt.date(2024, 3, 5)], "failure_kind": ["refused"],
        "reach_confirmed": [False], "counts": [True], "decides": [True],
    })
    col = sender_test_view.SenderTestRow
    view = sender_test_view.sender_tests_view(history, audit)
    assert view.iloc[0][col.WHEN] == "05/03/2024 09:00:00"  # America/Sao_Paulo
    assert view.iloc[0][col.CONDITION_2] == "conta a partir de 05/03/2024"
    assert view.iloc[0][col.SENDER] == "Gmail antigo (id 2)"
    assert view.iloc[0][col.SERVER] == "smtp.gmail.com:587 (tls)"
    assert view.iloc[0][col.RESULT].startswith(labels_view.ICON_FAIL)
    assert list(view.columns) == list(sender_test_view.SENDER_TEST_HEADERS)
    empty = sender_test_view.sender_tests_view(history.iloc[0:0], audit)
    assert list(empty.columns) == list(sender_test_view.SENDER_TEST_HEADERS)


# ---- Helpers ---------------------------------------------------------------------------------


def test_text_helpers() -> None:
    assert labels_view.fold("  São JOSÉ ") == "sao jose"
    assert labels_view.offset_label(-1) == "1 dia antes do vencimento"
    assert labels_view.offset_label(5) == "5 dias depois do vencimento"
    assert labels_view.signed_money(0) == "R$ 0,00"
    assert labels_view.customers_phrase(1) == "o cliente"
    assert labels_view.customers_phrase(1234) == "os 1.234 clientes"
    assert labels_view.combination_label(0) == ""
    assert labels_view.mask_codes(labels_view.reason_bit("no_valid_email")) == ("no_valid_email",)


def test_styler_formats_pt_br() -> None:
    frame = pd.DataFrame({"v": [1234.5], "n": [12345], "p": [0.125],
                          "d": [pd.Timestamp("2024-03-31")]})
    html = tables_view.pt_br_styler(frame, money=["v"], integers=["n"], percent=["p"],
                              dates=["d"]).to_html()
    for text in ("R$ 1.234,50", "12.345", "12,5%", "31/03/2024"):
        assert text in html


def test_empty_period(run: Callable[..., Audit]) -> None:
    from carteiro.period import Period

    audit = run(mixed_erp(), period=Period(dt.date(2030, 1, 1), dt.date(2030, 1, 31)))
    assert coverage_view.coverage_summary(audit).customers == 0
    assert reasons_view.funnel(audit)[reasons_view.Funnel.REMAINING].sum() == 0
    assert reasons_view.combinations(audit).empty
    support = non_recipients_view.support_data(audit)
    assert support.table.empty
    assert non_recipients_view.apply_filters(support, non_recipients_view.Filters(query="x")).empty
    assert coverage_view.coverage_by_method(audit).empty
    orphans = settings_view.methods_without_rules(audit)
    assert orphans.empty and list(orphans.columns) == list(settings_view.ORPHAN_COLUMNS)
    assert coverage_view.coverage_by_due_date(audit)[coverage_view.Breakdown.INVOICES].sum() == 0
    assert non_recipients_view.filter_options(support).reasons == ()


# ---- What to change, per failing condition ---------------------------------------------------


def fixes_of(run: Callable[..., Audit], erp: Erp, customer_id: int) -> dict[str, tuple[str, ...]]:
    audit = run(erp)
    selected = (audit.invoices[Invoice.CUSTOMER_ID] == customer_id).to_numpy(dtype=bool)
    return fixes_view.fixes(audit, customer_id, selected)


def test_fixes_name_the_object_and_its_current_value(run: Callable[..., Audit]) -> None:
    erp = mixed_erp()
    erp.add("cliente_contato", id_cliente_contato=88, id_cliente=3, nome="Maria",
            email="maria@empresa.com.br", permite_enviar_email=False)
    erp.add("forma_cobranca_status_envio", id_forma_cobranca=1, id_servico_status=1)
    audit = run(erp)
    got = {cid: fixes_view.fixes(audit, cid, (audit.invoices[Invoice.CUSTOMER_ID] == cid)
                                 .to_numpy(dtype=bool)) for cid in EXPECTED_REASONS}
    assert {cid: set(f) for cid, f in got.items()} == {
        cid: set(codes) for cid, codes in EXPECTED_REASONS.items()}
    assert got[2]["no_valid_email"] == ("Cadastro do cliente (id 2): sem e-mail",)
    assert got[3]["no_contact_allows_email"] == (
        "Cadastro do cliente (id 3): permite_enviar_email = não",
        "Contato Maria (id 88): permite_enviar_email = não")
    assert got[4]["service_status_excluded"] == (
        "Serviço 104 — FIBRA 300MB: status Cancelado (cancelado), fora dos «Status do Serviço "
        "para Envio» da forma de cobrança Boleto (Serviço Habilitado)",)
    assert got[5]["service_blocks_email"] == (
        "Serviço 105 — FIBRA 300MB: envio_cobranca = Somente SMS",)
    assert got[6]["method_without_rules"] == ("Fatura 1006: sem forma de cobrança",)
    assert got[7]["invoice_outside_rules"] == (
        "Fatura 1007 (vencimento 10/03/2024): paga em 01/03/2024, antes do primeiro envio "
        "(07/03/2024)",)
    assert got[8]["service_missing"] == ("Fatura 2008: sem serviço",)
    assert got[9]["no_valid_email"] == ("Cadastro do cliente (id 9): e-mail «sem email» inválido",)
    assert got[10]["sender_unavailable"] == ("Remetente 2 — Gmail antigo: ativo = não",)


@pytest.mark.parametrize(("change", "code", "expected"), [
    (lambda e: e.set("rotina", "id_rotina", 1, ativo=False), "no_email_routine",
     ("Rotina 1 (envio_email_cobranca, 08:00): ativo = não",)),
    (lambda e: e.delete("rotina", id_rotina=1), "no_email_routine",
     ("Rotinas: nenhuma rotina do tipo «envio_email_cobranca» cadastrada",)),
    (lambda e: e.set("fatura", "id_fatura", 1001, id_forma_cobranca=77), "method_without_rules",
     ("Fatura 1001: forma de cobrança 77 não existe",)),
    (lambda e: e.delete("forma_cobranca_regra_email", id_forma_cobranca=1),
     "method_without_rules", ("Forma de cobrança Boleto (id 1): nenhuma regra de e-mail ativa",)),
    (lambda e: e.set("fatura", "id_fatura", 1001, id_cliente_servico=999), "service_missing",
     ("Fatura 1001: serviço 999 não existe",)),
    (lambda e: e.set("fatura", "id_fatura", 1001, status="pago"), "invoice_outside_rules",
     ("Fatura 1001 (vencimento 10/03/2024): paga, sem data de pagamento (conta como paga antes "
      "de qualquer envio)",)),
    (lambda e: e.set("cliente_servico", "id_cliente_servico", 101, envio_cobranca=" Nenhum "),
     "service_blocks_email", ("Serviço 101 — FIBRA 300MB: envio_cobranca = Nenhum",)),
    (lambda e: e.set("forma_cobranca", "id_forma_cobranca", 1, id_remetente_email=9),
     "sender_unavailable", ("Forma de cobrança Boleto: remetente 9 não existe",)),
    (lambda e: e.set("remetente_email", "id_remetente_email", 1, ativo=False),
     "sender_unavailable", ("Forma de cobrança Boleto: nenhum remetente (não há remetente "
                            "ativo para ser o padrão)",)),
    (lambda e: e.delete("cliente", id_cliente=1), "no_contact_allows_email",
     ("O cliente não tem e-mail no cadastro nem contatos: cadastre um contato que permita "
      "e-mail de cobrança",)),
])
def test_fixes_of_each_kind(run: Callable[..., Audit], change: Callable[[Erp], object],
                            code: str, expected: tuple[str, ...]) -> None:
    erp = Erp.baseline()
    change(erp)
    assert fixes_of(run, erp, 1)[code] == expected


def test_fixes_of_a_failed_sender_test(run: Callable[..., Audit]) -> None:
    audit = run(Erp.baseline(), failed={1: dt.date(2024, 3, 1)})
    selected = (audit.invoices[Invoice.CUSTOMER_ID] == 1).to_numpy(dtype=bool)
    assert fixes_view.fixes(audit, 1, selected)["sender_unavailable"] == (
        "Remetente 1 — Principal: o último teste de envio que conta falhou em 01/03/2024",)


def test_tables_read_every_number_and_date_in_pt_br() -> None:
    """The pages' tables (Styler display values): «Intervalo (s)» showed 2.000000."""
    frame = pd.DataFrame({
        "interval": [2.0, 1.5], "notices": [1234, 7], "amount": [299.9, 0.0],
        "invoice": pd.array([120112, None], dtype="Int64"),
        "day": pd.to_datetime(["2024-03-10", None]), "ok": [True, False], "name": ["a", None],
    })
    shown = tables_view.pt_br_styler(frame, money=["amount"], ids=["invoice"]).to_string(
        delimiter=";").splitlines()
    assert shown[1:] == ["0;2;1.234;R$ 299,90;120112;10/03/2024;Sim;a",
                         "1;1,5;7;R$ 0,00;—;—;Não;—"]

"""«Simulação», driven by AppTest on small ERP databases: a correction picked on the page gives
the coverage of a real audit of a copy of the database corrected in SQL (written by hand
here, audited from scratch), the customers it lists as newly covered are the ones known by
hand, the export reads back, and the database file is never written."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from carteiro import formatting as fmt
from carteiro.columns import CustomerAudit
from carteiro.erp.load import load_data
from carteiro.plan.greedy import build_plan
from carteiro.plan.simulator import Simulator
from carteiro.rules.engine import Audit, evaluate
from carteiro.views import simulation as simulation_view
from tests.erp_builder import Erp
from tests.plan_oracle import apply_sql, copy_of, digest
from tests.test_app import (  # noqa: F401  (downloads: a fixture)
    MARCH,
    download,
    downloads,
    frame,
    new_app,
    no_exception,
)

PAGE = "pages/simulation.py"


def whatif_erp() -> Erp:
    """One small ERP where each correction the page offers covers customers known by hand:

    * 2–6: billing method 2 «Carnê», whose sender 2 is inactive;
    * 7–8: billing method 3 «Débito Automático», without rules;
    * 9: paid 7 days before its due date, on «Boleto» (first rule at −3);
    * 10: its service is «Cancelado» (not in «Boleto»'s default selection);
    * 11: its service has ``envio_cobranca = somente_sms``;
    * 12: no contact allows e-mail; 13: an invalid address;
    * 14: on «Carnê» (inactive sender) *and* ``envio_cobranca = nenhum``.
    """
    erp = Erp.baseline()
    erp.add("remetente_email", id_remetente_email=2, descricao="Remetente *Carnê*",
            host="smtp.x.com.br", porta=587, seguranca="tls", email_origem="c@x.com.br",
            padrao=False, ativo=False)
    erp.add("forma_cobranca", id_forma_cobranca=2, descricao="Carnê", id_remetente_email=2,
            ativo=True)
    for rid, days in ((20, -5), (21, 0)):
        erp.add("forma_cobranca_regra_email", id_regra_email=rid, id_forma_cobranca=2,
                dias=days, assunto="Carnê", ativo=True)
    erp.add("forma_cobranca", id_forma_cobranca=3, descricao="Débito Automático", ativo=True)
    for cid in range(2, 7):
        erp.customer(cid, method=2)
    erp.customer(7, method=3)
    erp.customer(8, method=3)
    erp.customer(9, status="pago", paid="2024-03-03")
    erp.customer(10, service_status=3)
    erp.customer(11, notice="somente_sms")
    erp.customer(12, allows=False)
    erp.customer(13, email="invalido@")
    erp.customer(14, method=2, notice="nenhum")
    return erp


@pytest.fixture
def db(write_db: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> str:
    url = write_db(whatif_erp())
    monkeypatch.setenv("CARTEIRO_DB_URL", url)
    return url


def path_of(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def audit_of(url: str) -> Audit:
    return evaluate(load_data(url, MARCH), MARCH)


def covered_ids(audit: Audit) -> set[int]:
    customers = audit.customers
    return {int(i) for i in customers.loc[customers[CustomerAudit.STATUS] == "covered",
                                          CustomerAudit.ID]}


def corrected(url: str, tmp_path: Path, sql: list[str]) -> Audit:
    """A copy of the database with ``sql`` run on it, audited from scratch."""
    copy = copy_of(path_of(url), tmp_path / "corrigido.sqlite")
    with sqlite3.connect(copy.path) as conn:
        for statement in sql:
            conn.execute(statement)
    conn.close()
    return copy.audit(MARCH)


def simulation_page() -> AppTest:
    at = new_app().run()
    at.switch_page(PAGE).run()
    no_exception(at)
    return at


def submit(at: AppTest) -> AppTest:
    at.button(key="sim_submit").click().run()
    no_exception(at)
    return at


def metric(at: AppTest, label: str) -> str:
    (found,) = [m for m in at.metric if m.label == label]
    return str(found.value)


def gained_ids(at: AppTest) -> set[int]:
    table = frame(at, simulation_view.Gained.ID, simulation_view.Gained.COVERAGE)
    return {int(i) for i in table[simulation_view.Gained.ID]}


def check(at: AppTest, key: str) -> None:
    at.checkbox(key=key).check()


# (what the manager does on the page, the same correction in SQL, the customers it covers)
CASES: dict[str, tuple[Callable[[AppTest], Any], list[str], set[int]]] = {
    "sender": (lambda at: check(at, "sim_sender_2"),
               ["UPDATE remetente_email SET ativo = 1 WHERE id_remetente_email = 2"],
               {2, 3, 4, 5, 6}),
    "rule_offset": (lambda at: (at.selectbox(key="sim_rule_method").set_value(1),
                                at.number_input(key="sim_rule_days").set_value(-7)),
                    ["INSERT INTO forma_cobranca_regra_email (id_forma_cobranca, dias, assunto,"
                     " ativo) VALUES (1, -7, 'nova', 1)"],
                    {9}),
    "status": (lambda at: (at.selectbox(key="sim_status_method").set_value(1),
                           at.multiselect(key="sim_statuses").set_value(["cancelado"])),
               # the default selection made explicit (all but cancelado, inativo), plus cancelado
               ["INSERT INTO forma_cobranca_status_envio VALUES (1, 1), (1, 2), (1, 3), (1, 5)"],
               {10}),
    "notice": (lambda at: check(at, "sim_notice_somente_sms"),
               ["UPDATE cliente_servico SET envio_cobranca = NULL "
                "WHERE envio_cobranca = 'somente_sms'"],
               {11}),
    "contacts": (lambda at: (check(at, "sim_contacts"), check(at, "sim_addresses")),
                 ["UPDATE cliente SET permite_enviar_email = 1 WHERE id_cliente = 12",
                  "UPDATE cliente SET email_principal = 'ok@exemplo.com.br' "
                  "WHERE id_cliente = 13"],
                 {12, 13}),
    "two_conditions": (lambda at: (check(at, "sim_sender_2"), check(at, "sim_notice_nenhum")),
                       ["UPDATE remetente_email SET ativo = 1 WHERE id_remetente_email = 2",
                        "UPDATE cliente_servico SET envio_cobranca = NULL "
                        "WHERE envio_cobranca = 'nenhum'"],
                       {2, 3, 4, 5, 6, 14}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_correction_on_the_page_equals_a_real_audit_of_the_corrected_copy(
        db: str, tmp_path: Path, case: str) -> None:
    pick, sql, by_hand = CASES[case]
    before = digest(path_of(db))
    today = audit_of(db)
    at = simulation_page()
    assert metric(at, "Cobertos") == fmt.integer(len(covered_ids(today)))  # nothing picked yet
    pick(at)
    submit(at)
    after = corrected(db, tmp_path, sql)
    assert metric(at, "Cobertos") == fmt.integer(len(covered_ids(after)))
    assert metric(at, "Faturas com aviso") == fmt.integer(int(after.invoices["eligible"].sum()))
    assert gained_ids(at) == by_hand == covered_ids(after) - covered_ids(today)
    assert digest(path_of(db)) == before  # nothing written to the ERP database


def test_one_of_two_failing_conditions_fixed_covers_nobody_new(db: str) -> None:
    at = simulation_page()
    check(at, "sim_sender_2")
    submit(at)
    assert 14 not in gained_ids(at)  # still blocked by envio_cobranca = nenhum


def test_applying_the_recommended_plan_equals_the_audit_with_every_step_in_sql(
        db: str, tmp_path: Path) -> None:
    before = digest(path_of(db))
    sim = Simulator(audit_of(db), {})
    plan = build_plan(sim)
    copy = copy_of(path_of(db), tmp_path / "plano.sqlite")
    for step in plan.steps:
        apply_sql(copy, step.correction)
    after = copy.audit(MARCH)
    at = simulation_page()
    at.button(key="sim_apply_plan").click().run()
    no_exception(at)
    assert all(at.checkbox(key=f"sim_step_{s.number}").value for s in plan.steps)
    assert metric(at, "Cobertos") == fmt.integer(len(covered_ids(after)))
    assert gained_ids(at) == covered_ids(after) - covered_ids(audit_of(db))
    assert digest(path_of(db)) == before


def test_the_page_says_nothing_is_written_and_keeps_erp_names_as_text(db: str) -> None:
    at = simulation_page()
    shown = "\n".join(str(i.value) for i in at.info)
    assert "Nada é gravado no ERP" in shown
    label = at.checkbox(key="sim_sender_2").label
    assert label.startswith(r"Remetente \*Carnê\*")  # the ERP's asterisks shown, not bold


def test_the_export_reads_back(db: str, downloads: dict) -> None:  # noqa: F811
    at = simulation_page()
    check(at, "sim_sender_2")
    submit(at)
    raw = download(at, "sim_download_csv", downloads)
    assert raw.startswith("\ufeff".encode())
    csv = pd.read_csv(io.BytesIO(raw), sep=";", dtype=str, encoding="utf-8-sig")
    headers = simulation_view.GAINED_HEADERS
    assert list(csv.columns) == list(headers.values())
    assert set(csv["ID"].astype(int)) == {2, 3, 4, 5, 6}
    assert set(csv[headers[simulation_view.Gained.AMOUNT]]) == {"99,90"}  # pt-BR decimals
    assert set(csv[headers[simulation_view.Gained.COVERAGE]]) == {"Não coberto"}
    book = pd.read_excel(io.BytesIO(download(at, "sim_download_xlsx", downloads)))
    assert sorted(book["ID"].astype(int)) == [2, 3, 4, 5, 6]
    assert book[headers[simulation_view.Gained.AMOUNT]].tolist() == [99.9] * 5


def test_today_side_is_the_audit_as_cobertura_and_motivos_show_it(db: str) -> None:
    from carteiro.views import coverage as coverage_view
    from carteiro.views import reasons as reasons_view

    audit = audit_of(db)
    sim = Simulator(audit, {})
    result = simulation_view.compare(sim, sim.base)
    assert result.now == result.simulated == coverage_view.coverage_summary(audit)
    table = reasons_view.reason_table(audit)
    for column in ("number", "code", "customers", "invoices"):
        assert result.reasons_now[column].tolist() == table[column].tolist()
    assert result.methods_now.equals(coverage_view.coverage_by_method(audit))
    assert result.gained.empty and result.amount_gained == 0


@pytest.mark.parametrize("case", ["sender", "status", "two_conditions"])
def test_simulated_coverage_by_method_is_cobertura_of_the_corrected_copy(
        db: str, tmp_path: Path, case: str) -> None:
    """The simulated figure's frame, by integer sums, equals Cobertura's own view of the
    SQL-corrected copy (the bars: invoices with and without notice, open amount)."""
    from carteiro.views import coverage as coverage_view

    _, sql, _ = CASES[case]
    sim = Simulator(audit_of(db), {})
    state = sim.simulate(simulation_view.corrections(
        simulation_view.options(sim.audit), PICKS[case]))
    got = simulation_view.compare(sim, state).methods_simulated.set_index("label")
    expected = coverage_view.coverage_by_method(corrected(db, tmp_path, sql)).set_index("label")
    columns = ["invoices", "eligible", "not_eligible", "customers", "amount_without_notice"]
    assert got.loc[expected.index, columns].equals(expected[columns])


PICKS = {
    "sender": simulation_view.Picked(senders=(2,)),
    "status": simulation_view.Picked(status_method=1, statuses=("cancelado",)),
    "two_conditions": simulation_view.Picked(senders=(2,), notices=("nenhum",)),
}


def test_clear_switches_everything_off(db: str) -> None:
    at = simulation_page()
    check(at, "sim_sender_2")
    at.selectbox(key="sim_rule_method").set_value(1)
    at.number_input(key="sim_rule_days").set_value(-7)
    submit(at)
    assert gained_ids(at) == {2, 3, 4, 5, 6, 9}
    at.button(key="sim_clear").click().run()
    no_exception(at)
    assert not at.checkbox(key="sim_sender_2").value
    assert at.number_input(key="sim_rule_days").value == 0
    assert metric(at, "Cobertos") == fmt.integer(len(covered_ids(audit_of(db))))
    assert "Nenhuma correção escolhida" in "\n".join(c.value for c in at.caption)


def test_hostile_erp_text_stays_text_on_the_page(write_db: Callable[..., str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A hostile ERP (tests/hostile.py): the labels of the corrections (ERP names inside) and
    everything the page renders as Markdown get no link, image, HTML or autolink."""
    import re

    from tests.hostile import make_hostile
    from tests.test_app import markdown_texts, mixed_erp

    url = write_db(mixed_erp())
    make_hostile(path_of(url), "127.0.0.1:9")
    monkeypatch.setenv("CARTEIRO_DB_URL", url)
    at = simulation_page()
    at.button(key="sim_apply_plan").click().run()
    no_exception(at)
    seen = markdown_texts(at) + [str(c.label) for c in at.checkbox]
    seen += [str(c.help) for c in at.checkbox if c.help]
    assert any("nome" in t or "descricao" in t for t in seen)
    for text in seen:
        assert not re.search(r"(?<!\\)(\]\(|<img|<a |://|www\.|@evil|:material|:red\[)",
                             text), text

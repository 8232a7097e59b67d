"""The fix plan on small ERP databases built by hand, where the right answer is known by hand,
and every step's gain checked against two real audits of a corrected copy (tests/plan_oracle)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from carteiro.erp.load import load_data
from carteiro.plan import corrections as fix
from carteiro.plan.candidates import find_corrections
from carteiro.plan.greedy import Plan, build_plan
from carteiro.plan.simulator import Simulator
from carteiro.rules.engine import evaluate
from tests.conftest import MARCH
from tests.erp_builder import Erp
from tests.plan_oracle import (
    apply_sql,
    copy_of,
    covered,
    digest,
    eligible,
    open_without_notice,
)

AMOUNT = 99.9  # every invoice of Erp.customer


def _sender(erp: Erp, sid: int, active: bool, default: bool = False) -> None:
    erp.add("remetente_email", id_remetente_email=sid, descricao=f"Remetente {sid}",
            host="smtp.x.com.br", porta=587, seguranca="tls", email_origem="c@x.com.br",
            padrao=default, ativo=active)


def _method(erp: Erp, mid: int, name: str, sender: int | None = None,
            offsets: tuple[int, ...] = ()) -> None:
    erp.add("forma_cobranca", id_forma_cobranca=mid, descricao=name,
            id_remetente_email=sender, ativo=True)
    for i, days in enumerate(offsets):
        erp.add("forma_cobranca_regra_email", id_regra_email=mid * 100 + i,
                id_forma_cobranca=mid, dias=days, assunto=f"{name} {days}", ativo=True)


def _plan(url: str, sender_tests: dict | None = None) -> tuple[Simulator, Plan]:
    tests = dict(sender_tests or {})
    sim = Simulator(evaluate(load_data(url, MARCH), MARCH, tests), tests)
    return sim, build_plan(sim)


def check_against_sql(db: Path, plan: Plan, tmp_path: Path,
                      sender_tests: dict | None = None) -> None:
    """Each step's gain = the difference of two real audits of the copy, corrected in SQL
    step by step; its cumulative coverage = the audit after it. The original is untouched."""
    before = digest(db)
    erp = copy_of(db, tmp_path / "corrigido.sqlite", sender_tests)
    previous = erp.audit(MARCH)
    for step in plan.steps:
        apply_sql(erp, step.correction)
        now = erp.audit(MARCH)
        assert covered(now) - covered(previous) == step.impact.customers, step
        assert eligible(now) - eligible(previous) == step.impact.invoices, step
        assert open_without_notice(previous) - open_without_notice(now) == pytest.approx(
            step.impact.amount, abs=0.005), step
        assert covered(now) == step.covered_after, step
        assert eligible(now) == step.eligible_after, step
        previous = now
    assert digest(db) == before


# The first correction, known by hand -------------------------------------------------------
def sender_beats_rules() -> Erp:
    """40 invoices behind an inactive sender, 10 on a method without rules."""
    erp = Erp.baseline()
    _sender(erp, 2, active=False)
    _method(erp, 2, "Carnê", sender=2, offsets=(-5, 0))
    _method(erp, 3, "Débito Automático")
    for cid in range(2, 42):
        erp.customer(cid, method=2)
    for cid in range(42, 52):
        erp.customer(cid, method=3)
    return erp


def test_inactive_sender_on_40_beats_missing_rules_on_10(write_db, tmp_path):
    url = write_db(sender_beats_rules())
    sim, plan = _plan(url)
    first, second = plan.steps
    assert first.correction == fix.FixSender(sender_id=2)
    assert (first.impact.customers, first.impact.invoices) == (40, 40)
    assert first.impact.amount == pytest.approx(40 * AMOUNT)
    assert first.correction.object_id == 2
    assert "«Remetente 2» (id 2)" in first.correction.action
    assert first.correction.erp_path == "Configuração > Geral > Remetente de Email > Ações > Testar"
    # the rules copy the method with rules that bills the most invoices: Carnê's -5 and 0
    assert second.correction == fix.AddRules(method_id=3, offsets=(-5, 0))
    assert (second.impact.customers, second.covered_after) == (10, 51)
    assert plan.coverage(second.covered_after) == 1.0
    check_against_sql(Path(url.removeprefix("sqlite:///")), plan, tmp_path)


def test_a_failed_sender_test_is_fixed_by_testing_again(write_db, tmp_path):
    erp = Erp.baseline()
    erp.customer(2)
    url = write_db(erp)
    tests = {1: dt.date(2024, 3, 1)}
    _, plan = _plan(url, tests)
    (step,) = plan.steps
    assert step.correction == fix.FixSender(sender_id=1)
    assert "falhou no teste de envio" in step.correction.action
    assert (step.impact.customers, step.covered_after) == (2, 2)
    check_against_sql(Path(url.removeprefix("sqlite:///")), plan, tmp_path, tests)


def test_routine_first_then_nothing_else_left(write_db, tmp_path):
    erp = sender_beats_rules()
    erp.set("rotina", "id_rotina", 1, ativo=False)
    url = write_db(erp)
    _, plan = _plan(url)
    assert [s.correction.KIND for s in plan.steps] == ["activate_routine", "fix_sender",
                                                      "add_rules"]
    assert plan.steps[0].correction.object_id == 1
    assert plan.steps[0].impact.customers == 1  # only customer 1 had nothing else failing
    check_against_sql(Path(url.removeprefix("sqlite:///")), plan, tmp_path)


# Two conditions on one invoice -----------------------------------------------------------------
def test_invoice_failing_two_conditions_is_gained_only_with_both(write_db, tmp_path):
    erp = Erp.baseline()
    _method(erp, 3, "Débito Automático")
    erp.customer(2, method=3, service_status=3)  # no rules AND status cancelado
    erp.customer(3, method=3)  # no rules only
    url = write_db(erp)
    sim, plan = _plan(url)
    rules, status = fix.AddRules(method_id=3, offsets=(-3, 0, 3)), \
        fix.AllowStatus(method_id=3, status="cancelado")
    assert set(plan.alone) == {rules, status}
    assert plan.alone[rules].customers == 1 and plan.alone[status].customers == 0
    assert [(s.correction, s.impact.customers) for s in plan.steps] == [(rules, 1),
                                                                        (status, 1)]
    db = Path(url.removeprefix("sqlite:///"))
    only_status = copy_of(db, tmp_path / "so-status.sqlite")
    apply_sql(only_status, status)
    assert covered(only_status.audit(MARCH)) == 1
    check_against_sql(db, plan, tmp_path)


# Rule offsets ---------------------------------------------------------------------------------
def test_new_rule_offset_reaches_the_most_and_is_the_latest_of_equals(write_db, tmp_path):
    erp = Erp.baseline()  # rules at -3, 0, +3; invoices due 10/03
    erp.customer(2, status="pago", paid="2024-03-05")  # paid 5 days before: -5 reaches it
    erp.customer(3, status="pago", paid="2024-03-02")  # 8 days before: -8 reaches both
    erp.customer(4, status="pago", paid=None)  # paid without a date: no rule reaches it
    erp.customer(5, status="pago", paid="2024-03-08", due="2024-03-20")  # 12 before: too early
    url = write_db(erp)
    _, plan = _plan(url)
    (step,) = plan.steps
    assert step.correction == fix.AddRule(method_id=1, days=-8)
    assert "8 dias antes do vencimento" in step.correction.action
    assert (step.impact.customers, step.impact.invoices, step.impact.amount) == (2, 2, 0.0)
    check_against_sql(Path(url.removeprefix("sqlite:///")), plan, tmp_path)


# «Status do Serviço para Envio» ----------------------------------------------------------------
def test_explicit_selection_from_the_default_counts_what_it_loses(write_db, tmp_path):
    """The default selection allows an unknown status id; an explicit one excludes it."""
    erp = Erp.baseline()
    erp.customer(2, service_status=3)  # cancelado: gains
    erp.customer(3, service_status=99)  # unknown status: allowed today, excluded after
    url = write_db(erp)
    sim, plan = _plan(url)
    (step,) = plan.steps
    assert step.correction == fix.AllowStatus(method_id=1, status="cancelado")
    assert "seleção padrão" in step.correction.action
    assert (step.impact.customers, step.impact.invoices) == (0, 0)
    from carteiro.plan.whatif import customers_gained

    assert customers_gained(sim, plan.final)["customer_id"].tolist() == [2]
    check_against_sql(Path(url.removeprefix("sqlite:///")), plan, tmp_path)


def test_explicit_selection_gets_the_missing_status(write_db, tmp_path):
    erp = Erp.baseline()
    for status in (1, 5):
        erp.add("forma_cobranca_status_envio", id_forma_cobranca=1, id_servico_status=status)
    erp.add("servico_status", id_servico_status=6, descricao="Suspenso (antigo)",
            prefixo="Suspenso - Débito")  # same prefix as 2 once normalised
    erp.customer(2, service_status=2).customer(3, service_status=6)
    url = write_db(erp)
    _, plan = _plan(url)
    (step,) = plan.steps
    assert step.correction == fix.AllowStatus(method_id=1, status="suspenso_debito")
    assert "seleção padrão" not in step.correction.action
    assert step.impact.customers == 2
    check_against_sql(Path(url.removeprefix("sqlite:///")), plan, tmp_path)


# Senders that do not exist, and no sender at all -----------------------------------------------
def test_missing_sender_is_replaced_by_the_default(write_db, tmp_path):
    erp = sender_beats_rules()
    erp.set("forma_cobranca", "id_forma_cobranca", 2, id_remetente_email=77)
    url = write_db(erp)
    _, plan = _plan(url)
    assert plan.steps[0].correction == fix.RepointSender(sender_id=77)
    assert "não existe" in plan.steps[0].correction.action
    assert plan.steps[0].impact.customers == 40
    check_against_sql(Path(url.removeprefix("sqlite:///")), plan, tmp_path)


def test_no_active_sender_activates_the_one_that_becomes_default(write_db, tmp_path):
    erp = Erp.baseline()
    erp.set("remetente_email", "id_remetente_email", 1, ativo=False, padrao=False)
    _sender(erp, 3, active=False, default=True)
    erp.customer(2)
    url = write_db(erp)
    _, plan = _plan(url)
    (step,) = plan.steps
    assert step.correction == fix.FixSender(sender_id=3)
    assert step.impact.customers == 2
    check_against_sql(Path(url.removeprefix("sqlite:///")), plan, tmp_path)


def test_no_sender_at_all_registers_one(write_db, tmp_path):
    erp = Erp.baseline()
    erp.rows["remetente_email"] = []
    url = write_db(erp)
    _, plan = _plan(url)
    (step,) = plan.steps
    assert step.correction == fix.CreateSender()
    check_against_sql(Path(url.removeprefix("sqlite:///")), plan, tmp_path)


# The lists ------------------------------------------------------------------------------------
def lists_erp() -> Erp:
    erp = Erp.baseline()
    erp.customer(2, method=None).customer(3, method=77)  # no / an unknown billing method
    erp.customer(4).set("fatura", "id_fatura", 1004, id_cliente_servico=None)
    erp.customer(5).set("fatura", "id_fatura", 1005, id_cliente_servico=None)
    erp.add("cliente_servico", id_cliente_servico=205, id_cliente=5, id_servico_status=1,
            plano="TV", envio_cobranca=None)  # two services: nobody can say which
    erp.customer(6, notice="Somente - SMS").customer(7, notice="nenhum")
    erp.customer(8, allows=False)  # valid address, no permission
    erp.customer(9, email="x@x")  # permission, invalid address
    erp.customer(10, allows=None, email="sem-arroba")  # both
    erp.add("cliente_contato", id_cliente_contato=1, id_cliente=10, nome="Fin",
            email="fin@", permite_enviar_email=False)
    return erp


def test_lists_one_line_each_with_their_objects(write_db, tmp_path):
    url = write_db(lists_erp())
    sim, plan = _plan(url)
    lines = {s.correction.key.rsplit(":", 2)[0]: s for s in plan.steps}
    assert set(lines) == {"link_method:1", "link_service", "allow_email:somente_sms",
                          "allow_email:nenhum", "allow_contacts", "fix_addresses"}
    assert lines["link_method:1"].correction.ids.tolist() == [1002, 1003]
    assert lines["link_method:1"].correction.method_id == 1
    assert lines["link_service"].correction.ids.tolist() == [1004]
    assert lines["link_service"].correction.service_ids.tolist() == [104]
    assert "outras 1 " in lines["link_service"].correction.action
    assert lines["allow_email:somente_sms"].correction.ids.tolist() == [106]
    assert lines["allow_email:nenhum"].correction.ids.tolist() == [107]
    assert lines["allow_contacts"].correction.ids.tolist() == [8, 10]
    assert lines["fix_addresses"].correction.ids.tolist() == [9, 10]
    assert all(s.correction.object_id is None for s in plan.steps)
    assert [s.correction.objects for s in plan.steps] == [len(s.correction.ids)
                                                         for s in plan.steps]
    # customer 10 needs both the permission and the address
    assert plan.alone[fix.FixAddresses(ids=[9, 10])].customers == 1
    assert plan.alone[fix.AllowContacts(ids=[8, 10])].customers == 1
    assert plan.steps[-1].covered_after == 9  # all but customer 5
    check_against_sql(Path(url.removeprefix("sqlite:///")), plan, tmp_path)


def test_configuration_first_then_lists(write_db, tmp_path):
    erp = lists_erp()
    erp.customer(11, service_status=3)
    for cid in range(12, 30):  # a big list, a small configuration fix
        erp.customer(cid, email="invalido")
    url = write_db(erp)
    _, plan = _plan(url)
    phases = [s.correction.PHASE for s in plan.steps]
    assert phases == sorted(phases)
    assert plan.steps[0].correction.KIND == "allow_status"
    assert plan.steps[0].impact.customers < max(s.impact.customers for s in plan.steps)
    check_against_sql(Path(url.removeprefix("sqlite:///")), plan, tmp_path)


def test_nothing_to_fix_gives_an_empty_plan(run, erp):
    audit = run(erp)
    assert find_corrections(audit) == ()
    plan = build_plan(Simulator(audit))
    assert plan.steps == () and plan.frame().empty
    assert plan.coverage(plan.covered_before) == 1.0


def test_the_audit_is_never_changed(write_db):
    url = write_db(lists_erp())
    audit = evaluate(load_data(url, MARCH), MARCH)
    frames = {name: getattr(audit.data, name).copy(deep=True)
              for name in ("invoices", "services", "recipients", "billing_methods",
                           "email_rules", "send_statuses", "routines", "senders")}
    invoices, customers = audit.invoices.copy(deep=True), audit.customers.copy(deep=True)
    sim = Simulator(audit)
    build_plan(sim)
    sim.simulate(find_corrections(audit))
    for name, frame in frames.items():
        assert getattr(audit.data, name).equals(frame), name
    assert audit.invoices.equals(invoices) and audit.customers.equals(customers)


def test_without_failure_keeps_the_rest_of_the_history():
    day = dt.date(2024, 3, 5)
    assert fix.without_failure({1: day, 2: day}, 1) == {2: day}
    assert fix.without_failure({1: day}, 2) == {1: day}
    assert fix.without_failure({}, 2) == {}
    assert fix.without_failure(None, 2) == {}


def test_corrections_commute(write_db):
    url = write_db(lists_erp())
    audit = evaluate(load_data(url, MARCH), MARCH)
    sim = Simulator(audit)
    options = find_corrections(audit) + (fix.AllowStatus(method_id=1, status="cancelado"),)
    forward = fix.apply_all(sim.base.inputs, options).data
    backward = sim.base.inputs
    for correction in reversed(options):
        backward = correction.apply(backward)
    for name in ("invoices", "services", "recipients"):
        assert getattr(forward, name).equals(getattr(backward.data, name)), name
    a = evaluate(forward, MARCH).invoices["reason_mask"].to_numpy()
    b = evaluate(backward.data, MARCH).invoices["reason_mask"].to_numpy()
    assert np.array_equal(a, b)


def test_a_correction_that_only_pays_off_after_another_is_recomputed(write_db, tmp_path):
    """No sender at all, and a method naming one that does not exist: pointing that method
    to the default gains nothing until a default sender exists."""
    erp = Erp.baseline()
    erp.rows["remetente_email"] = []
    _method(erp, 2, "Carnê", sender=77, offsets=(-5, 0))
    for cid in range(2, 5):
        erp.customer(cid, method=2)
    url = write_db(erp)
    _, plan = _plan(url)
    create, repoint = fix.CreateSender(), fix.RepointSender(sender_id=77)
    assert plan.alone[repoint].customers == 0
    assert [(s.correction, s.impact.customers) for s in plan.steps] == [(create, 1),
                                                                        (repoint, 3)]
    check_against_sql(Path(url.removeprefix("sqlite:///")), plan, tmp_path)


def test_a_page_builds_its_own_corrections(write_db, tmp_path):
    """The manager picks: a rule at another offset, a status, a subset of a list."""
    from carteiro.plan.candidates import Corrections
    from carteiro.plan.whatif import coverage

    erp = lists_erp()
    erp.customer(11, status="pago", paid="2024-03-04")  # paid 6 days before the due date
    erp.customer(12, service_status=2)
    for status in (1, 5):
        erp.add("forma_cobranca_status_envio", id_forma_cobranca=1, id_servico_status=status)
    url = write_db(erp)
    audit = evaluate(load_data(url, MARCH), MARCH)
    sim, make = Simulator(audit), Corrections(audit)
    picked = [make.add_rule(1, -6), make.allow_status(1, "suspenso_debito"),
              fix.AllowEmail(notice="somente_sms", ids=[106], action="só o cliente 6")]
    assert picked[2] == make.allow_email("somente_sms")  # the same services, the same way
    assert fix.AllowEmail(ids=[106]) != fix.AllowEmail(ids=[106, 107])
    state = sim.simulate(picked)
    assert coverage(sim, sim.base).covered == 1
    assert coverage(sim, state).covered == 4  # customers 6, 11 and 12
    erp_copy = copy_of(Path(url.removeprefix("sqlite:///")), tmp_path / "pagina.sqlite")
    for correction in picked:
        apply_sql(erp_copy, correction)
    assert coverage(sim, state).covered == covered(erp_copy.audit(MARCH))
    assert sim.simulate([]).masks.tolist() == sim.base.masks.tolist()  # toggled all off


def test_a_toggle_reevaluates_only_the_invoices_it_can_reach(write_db):
    erp = sender_beats_rules()  # methods 1 (1 invoice), 2 (40, inactive sender), 3 (10)
    url = write_db(erp)
    audit = evaluate(load_data(url, MARCH), MARCH)
    sim = Simulator(audit)
    method = audit.invoices["method_id"].to_numpy()
    rule = sim.peek(sim.base, fix.AddRules(method_id=3, offsets=(0,)))
    assert np.array_equal(rule.footprint, method == 3)
    sender = sim.peek(sim.base, fix.FixSender(sender_id=2))
    assert np.array_equal(sender.footprint, method == 2)
    # sender 2 the only one marked default: activating it makes it the default sender, which
    # moves every method without its own sender too
    erp.set("remetente_email", "id_remetente_email", 2, padrao=True)
    erp.set("remetente_email", "id_remetente_email", 1, padrao=False)
    erp.set("cliente", "id_cliente", 5, email_principal="x@x")
    default = evaluate(load_data(write_db(erp), MARCH), MARCH)
    sim = Simulator(default)
    moved = sim.peek(sim.base, fix.FixSender(sender_id=2))
    assert np.array_equal(moved.footprint, np.ones(len(method), dtype=bool))
    address = sim.peek(sim.base, fix.FixAddresses(ids=[5, 6]))  # 6's address is valid
    assert np.flatnonzero(address.footprint).tolist() == [4]  # customer 5's invoice only

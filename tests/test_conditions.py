"""Each of the nine conditions alone, several at once, and the customer roll-up."""

from __future__ import annotations

import pytest

from carteiro.columns import CustomerAudit, Invoice, Problem
from carteiro.rules.catalogue import REASON_CODES


def invoice(audit, invoice_id: int = 1001):
    rows = audit.invoices[audit.invoices[Invoice.ID] == invoice_id]
    assert len(rows) == 1, f"invoice {invoice_id} not in scope"
    return rows.iloc[0]


def failing(audit, invoice_id: int = 1001) -> list[str]:
    row = invoice(audit, invoice_id)
    return [code for code in REASON_CODES if row[code]]


def test_baseline_invoice_is_eligible(run, erp):
    audit = run(erp)
    row = invoice(audit)
    assert row[Invoice.ELIGIBLE]
    assert failing(audit) == []
    assert row[Invoice.REASONS] == ""
    assert audit.customers[CustomerAudit.STATUS].tolist() == ["covered"]
    assert audit.problems.empty
    assert audit.alerts == []


# 1 no_email_routine ---------------------------------------------------------------------------
def test_inactive_routine_blocks_everyone(run, erp):
    erp.customer(2)
    erp.set("rotina", "id_rotina", 1, ativo=False)
    audit = run(erp)
    assert failing(audit, 1001) == ["no_email_routine"]
    assert failing(audit, 1002) == ["no_email_routine"]
    assert [a.code for a in audit.alerts] == ["no_email_routine"]
    assert audit.alerts[0].menu_path == "Configuração > Geral > Rotinas"


def test_only_sms_routine_is_not_an_email_routine(run, erp):
    erp.set("rotina", "id_rotina", 1, tipo="envio_sms_cobranca")
    assert failing(run(erp)) == ["no_email_routine"]


@pytest.mark.parametrize("kind", [" Envio-Email Cobrança ", "ENVIO - EMAIL - COBRANÇA",
                                  "envio\temail\tcobranca\n", "Envio\u00a0Email\u00a0Cobrança",
                                  "Envio  Email--Cobranca", "ENVIO_EMAIL_COBRANÇA"])
def test_routine_kind_is_normalised(run, erp, kind):
    erp.set("rotina", "id_rotina", 1, tipo=kind)
    assert failing(run(erp)) == []


@pytest.mark.parametrize("kind", ["envio_email_cobranca_x", "envio email", "envioemailcobranca"])
def test_other_routine_kinds_are_no_billing_email_routine(run, erp, kind):
    erp.set("rotina", "id_rotina", 1, tipo=kind)
    assert failing(run(erp)) == ["no_email_routine"]


# 2 sender_unavailable --------------------------------------------------------------------------
def test_inactive_default_sender(run, erp):
    erp.set("remetente_email", "id_remetente_email", 1, ativo=False)
    audit = run(erp)
    assert failing(audit) == ["sender_unavailable"]
    assert [a.code for a in audit.alerts] == ["sender_unavailable"]


def test_method_sender_missing_has_no_fallback(run, erp):
    erp.set("forma_cobranca", "id_forma_cobranca", 1, id_remetente_email=99)
    audit = run(erp)
    assert failing(audit) == ["sender_unavailable"]
    assert (audit.problems[Problem.KIND] == "unknown_id").any()


def test_method_sender_inactive_has_no_fallback(run, erp):
    erp.add("remetente_email", id_remetente_email=2, descricao="Antigo", host="h", porta=25,
            seguranca="nenhuma", email_origem="a@b.com.br", padrao=False, ativo=False)
    erp.set("forma_cobranca", "id_forma_cobranca", 1, id_remetente_email=2)
    assert failing(run(erp)) == ["sender_unavailable"]


def test_failed_latest_test_makes_sender_unavailable(run, erp):
    assert failing(run(erp, failed=frozenset({1}))) == ["sender_unavailable"]
    assert failing(run(erp, failed=frozenset({7}))) == []


def test_default_sender_is_lowest_active_when_none_marked(run, erp):
    erp.set("remetente_email", "id_remetente_email", 1, padrao=False)
    erp.add("remetente_email", id_remetente_email=2, descricao="Outro", host="h", porta=25,
            seguranca="nenhuma", email_origem="a@b.com.br", padrao=False, ativo=True)
    assert failing(run(erp, failed=frozenset({2}))) == []
    assert failing(run(erp, failed=frozenset({1}))) == ["sender_unavailable"]


def test_default_sender_marked_lowest_id_wins(run, erp):
    for sid in (3, 2):
        erp.add("remetente_email", id_remetente_email=sid, descricao=f"S{sid}", host="h",
                porta=25, seguranca="nenhuma", email_origem="a@b.com.br", padrao=True,
                ativo=True)
    erp.set("remetente_email", "id_remetente_email", 1, padrao=False)
    assert failing(run(erp, failed=frozenset({3}))) == []
    assert failing(run(erp, failed=frozenset({2}))) == ["sender_unavailable"]


def test_no_active_sender_at_all(run, erp):
    erp.set("remetente_email", "id_remetente_email", 1, ativo=False, padrao=False)
    erp.set("fatura", "id_fatura", 1001, id_forma_cobranca=None)
    assert failing(run(erp)) == ["sender_unavailable", "method_without_rules"]


# 3 method_without_rules ------------------------------------------------------------------------
def test_method_with_only_inactive_rules(run, erp):
    for rid in (1, 2, 3):
        erp.set("forma_cobranca_regra_email", "id_regra_email", rid, ativo=False)
    assert failing(run(erp)) == ["method_without_rules"]


def test_invoice_linked_to_other_method(run, erp):
    erp.add("forma_cobranca", id_forma_cobranca=2, descricao="PIX", ativo=True)
    erp.set("fatura", "id_fatura", 1001, id_forma_cobranca=2)
    assert failing(run(erp)) == ["method_without_rules"]


@pytest.mark.parametrize("method", [None, 42])
def test_invoice_without_or_with_unknown_method(run, erp, method):
    erp.set("fatura", "id_fatura", 1001, id_forma_cobranca=method)
    audit = run(erp)
    assert failing(audit) == ["method_without_rules"]
    assert (audit.problems[Problem.KIND] == "unknown_id").any() == (method is not None)


def test_inactive_method_is_not_judged(run, erp):
    erp.set("forma_cobranca", "id_forma_cobranca", 1, ativo=False)
    assert failing(run(erp)) == []


# 4 invoice_outside_rules -----------------------------------------------------------------------
def test_paid_before_first_send_date(run, erp):
    erp.set("fatura", "id_fatura", 1001, status="pago", data_pagamento="2024-03-06")
    assert failing(run(erp)) == ["invoice_outside_rules"]


def test_paid_on_first_send_date_still_fires(run, erp):
    erp.set("fatura", "id_fatura", 1001, status="pago", data_pagamento="2024-03-07")
    assert failing(run(erp)) == []


def test_payment_date_wins_over_open_status_word(run, erp):
    erp.set("fatura", "id_fatura", 1001, status="aberto", data_pagamento="2024-03-01")
    assert failing(run(erp)) == ["invoice_outside_rules"]


def test_only_after_due_rules_miss_invoice_paid_on_time(run, erp):
    for rid in (1, 2):
        erp.set("forma_cobranca_regra_email", "id_regra_email", rid, ativo=False)
    erp.set("fatura", "id_fatura", 1001, status="pago", data_pagamento="2024-03-10")
    assert failing(run(erp)) == ["invoice_outside_rules"]


def test_paid_without_date_counts_as_paid_before_any_send(run, erp):
    erp.set("fatura", "id_fatura", 1001, status="pago", data_pagamento=None)
    audit = run(erp)
    assert failing(audit) == ["invoice_outside_rules"]
    assert audit.problems[Problem.KIND].tolist() == ["paid_without_date"]


# 5 service_missing -----------------------------------------------------------------------------
@pytest.mark.parametrize("service", [None, 999])
def test_invoice_without_service(run, erp, service):
    erp.set("fatura", "id_fatura", 1001, id_cliente_servico=service)
    # even a blocking setting elsewhere cannot be judged: 6 and 7 are not evaluated
    erp.set("cliente_servico", "id_cliente_servico", 101, id_servico_status=3,
            envio_cobranca="nenhum")
    audit = run(erp)
    assert failing(audit) == ["service_missing"]
    assert (audit.problems[Problem.KIND] == "unknown_id").any() == (service is not None)


# 6 service_status_excluded ---------------------------------------------------------------------
@pytest.mark.parametrize("status_id", [3, 4])
def test_default_selection_excludes_cancelled_and_inactive(run, erp, status_id):
    erp.set("cliente_servico", "id_cliente_servico", 101, id_servico_status=status_id)
    assert failing(run(erp)) == ["service_status_excluded"]


@pytest.mark.parametrize("status_id", [2, 5])
def test_default_selection_allows_other_statuses(run, erp, status_id):
    erp.set("cliente_servico", "id_cliente_servico", 101, id_servico_status=status_id)
    assert failing(run(erp)) == []


@pytest.mark.parametrize("prefix", ["CANCELADO ", "Cancelado", "\tcancelado\n", "Cancelâdo",
                                    "INATIVO", " Inativo\r\n"])
def test_odd_spelling_of_cancelled_is_cancelled(run, erp, prefix):
    erp.add("servico_status", id_servico_status=9, descricao="Cancelado (antigo)",
            prefixo=prefix)
    erp.set("cliente_servico", "id_cliente_servico", 101, id_servico_status=9)
    assert failing(run(erp)) == ["service_status_excluded"]


def test_explicit_selection(run, erp):
    erp.add("forma_cobranca_status_envio", id_forma_cobranca=1, id_servico_status=1)
    erp.add("forma_cobranca_status_envio", id_forma_cobranca=1, id_servico_status=3)
    erp.customer(2, service_status=2).customer(3, service_status=3)
    audit = run(erp)
    assert failing(audit, 1001) == []
    assert failing(audit, 1002) == ["service_status_excluded"]  # suspenso not selected
    assert failing(audit, 1003) == []  # cancelado explicitly selected


@pytest.mark.parametrize("prefix", ["Serviço Habilitado", "SERVICO - HABILITADO",
                                    "servico\thabilitado", "Serviço-Habilitado "])
def test_explicit_selection_compares_by_prefix(run, erp, prefix):
    erp.add("servico_status", id_servico_status=8, descricao="Habilitado (novo)",
            prefixo=prefix)
    erp.add("forma_cobranca_status_envio", id_forma_cobranca=1, id_servico_status=1)
    erp.set("cliente_servico", "id_cliente_servico", 101, id_servico_status=8)
    assert failing(run(erp)) == []


def test_unknown_status_allowed_by_default_excluded_by_explicit(run, erp):
    erp.set("cliente_servico", "id_cliente_servico", 101, id_servico_status=77)
    audit = run(erp)
    assert failing(audit) == []
    assert "status 77" in " ".join(audit.problems[Problem.DETAIL])
    erp.add("forma_cobranca_status_envio", id_forma_cobranca=1, id_servico_status=1)
    assert failing(run(erp)) == ["service_status_excluded"]


def test_unknown_method_uses_default_selection(run, erp):
    erp.set("fatura", "id_fatura", 1001, id_forma_cobranca=None)
    erp.set("cliente_servico", "id_cliente_servico", 101, id_servico_status=4)
    assert failing(run(erp)) == ["method_without_rules", "service_status_excluded"]


# 7 service_blocks_email ------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["somente_sms", "nenhum", " Somente SMS", "NENHUM",
                                   "Somente - SMS", "Somente\tSMS", "somente-sms", "\nNenhum\t",
                                   "SOMENTE  SMS", "Sómente SMS"])
def test_service_setting_blocks_email(run, erp, value):
    erp.set("cliente_servico", "id_cliente_servico", 101, envio_cobranca=value)
    assert failing(run(erp)) == ["service_blocks_email"]


@pytest.mark.parametrize(
    "value", [None, "email_sms", "somente_email", "Somente Email", "EMAIL-SMS",
              "Somente - Email", "email\tsms"])
def test_service_setting_allows_email(run, erp, value):
    erp.set("cliente_servico", "id_cliente_servico", 101, envio_cobranca=value)
    audit = run(erp)
    assert failing(audit) == []
    assert audit.problems.empty


@pytest.mark.parametrize("value", ["whatsapp", "somente sms!", "", "somente_sms_x", "sms"])
def test_unknown_service_setting_is_default_and_reported(run, erp, value):
    erp.set("cliente_servico", "id_cliente_servico", 101, envio_cobranca=value)
    audit = run(erp)
    assert failing(audit) == []
    assert audit.problems[Problem.KIND].tolist() == ["unknown_value"]
    assert repr(value) in audit.problems[Problem.DETAIL].iloc[0]


# 8 no_contact_allows_email ---------------------------------------------------------------------
@pytest.mark.parametrize("allows", [None, False, "N", "não", 0])
def test_no_recipient_allows(run, erp, allows):
    erp.set("cliente", "id_cliente", 1, permite_enviar_email=allows)
    erp.add("cliente_contato", id_cliente_contato=1, id_cliente=1, nome="Esposa",
            email="esposa@gmail.com", permite_enviar_email=None)
    assert failing(run(erp)) == ["no_contact_allows_email"]


def test_a_contact_that_allows_is_enough(run, erp):
    erp.set("cliente", "id_cliente", 1, permite_enviar_email=False)
    erp.add("cliente_contato", id_cliente_contato=1, id_cliente=1, nome="Financeiro",
            email="financeiro@empresa.com.br", permite_enviar_email=True)
    assert failing(run(erp)) == []


# 9 no_valid_email ------------------------------------------------------------------------------
@pytest.mark.parametrize("email", [None, "", "naotem", "fulano@gmail", "fulano@@gmail.com",
                                   "a@b.test", "x@x; y@y"])
def test_allowing_recipient_without_valid_address(run, erp, email):
    erp.set("cliente", "id_cliente", 1, email_principal=email)
    assert failing(run(erp)) == ["no_valid_email"]


@pytest.mark.parametrize("email", ["fulano@gmail.com", " fulano@gmail.com ",
                                   "lixo; fulano@uol.com.br", "x@x,ok@terra.com.br",
                                   "joão@provedor.com.br"])
def test_valid_addresses(run, erp, email):
    erp.set("cliente", "id_cliente", 1, email_principal=email)
    assert failing(run(erp)) == []


def test_valid_address_of_non_allowing_contact_does_not_count(run, erp):
    erp.set("cliente", "id_cliente", 1, email_principal="invalido")
    erp.add("cliente_contato", id_cliente_contato=1, id_cliente=1, nome="Outro",
            email="outro@gmail.com", permite_enviar_email=False)
    assert failing(run(erp)) == ["no_valid_email"]


# Several at once --------------------------------------------------------------------------------
def test_every_failing_condition_is_reported_in_order(run, erp):
    erp.set("rotina", "id_rotina", 1, ativo=False)
    erp.set("fatura", "id_fatura", 1001, id_forma_cobranca=None)
    erp.set("cliente_servico", "id_cliente_servico", 101, id_servico_status=3,
            envio_cobranca="somente_sms")
    erp.set("cliente", "id_cliente", 1, email_principal="sem email")
    row = invoice(run(erp))
    expected = ["no_email_routine", "method_without_rules", "service_status_excluded",
                "service_blocks_email", "no_valid_email"]
    assert row[Invoice.REASONS] == ";".join(expected)
    assert row[Invoice.PRIMARY_REASON] == "no_email_routine"
    assert not row[Invoice.ELIGIBLE]


def test_all_nine_can_fail_together_but_8_and_9_exclude_each_other(run, erp):
    erp.set("rotina", "id_rotina", 1, ativo=False)
    erp.set("remetente_email", "id_remetente_email", 1, ativo=False)
    erp.set("fatura", "id_fatura", 1001, id_cliente_servico=None)
    erp.set("cliente", "id_cliente", 1, permite_enviar_email=False)
    erp.customer(2, service_status=3, notice="nenhum", email="x@x")
    erp.set("fatura", "id_fatura", 1002, status="pago", data_pagamento="2024-03-01")
    audit = run(erp)
    assert failing(audit, 1001) == ["no_email_routine", "sender_unavailable",
                                    "service_missing", "no_contact_allows_email"]
    assert failing(audit, 1002) == ["no_email_routine", "sender_unavailable",
                                    "invoice_outside_rules", "service_status_excluded",
                                    "service_blocks_email", "no_valid_email"]


# Customers ---------------------------------------------------------------------------------------
def test_customer_partial_and_union_of_reasons(run, erp):
    erp.add("cliente_servico", id_cliente_servico=201, id_cliente=1, id_servico_status=4,
            plano="TV", envio_cobranca="somente_sms")
    erp.add("fatura", id_fatura=2001, id_cliente=1, id_cliente_servico=201,
            id_forma_cobranca=1, data_vencimento="2024-03-20", valor=50, status="aberto")
    erp.customer(2, service_status=3)
    erp.add("fatura", id_fatura=2002, id_cliente=2, id_cliente_servico=None,
            id_forma_cobranca=1, data_vencimento="2024-03-25", valor=10.5, status="aberto")
    audit = run(erp)
    customers = audit.customers.set_index(CustomerAudit.ID)
    assert customers.loc[1, CustomerAudit.STATUS] == "partial"
    assert customers.loc[1, CustomerAudit.REASONS] == (
        "service_status_excluded;service_blocks_email")
    assert customers.loc[1, CustomerAudit.PRIMARY_REASON] == "service_status_excluded"
    assert customers.loc[1, CustomerAudit.AMOUNT_WITHOUT_NOTICE] == pytest.approx(50)
    assert customers.loc[2, CustomerAudit.STATUS] == "not_covered"
    assert customers.loc[2, CustomerAudit.REASONS] == "service_missing;service_status_excluded"
    assert customers.loc[2, CustomerAudit.AMOUNT_WITHOUT_NOTICE] == pytest.approx(110.4)
    assert customers.loc[2, CustomerAudit.INVOICES] == 2


def test_open_amount_counts_unpaid_ineligible_invoices_only(run, erp):
    erp.customer(2, allows=False, status="pago", paid="2024-03-12", amount=80)
    erp.customer(3, allows=False, amount=70)
    customers = run(erp).customers.set_index(CustomerAudit.ID)
    assert customers.loc[2, CustomerAudit.AMOUNT_WITHOUT_NOTICE] == 0
    assert customers.loc[3, CustomerAudit.AMOUNT_WITHOUT_NOTICE] == pytest.approx(70)

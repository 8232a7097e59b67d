"""Configuração: the ERP settings the nine conditions read — routines, senders, billing methods
with their rules and «Status do Serviço para Envio», the methods that carry invoices without a
rule — and the sender test."""

from __future__ import annotations

import streamlit as st

from carteiro import access
from carteiro.rules.catalogue import REASON_BY_CODE
from carteiro.views import capacity as capacity_view
from carteiro.views import coverage as coverage_view
from carteiro.views import settings as settings_view
from pages import _common as common
from pages import _sender_test_widget

ctx = common.context()
audit = ctx.audit

st.title("Configuração do envio no ERP")
st.caption("O que o ERP usa para decidir se manda o e-mail de cobrança, lido agora do banco.")

st.subheader("Rotinas")
st.caption(f"Onde: {REASON_BY_CODE['no_email_routine'].menu_path}")
if audit.routine_active:
    st.success("Há rotina ativa de envio de e-mail de cobrança.", icon="✅")
else:
    st.error("Não há rotina ativa de envio de e-mail de cobrança: nenhum aviso é enviado.",
             icon="🚨")
common.table(settings_view.routines_view(audit), settings_view.ROUTINE_HEADERS,
             ids=[settings_view.RoutineRow.ID], key="cfg_routines")

st.subheader("Remetentes de e-mail")
st.caption(f"Onde: {REASON_BY_CODE['sender_unavailable'].menu_path}")
Snd = settings_view.SenderRow
common.table(settings_view.senders_view(audit), settings_view.SENDER_HEADERS,
             ids=[Snd.ID, Snd.PORT], key="cfg_senders", wrap=True,
             primary=(Snd.ID, Snd.DESCRIPTION, Snd.FROM_ADDRESS, Snd.ACTIVE,
                      Snd.LAST_TEST_FAILED, Snd.AVAILABLE, Snd.USED_BY),
             widths={Snd.ID: 50, Snd.DESCRIPTION: 160, Snd.FROM_ADDRESS: 220, Snd.ACTIVE: 60,
                     Snd.LAST_TEST_FAILED: 150, Snd.AVAILABLE: 90, Snd.USED_BY: 200,
                     Snd.HOST: 180, Snd.PORT: 60, Snd.SECURITY: 120, Snd.USERNAME: 200,
                     Snd.IS_DEFAULT: 70})

st.subheader("Formas de cobrança")
st.caption(f"Onde: {REASON_BY_CODE['method_without_rules'].menu_path} (regras) e "
           "Forma de Cobrança > Status do Serviço para Envio")
Mth = settings_view.MethodRow
common.table(settings_view.methods_view(audit), settings_view.METHOD_HEADERS,
             ids=[Mth.ID], integers=[Mth.ACTIVE_RULES, Mth.INVOICES, Mth.ELIGIBLE],
             key="cfg_methods", wrap=True,
             primary=(Mth.METHOD, Mth.SENDER, Mth.SENDER_AVAILABLE, Mth.ACTIVE_RULES,
                      Mth.SEND_STATUSES, Mth.INVOICES, Mth.ELIGIBLE),
             widths={Mth.ID: 50, Mth.METHOD: 140, Mth.SENDER: 165, Mth.SENDER_AVAILABLE: 155,
                     Mth.ACTIVE_RULES: 100, Mth.SEND_STATUSES: 220, Mth.INVOICES: 75,
                     Mth.ELIGIBLE: 85, Mth.ACTIVE: 60, Mth.RULE_DAYS: 150},
             column_config={
                 Mth.INVOICES: st.column_config.Column(width=75, help="Faturas no período"),
                 Mth.ELIGIBLE: st.column_config.Column(
                     width=85, help="Faturas do período que recebem o aviso")})
with st.expander("Regras de envio de e-mail"):
    common.table(settings_view.rules_view(audit), settings_view.RULE_HEADERS,
                 ids=[settings_view.RuleRow.ID], key="cfg_rules")

st.subheader("Formas de cobrança com faturas e sem regra de e-mail")
orphans = settings_view.methods_without_rules(audit)
if orphans.empty:
    st.success("Todas as faturas do período estão em formas de cobrança com regra de e-mail "
               "ativa.", icon="✅")
else:
    st.caption("Faturas do período cuja forma de cobrança não tem regra de e-mail ativa "
               "(ou que não têm forma de cobrança): nenhum aviso sai para elas.")
    common.table(orphans, coverage_view.METHOD_BREAKDOWN_HEADERS,
                 integers=[coverage_view.Breakdown.INVOICES, coverage_view.Breakdown.CUSTOMERS],
                 money=[coverage_view.Breakdown.AMOUNT], key="cfg_orphans")

st.subheader("Capacidade de envio")
st.caption("Avisos que as regras programam para cada dia (faturas elegíveis do período), o "
           "tempo que a rotina leva com o intervalo de cada remetente e o limite diário do "
           "provedor de e-mail.")
NO_CAP = "Sem limite do provedor"
CUSTOM_CAP = "Outro limite…"
cap_choice = st.selectbox("Limite diário do provedor de e-mail",
                          [NO_CAP, *capacity_view.DAILY_CAPS, CUSTOM_CAP], key="cfg_cap_choice")
if cap_choice == CUSTOM_CAP:
    daily_cap: int | None = int(st.number_input("Avisos por dia", min_value=1, value=1000,
                                                step=100, key="cfg_cap_custom", width=180))
else:
    daily_cap = capacity_view.DAILY_CAPS.get(cap_choice)
plan = common.capacity_table(ctx, daily_cap)
for sentence in capacity_view.capacity_summary(plan):
    st.markdown(f"- {access.text(sentence)}")
if not plan.empty:
    st.plotly_chart(capacity_view.capacity_figure(plan), width="stretch",
                    config=common.PLOTLY_CONFIG, key="cfg_capacity_chart")
    st.caption("Dias mais carregados")
    Cap = capacity_view.Capacity
    common.table(capacity_view.busiest_days(plan), capacity_view.CAPACITY_HEADERS,
                 dates=[Cap.SEND_DATE],
                 integers=[Cap.NOTICES, Cap.SECONDS_NEEDED, Cap.ROUTINE_LIMIT],
                 key="cfg_capacity_days",
                 primary=(Cap.SEND_DATE, Cap.SENDER, Cap.NOTICES, Cap.SECONDS_NEEDED,
                          Cap.ROUTINE_LIMIT, Cap.OVER_CAP, Cap.IN_PERIOD),
                 widths={Cap.SEND_DATE: 105, Cap.SENDER: 180, Cap.NOTICES: 75,
                         Cap.SECONDS_NEEDED: 160, Cap.ROUTINE_LIMIT: 105, Cap.OVER_CAP: 185,
                         Cap.IN_PERIOD: 140, Cap.INTERVAL_SECONDS: 95, Cap.FITS_WINDOW: 95})

st.divider()
# ---- Teste de remetente (carteiro/sender/smtp + carteiro/sender/history) -----------------------
st.subheader("Testar remetente de e-mail")
st.caption("Envia um e-mail de teste como o botão «Remetente de Email > Ações > Testar» do "
           "ERP e mostra cada etapa. Um teste que falha torna o remetente indisponível "
           "(condição 2) para as faturas com envio a partir do dia do teste, até um teste dar "
           "certo; uma falha ao alcançar o servidor só conta se você confirmar que ela reflete "
           "o remetente do ERP.")
_sender_test_widget.render(ctx)

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
             key="cfg_routines")

st.subheader("Remetentes de e-mail")
st.caption(f"Onde: {REASON_BY_CODE['sender_unavailable'].menu_path}")
common.table(settings_view.senders_view(audit), settings_view.SENDER_HEADERS,
             ids=[settings_view.SenderRow.ID, settings_view.SenderRow.PORT], key="cfg_senders")

st.subheader("Formas de cobrança")
st.caption(f"Onde: {REASON_BY_CODE['method_without_rules'].menu_path} (regras) e "
           "Forma de Cobrança > Status do Serviço para Envio")
common.table(settings_view.methods_view(audit), settings_view.METHOD_HEADERS,
             ids=[settings_view.MethodRow.ID],
             integers=[settings_view.MethodRow.ACTIVE_RULES, settings_view.MethodRow.INVOICES,
                       settings_view.MethodRow.ELIGIBLE],
             key="cfg_methods")
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
                                                step=100, key="cfg_cap_custom"))
else:
    daily_cap = capacity_view.DAILY_CAPS.get(cap_choice)
plan = common.capacity_table(ctx, daily_cap)
for sentence in capacity_view.capacity_summary(plan):
    st.markdown(f"- {access.text(sentence)}")
if not plan.empty:
    st.plotly_chart(capacity_view.capacity_figure(plan), width="stretch",
                    config=common.PLOTLY_CONFIG, key="cfg_capacity_chart")
    st.caption("Dias mais carregados")
    common.table(capacity_view.busiest_days(plan), capacity_view.CAPACITY_HEADERS,
                 dates=[capacity_view.Capacity.SEND_DATE],
                 integers=[capacity_view.Capacity.NOTICES, capacity_view.Capacity.SECONDS_NEEDED,
                           capacity_view.Capacity.ROUTINE_LIMIT],
                 key="cfg_capacity_days")

st.divider()
# ---- Teste de remetente (carteiro/sender/smtp + carteiro/sender/history) -----------------------
st.subheader("Testar remetente de e-mail")
st.caption("Envia um e-mail de teste como o botão «Remetente de Email > Ações > Testar» do "
           "ERP e mostra cada etapa. Um teste que falha torna o remetente indisponível "
           "(condição 2) para as faturas com envio a partir do dia do teste, até um teste dar "
           "certo; uma falha ao alcançar o servidor só conta se você confirmar que ela reflete "
           "o remetente do ERP.")
_sender_test_widget.render(ctx)

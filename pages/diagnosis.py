"""Diagnóstico: one customer — the nine conditions with ✅/❌, what each failure means and
where to fix it in the ERP, its invoices and expected send dates, its recipients and the
latest rows of the ERP's e-mail log."""

from __future__ import annotations

import streamlit as st

from carteiro import access
from carteiro import formatting as fmt
from carteiro.errors import CarteiroError
from carteiro.rules.catalogue import CONDITIONS_IN_WORDS, COVERAGE_LABELS
from carteiro.views import diagnosis as diagnosis_view
from carteiro.views import labels as labels_view
from carteiro.views import non_recipients as non_recipients_view
from pages import _common as common

ctx = common.context()
audit = ctx.audit
index = common.customer_index(ctx)

st.title("Diagnóstico de um cliente")
query = st.text_input("Buscar cliente", key=common.K_DIAG_QUERY,
                      placeholder="ID, nome, CPF/CNPJ (com ou sem pontuação) ou e-mail",
                      icon=":material/search:")

customer_id: int | None = None
if query and query.strip():
    found = non_recipients_view.search_customers(index, query)
    if found.empty:
        st.warning(f"Nenhum cliente encontrado para «{access.text(query)}».")
        st.stop()
    ids = [int(i) for i in found[non_recipients_view.Cust.ID]]
    labels = {int(r[non_recipients_view.Cust.ID]): non_recipients_view.customer_choice_label(r)
              for r in found.to_dict("records")}
    if len(ids) == 1:
        customer_id = ids[0]
    else:
        more = " (os primeiros)" if len(ids) == non_recipients_view.SEARCH_RESULT_LIMIT else ""
        customer_id = st.selectbox(f"{fmt.integer(len(ids))} clientes encontrados{more}", ids,
                                   format_func=labels.get, key="diag_pick")
else:
    remembered = st.session_state.get(common.K_DIAG_CUSTOMER)
    customer_id = int(remembered) if remembered is not None else None

if customer_id is None:
    st.info("Busque um cliente pelo ID, nome, CPF/CNPJ ou e-mail, ou selecione-o na página "
            "«Não recebem».", icon="🔎")
    st.stop()
st.session_state[common.K_DIAG_CUSTOMER] = customer_id

d = diagnosis_view.diagnosis(audit, customer_id)
st.header(access.text(d.name) or f"Cliente {d.customer_id}", anchor=False)  # no name in URLs
facts = [f"ID {d.customer_id}"]
if d.document:
    facts.append(f"CPF/CNPJ {d.document}")
if d.city:
    facts.append(d.city)
if d.active is not None:
    facts.append("cadastro ativo" if d.active else "cadastro inativo")
st.caption(" · ".join(access.text(fact) for fact in facts))
if not d.known:
    st.warning("Este cliente não existe na tabela de clientes do ERP, mas tem faturas no "
               "período (veja a página «Dados»).")

if not d.in_scope:
    st.info(f"O cliente não tem fatura não cancelada com vencimento entre "
            f"{ctx.period.label()}: não há aviso de cobrança a enviar neste período. "
            "Escolha outro período na barra lateral.", icon="📭")
else:
    eligible = int((d.invoices[diagnosis_view.InvoiceView.ELIGIBLE] == labels_view.ICON_OK).sum())
    cols = st.columns(4)
    cols[0].metric("Situação", COVERAGE_LABELS.get(d.coverage or "", "—"), border=True)
    cols[1].metric("Faturas no período", fmt.integer(len(d.invoices)), border=True)
    cols[2].metric("Faturas com aviso", fmt.integer(eligible), border=True)
    cols[3].metric("Em aberto sem aviso", fmt.money(d.amount_without_notice), border=True)

    st.subheader(f"As {CONDITIONS_IN_WORDS}")
    if not d.failing:
        st.success("Todas as condições passam: as faturas do período recebem o aviso.",
                   icon="✅")
    with st.container(border=True):
        for check in d.checklist.to_dict("records"):
            line = f"{check[diagnosis_view.Check.ICON]} **{check[diagnosis_view.Check.NUMBER]}. " \
                   f"{check[diagnosis_view.Check.LABEL]}** — " \
                   f"{access.text(check[diagnosis_view.Check.DETAIL])}"
            if check[diagnosis_view.Check.STATE] == diagnosis_view.STATE_FAIL:
                line += (f"  \n{check[diagnosis_view.Check.EXPLANATION]}  \n"
                         f"Onde corrigir: **{check[diagnosis_view.Check.MENU_PATH]}**")
            st.markdown(line)

    st.subheader("Faturas no período")
    common.table(d.invoices, diagnosis_view.INVOICE_HEADERS,
                 money=[diagnosis_view.InvoiceView.AMOUNT],
                 dates=[diagnosis_view.InvoiceView.DUE_DATE, diagnosis_view.InvoiceView.PAID_ON],
                 ids=[diagnosis_view.InvoiceView.ID, diagnosis_view.InvoiceView.SERVICE_ID],
                 key="diag_invoices")

    st.subheader("Datas de envio esperadas")
    if d.send_dates.empty:
        st.caption("A forma de cobrança destas faturas não tem regra de e-mail ativa: "
                   "nenhum envio é programado.")
    else:
        st.caption("Uma linha por fatura e regra ativa da sua forma de cobrança (vencimento "
                   "+ dias da regra). O aviso só sai se a fatura estiver em aberto no dia e "
                   f"passar nas {CONDITIONS_IN_WORDS}.")
        common.table(d.send_dates, diagnosis_view.SEND_HEADERS,
                     dates=[diagnosis_view.SendView.SEND_DATE],
                     ids=[diagnosis_view.SendView.INVOICE_ID], key="diag_send_dates")

st.subheader("Destinatários")
if d.recipients.empty:
    st.warning("O cliente não tem e-mail no cadastro nem contatos.")
else:
    common.table(d.recipients, diagnosis_view.RECIPIENT_HEADERS, key="diag_recipients")

st.subheader("Últimos e-mails enviados (registro do ERP)")
try:
    history = diagnosis_view.email_log_view(common.email_log(ctx, customer_id))
except CarteiroError as err:
    st.warning(f"Não foi possível ler o registro de e-mails: {access.text(err)}")
else:
    if history.empty:
        st.caption("Nenhum e-mail registrado para este cliente.")
    else:
        common.table(history, diagnosis_view.LOG_HEADERS, ids=[diagnosis_view.LogView.INVOICE_ID],
                     key="diag_log", column_config={
                         diagnosis_view.LogView.SENT_AT: st.column_config.DatetimeColumn(
                             format="DD/MM/YYYY HH:mm"),
                     })

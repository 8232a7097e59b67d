"""Diagnóstico: one customer — the nine conditions with ✅/❌, what each failure means and
where to fix it in the ERP, its invoices and expected send dates, its recipients and the
latest rows of the ERP's e-mail log."""

from __future__ import annotations

import streamlit as st

from carteiro import access
from carteiro import formatting as fmt
from carteiro.errors import CarteiroError
from carteiro.rules.catalogue import CONDITIONS_IN_WORDS, COVERAGE_LABELS
from carteiro.views import deliveries as deliveries_view
from carteiro.views import diagnosis as diagnosis_view
from carteiro.views import labels as labels_view
from carteiro.views import non_recipients as non_recipients_view
from pages import _common as common
from pages import _url as url_state

ctx = common.context()
audit = ctx.audit
index = common.customer_index(ctx)

st.title("Diagnóstico de um cliente")
K_PICK = "diag_pick"


def new_search() -> None:
    """A new search replaces the old result: nothing is diagnosed until it says whom."""
    st.session_state.pop(common.K_DIAG_CUSTOMER, None)
    st.session_state.pop(K_PICK, None)


query = st.text_input("Buscar cliente", key=common.K_DIAG_QUERY, live="400ms",
                      on_change=new_search,
                      placeholder="ID, nome, CPF/CNPJ ou e-mail",
                      icon=":material/search:")

remembered = st.session_state.get(common.K_DIAG_CUSTOMER)
customer_id: int | None = int(remembered) if isinstance(remembered, int) else None
if query and query.strip():
    found = non_recipients_view.search_customers(index, query)
    if found.empty:
        st.warning(f"Nenhum cliente encontrado para «{access.text(query)}».")
        url_state.publish()
        st.stop()
    ids = [int(i) for i in found[non_recipients_view.Cust.ID]]
    if len(ids) == 1:
        customer_id = ids[0]
    else:  # several: the person chooses (never a silent pick)
        labels = {int(r[non_recipients_view.Cust.ID]):
                  non_recipients_view.customer_choice_label(r)
                  for r in found.to_dict("records")}
        more = (" (os primeiros)" if len(ids) == non_recipients_view.SEARCH_RESULT_LIMIT
                else "")
        customer_id = st.selectbox(
            f"{fmt.plural(len(ids), 'cliente encontrado', 'clientes encontrados')}{more}: "
            "escolha qual diagnosticar", ids,
            index=ids.index(customer_id) if customer_id in ids else None,
            format_func=labels.get, key=K_PICK, placeholder="Escolha o cliente…")

if customer_id is None:
    st.session_state.pop(common.K_DIAG_CUSTOMER, None)
    url_state.publish()
    if not (query and query.strip()):
        st.info("Busque um cliente pelo ID, nome, CPF/CNPJ ou e-mail, ou selecione-o na "
                "página «Não recebem».", icon="🔎")
    st.stop()
st.session_state[common.K_DIAG_CUSTOMER] = customer_id
url_state.publish()

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
if not d.known and not d.in_scope:
    st.warning(f"Nenhum cliente com o id {d.customer_id} no ERP.")
    st.stop()
if not d.known:
    st.warning("Este cliente não existe na tabela de clientes do ERP, mas tem faturas no "
               "período (veja a página «Dados»).")

if not d.in_scope:
    st.info(f"O cliente não tem fatura não cancelada com vencimento de "
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
                changes = d.fixes.get(str(check[diagnosis_view.Check.CODE]), ())
                if changes:
                    line += "  \nO que mudar:\n" + "".join(
                        f"\n- {access.text(change)}" for change in changes)
            st.markdown(line)

    st.subheader("Faturas no período")
    Inv = diagnosis_view.InvoiceView
    common.table(d.invoices, diagnosis_view.INVOICE_HEADERS, money=[Inv.AMOUNT],
                 dates=[Inv.DUE_DATE, Inv.PAID_ON], ids=[Inv.ID, Inv.SERVICE_ID],
                 key="diag_invoices", wrap=True,
                 primary=(Inv.ID, Inv.DUE_DATE, Inv.AMOUNT, Inv.STATUS, Inv.METHOD,
                          Inv.SERVICE_STATUS, Inv.ELIGIBLE, Inv.REASONS),
                 widths={Inv.ID: 70, Inv.DUE_DATE: 100, Inv.AMOUNT: 100, Inv.STATUS: 90,
                         Inv.PAID_ON: 100, Inv.METHOD: 140, Inv.SERVICE_ID: 70,
                         Inv.SERVICE_STATUS: 140, Inv.ELIGIBLE: 100, Inv.REASONS: 220})

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
                     ids=[diagnosis_view.SendView.INVOICE_ID], key="diag_send_dates",
                     wrap=True,
                     widths={diagnosis_view.SendView.INVOICE_ID: 70,
                             diagnosis_view.SendView.SEND_DATE: 110,
                             diagnosis_view.SendView.WHEN: 180,
                             diagnosis_view.SendView.SUBJECT: 300,
                             diagnosis_view.SendView.OPEN: 165,
                             diagnosis_view.SendView.SENT: 125})

    st.subheader("Entregas: envios esperados e log do ERP")
    as_of = url_state.as_of()
    delivered = common.delivery_or_error(ctx, as_of)
    if delivered is not None:
        st.caption(f"Log de envios registrado antes de {as_of:%d/%m/%Y} (a data de referência "
                   "muda na página «Entregas»).")
        Deliv = deliveries_view.InvoiceDelivery
        per_invoice = deliveries_view.customer_invoices(delivered, customer_id)
        common.table(per_invoice, deliveries_view.INVOICE_DELIVERY_HEADERS,
                     ids=[Deliv.INVOICE_ID], integers=[Deliv.LOG_ROWS],
                     key="diag_delivery", wrap=True,
                     widths={Deliv.INVOICE_ID: 65, Deliv.STATUS: 110, Deliv.EXPECTED: 150,
                             Deliv.LOG_ROWS: 70, Deliv.ERROR_KIND: 140, Deliv.ERROR: 220,
                             Deliv.WHAT_TO_DO: 205})
        matched = deliveries_view.customer_log_match(delivered,
                                                     per_invoice[Deliv.INVOICE_ID])
        if matched.empty:
            st.caption("Nenhum envio esperado nem registrado no log para estas faturas.")
        else:
            Match = deliveries_view.LogMatch
            st.caption("Cada data de envio esperada ao lado dos registros do log da fatura "
                       "naquele dia; registros em dias sem envio esperado também aparecem.")
            common.table(matched, deliveries_view.LOG_MATCH_HEADERS, ids=[Match.INVOICE_ID],
                         dates=[Match.DAY], key="diag_delivery_log", wrap=True,
                         widths={Match.INVOICE_ID: 65, Match.DAY: 95, Match.EXPECTED: 100,
                                 Match.RESULT: 150, Match.ERROR_KIND: 140, Match.ERROR: 250,
                                 Match.ADDRESS: 160})

st.subheader("Destinatários")
if d.recipients.empty:
    st.warning("O cliente não tem e-mail no cadastro nem contatos.")
else:
    Rec = diagnosis_view.RecipientView
    common.table(d.recipients, diagnosis_view.RECIPIENT_HEADERS, key="diag_recipients",
                 wrap=True,  # long names and fields holding several addresses: nothing cut
                 widths={Rec.ORIGIN: 125, Rec.NAME: 205, Rec.EMAIL: 265, Rec.ALLOWS: 185,
                         Rec.VALID: 115, Rec.RECEIVES: 65})

st.subheader("Últimos e-mails enviados (registro do ERP)")
try:
    history = diagnosis_view.email_log_view(common.email_log(ctx, customer_id))
except CarteiroError as err:
    st.warning(f"Não foi possível ler o registro de e-mails: {access.text(err)}")
else:
    if history.empty:
        st.caption("Nenhum e-mail registrado para este cliente.")
    else:
        Log = diagnosis_view.LogView
        common.table(history, diagnosis_view.LOG_HEADERS, ids=[Log.INVOICE_ID],
                     moments=[Log.SENT_AT], key="diag_log", wrap=True,
                     widths={Log.SENT_AT: 130, Log.ADDRESS: 260, Log.DOCUMENT_TYPE: 90,
                             Log.INVOICE_ID: 70, Log.ACCEPTED: 90, Log.ERROR: 300})

"""Entregas: what the ERP's routine actually did with the billing notices of the period — the
send log (``email_enviado``) against the expected send dates, as known at the start of an
as-of date (the contract's send-log section; views in ``carteiro/views/deliveries.py``)."""

from __future__ import annotations

import streamlit as st

from carteiro import export
from carteiro.views import deliveries as view
from carteiro.views import delivery_figures as figures
from carteiro.views import links
from carteiro.views import tables as tables_view
from pages import _common as common
from pages import _downloads as downloads
from pages import _url as url_state

LONG_TABLE_HEIGHT = 440  # px: wrapped rows (up to three lines), the table scrolls inside
LONG_TABLE_ROWS = tables_view.TABLE_ROW_LIMIT

ctx = common.context()
today = url_state.provider_today()

st.title("Entregas dos avisos de cobrança")
if common.K_AS_OF not in st.session_state:
    st.session_state[common.K_AS_OF] = today
as_of = st.columns([1, 3])[0].date_input(
    "Data de referência", key=common.K_AS_OF, format="DD/MM/YYYY",
    min_value=links.FIRST_DAY, max_value=links.last_day(today),
    help="O log de envios é lido como estava no início deste dia: envios com data igual ou "
         "posterior ainda não contam, e datas de envio a partir dela estão agendadas.")
url_state.publish()
st.caption(f"Faturas com vencimento de {ctx.period.label()} · log de envios do ERP registrado "
           f"antes de {as_of:%d/%m/%Y}")

if ctx.audit.invoices.empty:
    common.no_invoices_notice(ctx)
    st.stop()
delivery = common.delivery_or_error(ctx, as_of)
if delivery is None:
    st.stop()

cards = view.summary(delivery)
for row in (cards[:3], cards[3:]):
    for column, card in zip(st.columns(len(row)), row, strict=True):
        column.metric(card.label, card.value, help=card.help, border=True)

st.subheader("Previstos, enviados e com falha por dia")
days = view.days_table(delivery)
silent = view.silent_days_text(delivery)
if silent:
    st.markdown(f":red[**{view.DAY_WITHOUT_SENDS_LABEL}:** {silent}.] A rotina não rodou, ou "
                "não conseguiu tentar nada: confira a rotina de envio no ERP.")
st.caption("Previstos: datas de envio das faturas elegíveis. Enviados e com falha: registros "
           "do log do ERP naquele dia (uma fatura pode ter várias tentativas).")
st.plotly_chart(figures.delivery_days_figure(days), width="stretch",
                config=common.PLOTLY_CONFIG, key="chart_delivery_days")
with st.expander("Tabela por dia"):
    common.table(days, view.DAY_HEADERS, dates=[view.DayRow.DAY], key="table_delivery_days",
                 integers=[view.DayRow.EXPECTED, view.DayRow.SENT, view.DayRow.FAILED])

Cat = view.CatalogueRow
catalogue_widths = {Cat.NUMBER: 40, Cat.LABEL: 165, Cat.INVOICES: 70, Cat.SHARE: 85,
                    Cat.MEANING: 300, Cat.WHERE: 295}  # fits the page's 978 px at 1440 px
st.subheader("Situação das faturas")
statuses = view.status_table(delivery)
st.plotly_chart(figures.catalogue_figure(statuses, colors=figures.STATUS_COLORS),
                width="stretch", config=common.PLOTLY_CONFIG, key="chart_delivery_status")
common.table(statuses.drop(columns=[Cat.CODE]), view.STATUS_HEADERS, percent=[Cat.SHARE],
             integers=[Cat.INVOICES], key="table_delivery_status", wrap=True,
             widths=catalogue_widths)

st.subheader("Falhas por tipo de erro")
kinds = view.error_kind_table(delivery)
st.caption("O tipo de erro vem da mensagem da última tentativa de cada fatura com falha.")
st.plotly_chart(figures.catalogue_figure(kinds, what="Faturas com falha",
                                         empty="Nenhuma fatura com falha"),
                width="stretch", config=common.PLOTLY_CONFIG, key="chart_delivery_kinds")
common.table(kinds.drop(columns=[Cat.CODE]), view.ERROR_KIND_HEADERS, percent=[Cat.SHARE],
             integers=[Cat.INVOICES], key="table_delivery_kinds", wrap=True,
             widths=catalogue_widths)

st.subheader("Endereços que continuam falhando")
addresses = common.failing_addresses(ctx, delivery)
Addr = view.AddressRow
if addresses.empty:
    st.success("Nenhum endereço com duas ou mais falhas sem nenhum envio aceito.", icon="✅")
else:
    st.caption("Endereços com duas ou mais tentativas recusadas e nenhuma aceita: contatos "
               "que o suporte deve corrigir. Selecione uma linha para abrir o cliente no "
               "«Diagnóstico».")
    downloads.button(st, "Baixar CSV dos endereços",
                     lambda: export.to_excel_csv(addresses, view.ADDRESS_HEADERS),
                     file_name=f"enderecos_com_falha_{as_of:%Y-%m-%d}.csv", mime="text/csv",
                     key="download_failing_addresses")
    if len(addresses) > LONG_TABLE_ROWS:
        st.caption(f"Mostrando os {LONG_TABLE_ROWS:,} endereços com mais falhas; o CSV traz "
                   "todos.".replace(",", "."))
    picked = common.selected_row(common.table(
        addresses.head(LONG_TABLE_ROWS), view.ADDRESS_HEADERS, ids=[Addr.CUSTOMER_ID],
        dates=[Addr.FIRST_FAILURE, Addr.LAST_FAILURE], key="table_failing_addresses",
        selectable=True, wrap=True, height=LONG_TABLE_HEIGHT,
        primary=(Addr.ADDRESS, Addr.CUSTOMER_ID, Addr.CUSTOMER, Addr.FAILURES,
                 Addr.LAST_ERROR_KIND, Addr.LAST_ERROR, Addr.ERP_PATH),
        widths={Addr.ADDRESS: 190, Addr.CUSTOMER_ID: 65, Addr.CUSTOMER: 145,
                Addr.FAILURES: 55, Addr.LAST_ERROR_KIND: 130, Addr.LAST_ERROR: 215,
                Addr.ERP_PATH: 140}))
    if picked is not None and not addresses[Addr.CUSTOMER_ID].isna().iloc[picked]:
        common.open_diagnosis(int(addresses[Addr.CUSTOMER_ID].iloc[picked]))

st.subheader("Faturas enviadas sem ser elegíveis")
sent = view.sent_while_ineligible_table(delivery)
Inel = view.IneligibleRow
if sent.empty:
    st.success("Nenhuma fatura enviada sem ser elegível.", icon="✅")
else:
    st.caption("Faturas que hoje não passam nas nove condições, mas têm um envio aceito: a "
               "configuração mudou depois do envio, ou o ERP segue uma regra que os dados não "
               "mostram. Selecione uma linha para abrir o cliente no «Diagnóstico».")
    if len(sent) > LONG_TABLE_ROWS:
        st.caption(f"Mostrando as primeiras {LONG_TABLE_ROWS:,} faturas.".replace(",", "."))
    picked = common.selected_row(common.table(
        sent.head(LONG_TABLE_ROWS), view.INELIGIBLE_HEADERS,
        ids=[Inel.INVOICE_ID, Inel.CUSTOMER_ID],
        dates=[Inel.DUE_DATE, Inel.LAST_LOG_DATE], key="table_sent_while_ineligible",
        selectable=True, wrap=True, height=LONG_TABLE_HEIGHT,
        primary=(Inel.INVOICE_ID, Inel.CUSTOMER_ID, Inel.CUSTOMER, Inel.DUE_DATE,
                 Inel.PRIMARY_REASON, Inel.LAST_LOG_DATE, Inel.WHERE),
        widths={Inel.INVOICE_ID: 65, Inel.CUSTOMER_ID: 65, Inel.CUSTOMER: 160,
                Inel.DUE_DATE: 95, Inel.PRIMARY_REASON: 210, Inel.LAST_LOG_DATE: 105,
                Inel.WHERE: 240}))
    if picked is not None:
        common.open_diagnosis(int(sent[Inel.CUSTOMER_ID].iloc[picked]))

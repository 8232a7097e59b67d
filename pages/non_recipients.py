"""Não recebem (support): customers not covered or partial, searchable and filterable;
selecting a row opens its diagnosis; the filtered rows export to CSV and Excel."""

from __future__ import annotations

import streamlit as st

from carteiro import export
from carteiro import formatting as fmt
from carteiro.rules.catalogue import COVERAGE_LABELS, REASON_BY_CODE, REASON_LABELS
from carteiro.views import labels as labels_view
from carteiro.views import non_recipients as non_recipients_view
from carteiro.views import tables as tables_view
from pages import _common as common
from pages import _downloads as downloads
from pages import _url as url_state

ctx = common.context()
data = common.support_data(ctx)
options = non_recipients_view.filter_options(data)

st.title("Clientes que não recebem o aviso")
st.caption(f"Clientes sem cobertura ou com cobertura parcial nas faturas de "
           f"{ctx.period.label()}.")

if data.table.empty:
    if ctx.audit.invoices.empty:
        common.no_invoices_notice(ctx)
    else:
        st.success("Nenhum cliente sem cobertura no período: todas as faturas recebem aviso.",
                   icon="🎉")
    st.stop()

# Values from a link, or chosen for another period, may not exist in this one.
where = ctx.period.label()
for key, allowed, what, label in (
        (common.K_NR_REASONS, options.reasons, "Motivo", REASON_LABELS.get),
        (common.K_NR_METHODS, options.methods, "Forma de cobrança", str),
        (common.K_NR_STATUSES, options.statuses, "Status do serviço", str),
        (common.K_NR_CITIES, options.cities, "Cidade", str),
        (common.K_NR_COVERAGE, options.coverage, "Situação", COVERAGE_LABELS.get)):
    url_state.keep_options(key, allowed, what, where, label)

combination = st.session_state.get(common.K_NR_COMBINATION)
if combination is not None:
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.info(f"Só os clientes com exatamente estes motivos: "
              f"**{labels_view.combination_label(combination)}**", icon="🔎")
    if right.button("Mostrar todos", key="clear_combination", width="stretch"):
        st.session_state[common.K_NR_COMBINATION] = None
        st.rerun()

query = st.text_input("Buscar", key=common.K_NR_QUERY, live="400ms",
                      placeholder="Nome, CPF/CNPJ, ID ou e-mail",
                      icon=":material/search:")
columns = st.columns(5)
choose = {"select_all": False}  # no English «Select all» in the list
reasons = columns[0].multiselect("Motivo", options.reasons, key=common.K_NR_REASONS,
                                 format_func=REASON_LABELS.get, placeholder="Todos", **choose)
methods = columns[1].multiselect("Forma de cobrança", options.methods,
                                 key=common.K_NR_METHODS, placeholder="Todas", **choose)
statuses = columns[2].multiselect("Status do serviço", options.statuses,
                                  key=common.K_NR_STATUSES, placeholder="Todos", **choose)
cities = columns[3].multiselect("Cidade", options.cities, key=common.K_NR_CITIES,
                                placeholder="Todas", **choose)
coverage = columns[4].multiselect("Situação", options.coverage, key=common.K_NR_COVERAGE,
                                  format_func=COVERAGE_LABELS.get, placeholder="Todas",
                                  **choose)
url_state.publish()
if len(reasons) == 1:  # arriving from «Motivos»: what the reason means and where to fix it
    reason = REASON_BY_CODE[reasons[0]]
    st.caption(f"**{reason.number}. {reason.label}** — {reason.explanation} "
               f"Onde corrigir: **{reason.menu_path}**")

filters = non_recipients_view.Filters(
    query=query or "", reasons=tuple(reasons), methods=tuple(methods), statuses=tuple(statuses),
    cities=tuple(cities), coverage=tuple(coverage), combination=combination)
rows = non_recipients_view.apply_filters(data, filters)
total = len(data.table)

if rows.empty:
    st.info("Nenhum cliente corresponde à busca e aos filtros.", icon="🔍")
    st.stop()

shown = rows.head(tables_view.TABLE_ROW_LIMIT)
summary = f"**{fmt.integer(len(rows))}** de {fmt.plural(total, 'cliente')}"
if len(rows) > len(shown):
    summary += (f" — a tabela mostra os primeiros {fmt.integer(len(shown))}; "
                "a exportação inclui todos")
amount = float(rows[non_recipients_view.Cust.AMOUNT].sum())
summary += f" · em aberto sem aviso: **{fmt.money(amount)}**"
st.markdown(summary)
st.caption("Selecione uma linha para abrir o diagnóstico do cliente.")

Cust = non_recipients_view.Cust
event = common.table(
    non_recipients_view.export_frame(shown), non_recipients_view.SUPPORT_HEADERS,
    money=[Cust.AMOUNT], ids=[Cust.ID], dates=[Cust.FIRST_DUE], key="nr_table",
    selectable=True, height=460, primary=non_recipients_view.SUPPORT_KEY_COLUMNS,
    widths={Cust.NAME: 230, Cust.COVERAGE: 95, Cust.PRIMARY: 230, Cust.AMOUNT: 175,
            Cust.ID: 60, Cust.REASONS: "large", Cust.EMAILS: "large"},
    column_config={
        Cust.INVOICES: st.column_config.Column(width=70, help="Faturas no período"),
        Cust.ELIGIBLE: st.column_config.Column(width=80, help="Faturas que recebem o aviso"),
        Cust.FIRST_DUE: st.column_config.Column(
            width=170, help="O vencimento mais antigo, no período, entre as faturas do "
            "cliente que não recebem o aviso"),
    },
)
picked = common.selected_row(event)
if picked is not None:
    common.open_diagnosis(int(shown[Cust.ID].iloc[picked]))

stem = f"carteiro-nao-recebem-{ctx.period.start:%Y-%m-%d}-a-{ctx.period.end:%Y-%m-%d}"
count = fmt.plural(len(rows), "cliente")
buttons = st.container(horizontal=True)
downloads.button(
    buttons, f"Baixar CSV ({count})",
    lambda: export.to_excel_csv(non_recipients_view.export_frame(rows),
                                non_recipients_view.SUPPORT_HEADERS),
    file_name=f"{stem}.csv", mime="text/csv", key="download_csv",
)
downloads.button(
    buttons, f"Baixar Excel ({count})",
    lambda: export.to_xlsx(non_recipients_view.export_frame(rows),
                           non_recipients_view.SUPPORT_HEADERS, sheet="Não recebem",
                           money=[Cust.AMOUNT]),
    file_name=f"{stem}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="download_xlsx",
)

"""Não recebem (support): customers not covered or partial, searchable and filterable;
selecting a row opens its diagnosis; the filtered rows export to CSV and Excel."""

from __future__ import annotations

import streamlit as st

from carteiro import export
from carteiro import formatting as fmt
from carteiro.rules.catalogue import COVERAGE_LABELS, REASON_LABELS
from carteiro.views import labels as labels_view
from carteiro.views import non_recipients as non_recipients_view
from carteiro.views import tables as tables_view
from pages import _common as common
from pages import _downloads as downloads

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

# Values chosen for another period may not exist in this one.
for key, allowed in ((common.K_NR_REASONS, options.reasons),
                     (common.K_NR_METHODS, options.methods),
                     (common.K_NR_STATUSES, options.statuses),
                     (common.K_NR_CITIES, options.cities),
                     (common.K_NR_COVERAGE, options.coverage)):
    if key in st.session_state:
        st.session_state[key] = [v for v in st.session_state[key] or [] if v in allowed]

combination = st.session_state.get(common.K_NR_COMBINATION)
if combination is not None:
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.info(f"Só os clientes com exatamente estes motivos: "
              f"**{labels_view.combination_label(combination)}**", icon="🔎")
    if right.button("Mostrar todos", key="clear_combination", width="stretch"):
        st.session_state[common.K_NR_COMBINATION] = None
        st.rerun()

query = st.text_input("Buscar", key=common.K_NR_QUERY,
                      placeholder="Nome, CPF/CNPJ (com ou sem pontuação), ID ou e-mail",
                      icon=":material/search:")
columns = st.columns(5)
reasons = columns[0].multiselect("Motivo", options.reasons, key=common.K_NR_REASONS,
                                 format_func=REASON_LABELS.get, placeholder="Todos")
methods = columns[1].multiselect("Forma de cobrança", options.methods,
                                 key=common.K_NR_METHODS, placeholder="Todas")
statuses = columns[2].multiselect("Status do serviço", options.statuses,
                                  key=common.K_NR_STATUSES, placeholder="Todos")
cities = columns[3].multiselect("Cidade", options.cities, key=common.K_NR_CITIES,
                                placeholder="Todas")
coverage = columns[4].multiselect("Situação", options.coverage, key=common.K_NR_COVERAGE,
                                  format_func=COVERAGE_LABELS.get, placeholder="Todas")

filters = non_recipients_view.Filters(
    query=query or "", reasons=tuple(reasons), methods=tuple(methods), statuses=tuple(statuses),
    cities=tuple(cities), coverage=tuple(coverage), combination=combination)
rows = non_recipients_view.apply_filters(data, filters)
total = len(data.table)

if rows.empty:
    st.info("Nenhum cliente corresponde à busca e aos filtros.", icon="🔍")
    st.stop()

shown = rows.head(tables_view.TABLE_ROW_LIMIT)
summary = f"**{fmt.integer(len(rows))}** de {fmt.integer(total)} clientes"
if len(rows) > len(shown):
    summary += (f" — a tabela mostra os primeiros {fmt.integer(len(shown))}; "
                "a exportação inclui todos")
amount = float(rows[non_recipients_view.Cust.AMOUNT].sum())
summary += f" · em aberto sem aviso: **{fmt.money(amount)}**"
st.markdown(summary)
st.caption("Selecione uma linha para abrir o diagnóstico do cliente.")

event = common.table(
    non_recipients_view.export_frame(shown), non_recipients_view.SUPPORT_HEADERS,
    money=[non_recipients_view.Cust.AMOUNT], ids=[non_recipients_view.Cust.ID], key="nr_table",
    selectable=True, height=460,
    column_config={
        non_recipients_view.Cust.ID: st.column_config.NumberColumn(format="%d", width=70),
        non_recipients_view.Cust.NAME: st.column_config.TextColumn(width="medium"),
        non_recipients_view.Cust.INVOICES: st.column_config.NumberColumn(
            format="%d", width=70, help="Faturas no período"),
        non_recipients_view.Cust.ELIGIBLE: st.column_config.NumberColumn(
            format="%d", width=80, help="Faturas que recebem o aviso"),
        non_recipients_view.Cust.REASONS: st.column_config.TextColumn(width="large"),
    },
)
picked = common.selected_row(event)
if picked is not None:
    common.open_diagnosis(int(shown[non_recipients_view.Cust.ID].iloc[picked]))

stem = f"carteiro-nao-recebem-{ctx.period.start:%Y-%m-%d}-a-{ctx.period.end:%Y-%m-%d}"
buttons = st.container(horizontal=True)
downloads.button(
    buttons, f"Baixar CSV ({fmt.integer(len(rows))} clientes)",
    lambda: export.to_excel_csv(non_recipients_view.export_frame(rows),
                                non_recipients_view.SUPPORT_HEADERS),
    file_name=f"{stem}.csv", mime="text/csv", key="download_csv",
)
downloads.button(
    buttons, f"Baixar Excel ({fmt.integer(len(rows))} clientes)",
    lambda: export.to_xlsx(non_recipients_view.export_frame(rows),
                           non_recipients_view.SUPPORT_HEADERS, sheet="Não recebem"),
    file_name=f"{stem}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="download_xlsx",
)

"""Motivos: why invoices get no notice — the funnel of the nine conditions, every failing
reason and the most frequent combinations. Selecting a reason or a combination offers those
customers on «Não recebem»."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from carteiro.rules.catalogue import CONDITIONS_IN_WORDS, REASON_BY_CODE
from carteiro.views import figures as figures_view
from carteiro.views import labels as labels_view
from carteiro.views import reasons as reasons_view
from pages import _common as common

ctx = common.context()
audit = ctx.audit

st.title("Por que não recebem")
st.caption(f"Faturas com vencimento de {ctx.period.label()}. As condições seguem a ordem do "
           "artigo de suporte do ERP; cada fatura é checada em todas.")

if audit.invoices.empty:
    common.no_invoices_notice(ctx)
    st.stop()


def chart_code(event: Any) -> str | None:
    """The reason code of the bar clicked in the reasons chart, if any."""
    selection = event.get("selection") if isinstance(event, Mapping) else None
    points = selection.get("points") if isinstance(selection, Mapping) else None
    for point in points or []:
        data = point.get("customdata")
        data = data[0] if isinstance(data, list | tuple) and data else data
        if isinstance(data, str) and data in REASON_BY_CODE:
            return data
    return None


reasons = reasons_view.reason_table(audit)
left, right = st.columns([5, 6], gap="large")
with left:
    st.subheader(f"Funil das {CONDITIONS_IN_WORDS}")
    st.caption("Faturas que restam depois de retirar as que falham em cada condição; a "
               "última barra são as faturas que recebem aviso.")
    st.plotly_chart(figures_view.funnel_figure(reasons_view.funnel(audit)), width="stretch",
                    config=common.PLOTLY_CONFIG, key="chart_funnel")
with right:
    st.subheader("Motivos de falha")
    st.caption("Clique numa barra para ver os clientes com esse motivo.")
    event = st.plotly_chart(figures_view.reasons_figure(reasons), width="stretch",
                            config=common.PLOTLY_CONFIG, key="chart_reasons",
                            on_select="rerun", selection_mode="points")

reason_event = common.table(
    reasons[[reasons_view.ReasonRow.NUMBER, reasons_view.ReasonRow.LABEL,
             reasons_view.ReasonRow.CUSTOMERS, reasons_view.ReasonRow.INVOICES,
             reasons_view.ReasonRow.MENU_PATH]],
    reasons_view.REASON_HEADERS,
    integers=[reasons_view.ReasonRow.CUSTOMERS, reasons_view.ReasonRow.INVOICES],
    key="table_reasons", selectable=True,
)
row = common.selected_row(reason_event)
code = chart_code(event) or (str(reasons[reasons_view.ReasonRow.CODE].iloc[row])
                             if row is not None else None)
if code is not None:
    reason = REASON_BY_CODE[code]
    count = int(reasons.loc[reasons[reasons_view.ReasonRow.CODE] == code,
                            reasons_view.ReasonRow.CUSTOMERS].iloc[0])
    with st.container(border=True):
        st.markdown(f"**{reason.number}. {reason.label}** — {reason.explanation}  \n"
                    f"Onde corrigir: **{reason.menu_path}**")
        if count:
            if st.button(f"Ver {labels_view.customers_phrase(count)} em «Não recebem»",
                         type="primary", icon=":material/arrow_forward:", key="open_reason"):
                common.open_non_recipients(reasons=[code])
        else:
            st.caption("Nenhum cliente falha nesta condição no período.")

st.subheader("Combinações mais frequentes")
combos = reasons_view.combinations(audit)
if combos.empty:
    st.success("Nenhum cliente sem cobertura no período.", icon="🎉")
else:
    st.caption("Cada cliente entra na linha do conjunto exato de motivos das suas faturas. "
               "Selecione uma linha para ver esses clientes.")
    combo_event = common.table(
        combos[[reasons_view.Combination.LABEL, reasons_view.Combination.SIZE,
                reasons_view.Combination.CUSTOMERS, reasons_view.Combination.SHARE,
                reasons_view.Combination.AMOUNT]],
        reasons_view.COMBINATION_HEADERS,
        integers=[reasons_view.Combination.SIZE, reasons_view.Combination.CUSTOMERS],
        percent=[reasons_view.Combination.SHARE], money=[reasons_view.Combination.AMOUNT],
        key="table_combinations", selectable=True,
    )
    picked = common.selected_row(combo_event)
    if picked is not None:
        mask = int(combos[reasons_view.Combination.MASK].iloc[picked])
        customers = int(combos[reasons_view.Combination.CUSTOMERS].iloc[picked])
        if st.button(f"Ver {labels_view.customers_phrase(customers)} com "
                     f"«{labels_view.combination_label(mask)}»", type="primary",
                     icon=":material/arrow_forward:", key="open_combination"):
            common.open_non_recipients(combination=mask)

"""Motivos: why invoices get no notice — the funnel of the nine conditions, every failing
reason and the most frequent combinations. Clicking a bar, or selecting a reason or a
combination, opens those customers on «Não recebem» at once (the issue: the button that
offered them appeared below the screen)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from carteiro.rules.catalogue import CONDITIONS_IN_WORDS, REASON_BY_CODE
from carteiro.views import figures as figures_view
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
    st.caption("Clique numa barra para abrir os clientes com esse motivo em «Não recebem».")
    event = st.plotly_chart(figures_view.reasons_figure(reasons), width="stretch",
                            config=common.PLOTLY_CONFIG, key="chart_reasons",
                            on_select="rerun", selection_mode="points")


def customers_of(code: str) -> int:
    return int(reasons.loc[reasons[reasons_view.ReasonRow.CODE] == code,
                           reasons_view.ReasonRow.CUSTOMERS].iloc[0])


# A bar goes straight to its customers (no button to look for below the chart).
clicked = chart_code(event)
if clicked is not None and customers_of(clicked):
    common.open_non_recipients(reasons=[clicked])

st.caption("Selecione uma linha para abrir os clientes com esse motivo em «Não recebem».")
reason_event = common.table(
    reasons[[reasons_view.ReasonRow.NUMBER, reasons_view.ReasonRow.LABEL,
             reasons_view.ReasonRow.CUSTOMERS, reasons_view.ReasonRow.INVOICES,
             reasons_view.ReasonRow.MENU_PATH]],
    reasons_view.REASON_HEADERS,
    integers=[reasons_view.ReasonRow.CUSTOMERS, reasons_view.ReasonRow.INVOICES],
    key="table_reasons", selectable=True, wrap=True,  # the menu paths are long
    widths={reasons_view.ReasonRow.NUMBER: 40, reasons_view.ReasonRow.LABEL: 280,
            reasons_view.ReasonRow.CUSTOMERS: 80, reasons_view.ReasonRow.INVOICES: 80,
            reasons_view.ReasonRow.MENU_PATH: 400},
)
row = common.selected_row(reason_event)
if row is not None:
    code = str(reasons[reasons_view.ReasonRow.CODE].iloc[row])
    if customers_of(code):
        common.open_non_recipients(reasons=[code])
    reason = REASON_BY_CODE[code]
    st.info(f"**{reason.number}. {reason.label}**: nenhum cliente falha nesta condição no "
            "período.", icon="✅")

st.subheader("Combinações mais frequentes")
combos = reasons_view.combinations(audit)
if combos.empty:
    st.success("Nenhum cliente sem cobertura no período.", icon="🎉")
else:
    st.caption("Cada cliente entra na linha do conjunto exato de motivos das suas faturas. "
               "Selecione uma linha para abrir esses clientes em «Não recebem».")
    combo_event = common.table(
        combos[[reasons_view.Combination.LABEL, reasons_view.Combination.SIZE,
                reasons_view.Combination.CUSTOMERS, reasons_view.Combination.SHARE,
                reasons_view.Combination.AMOUNT]],
        reasons_view.COMBINATION_HEADERS,
        integers=[reasons_view.Combination.SIZE, reasons_view.Combination.CUSTOMERS],
        percent=[reasons_view.Combination.SHARE], money=[reasons_view.Combination.AMOUNT],
        key="table_combinations", selectable=True,
        widths={reasons_view.Combination.LABEL: 420, reasons_view.Combination.SIZE: 75,
                reasons_view.Combination.CUSTOMERS: 80, reasons_view.Combination.SHARE: 150,
                reasons_view.Combination.AMOUNT: 150},
    )
    picked = common.selected_row(combo_event)
    if picked is not None:
        common.open_non_recipients(
            combination=int(combos[reasons_view.Combination.MASK].iloc[picked]))

"""Plotly figures of the dashboard: each builder takes a frame from a view module and
returns a ``go.Figure`` with pt-BR texts and number formats (``1.234,5``, dates ``dd/mm``).

Figures never import Streamlit; the pages pass them to ``st.plotly_chart``. Bars that can be
clicked carry the reason code in ``customdata`` so the page knows what was selected.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from carteiro import formatting as fmt
from carteiro.access import chart_text
from carteiro.views.coverage import BREAKDOWN_HEADERS, Breakdown
from carteiro.views.reasons import REASON_HEADERS, Funnel, ReasonRow

COLOR_OK: Final = "#2e7d32"
COLOR_FAIL: Final = "#c62828"
COLOR_CUSTOMERS: Final = "#1565c0"
COLOR_INVOICES: Final = "#90a4ae"
COLOR_FUNNEL: Final = "#1565c0"
FONT: Final = "Source Sans Pro, sans-serif"
# The stacked bars of the coverage figures: invoices with notice, then without.
NOTICE_BARS: Final = ((Breakdown.ELIGIBLE, COLOR_OK), (Breakdown.NOT_ELIGIBLE, COLOR_FAIL))


def _layout(fig: go.Figure, *, height: int, title: str | None = None) -> go.Figure:
    fig.update_layout(
        separators=",.",  # decimal comma, thousands point
        height=height,
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
        title={"text": title} if title else None,
        font={"family": FONT},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0,
                "traceorder": "normal"},
        hoverlabel={"namelength": -1},
    )
    return fig


def _integers(values: pd.Series | np.ndarray) -> list[str]:
    return [fmt.integer(v) for v in np.asarray(values, dtype=float)]


def empty_figure(message: str, height: int = 220) -> go.Figure:
    """A blank figure that says why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 15})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, height=height)


def coverage_breakdown_figure(frame: pd.DataFrame, *, limit: int = 12) -> go.Figure:
    """Horizontal stacked bars per category (billing method, service status): invoices with
    and without notice, the largest categories on top."""
    if frame.empty:
        return empty_figure("Nenhuma fatura no período")
    top = frame.head(limit).iloc[::-1]
    share = [fmt.percent(s) for s in top[Breakdown.SHARE]]
    custom = np.column_stack([share, _integers(top[Breakdown.INVOICES]),
                              [fmt.money(a) for a in top[Breakdown.AMOUNT]]])
    labels = [chart_text(label) for label in top[Breakdown.LABEL]]  # ERP names: no HTML
    fig = go.Figure()
    for column, color in NOTICE_BARS:
        name = BREAKDOWN_HEADERS[column]
        fig.add_bar(
            y=labels, x=top[column], name=name, orientation="h",
            marker_color=color, customdata=custom,
            hovertemplate=(f"<b>%{{y}}</b><br>{name}: %{{x:,.0f}} de %{{customdata[1]}} "
                           "faturas<br>Cobertura: %{customdata[0]}<br>Em aberto sem aviso: "
                           "%{customdata[2]}<extra></extra>"),
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text=BREAKDOWN_HEADERS[Breakdown.INVOICES], tickformat=",d")
    fig.update_yaxes(automargin=True)
    return _layout(fig, height=max(220, 60 + 34 * len(top)))


def funnel_figure(frame: pd.DataFrame) -> go.Figure:
    """From invoices in scope to eligible, one step per condition in the contract's order."""
    if frame[Funnel.REMAINING].iloc[0] == 0:
        return empty_figure("Nenhuma fatura com vencimento no período")
    removed = [
        "" if step == 0 else f"retiradas nesta etapa: {fmt.integer(r)}"
        for step, r in zip(frame[Funnel.STEP], frame[Funnel.REMOVED], strict=True)
    ]
    fig = go.Figure(go.Funnel(
        y=frame[Funnel.LABEL],
        x=frame[Funnel.REMAINING],
        text=_integers(frame[Funnel.REMAINING]),
        textinfo="text",
        customdata=removed,
        marker={"color": [COLOR_FUNNEL] * (len(frame) - 1) + [COLOR_OK]},
        connector={"line": {"color": "#b0bec5", "width": 1}},
        hovertemplate="<b>%{y}</b><br>Restam %{x:,.0f} faturas<br>%{customdata}<extra></extra>",
    ))
    fig.update_yaxes(automargin=True)
    return _layout(fig, height=460)


def reasons_figure(frame: pd.DataFrame) -> go.Figure:
    """Customers and invoices failing each reason, the contract's order from top to bottom.
    Each bar's ``customdata`` is the reason code (for ``on_select``)."""
    failing = frame[(frame[ReasonRow.CUSTOMERS] > 0) | (frame[ReasonRow.INVOICES] > 0)]
    if failing.empty:
        return empty_figure("Nenhuma condição falha no período: todas as faturas recebem aviso")
    labels = [f"{n}. {label}" for n, label in zip(failing[ReasonRow.NUMBER],
                                                   failing[ReasonRow.LABEL], strict=True)]
    fig = go.Figure()
    for column, color in ((ReasonRow.CUSTOMERS, COLOR_CUSTOMERS),
                          (ReasonRow.INVOICES, COLOR_INVOICES)):
        name = REASON_HEADERS[column]
        fig.add_bar(
            y=labels, x=failing[column], name=name, orientation="h", marker_color=color,
            customdata=failing[ReasonRow.CODE].tolist(),
            text=_integers(failing[column]), textposition="outside", cliponaxis=False,
            hovertemplate=f"<b>%{{y}}</b><br>{name}: %{{x:,.0f}}<extra></extra>",
        )
    fig.update_layout(barmode="group", clickmode="event+select", dragmode=False)
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(tickformat=",d", title_text="Quantidade")
    return _layout(fig, height=max(260, 80 + 58 * len(failing)))

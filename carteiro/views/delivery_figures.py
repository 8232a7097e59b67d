"""Plotly figures of «Entregas» (beside :mod:`carteiro.views.figures`, which they share the
layout and colours with): expected against sent and failed per day, with each day without
sends in red and named; invoices per delivery status; failures per error kind."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from carteiro import formatting as fmt
from carteiro.views.deliveries import (
    DAY_HEADERS,
    DAY_WITHOUT_SENDS_LABEL,
    CatalogueRow,
    DayRow,
)
from carteiro.views.figures import (
    COLOR_FAIL,
    COLOR_INVOICES,
    COLOR_OK,
    _integers,
    _layout,
    empty_figure,
)

COLOR_EXPECTED: Final = "#90caf9"
COLOR_FAILED: Final = "#ef6c00"
COLOR_SILENT: Final = COLOR_FAIL
_DAY_BARS: Final = ((DayRow.EXPECTED, COLOR_EXPECTED), (DayRow.SENT, COLOR_OK),
                    (DayRow.FAILED, COLOR_FAILED))
STATUS_COLORS: Final[dict[str, str]] = {
    "sent": COLOR_OK, "scheduled": COLOR_EXPECTED, "failed": COLOR_FAILED,
    "missing": COLOR_FAIL, "sent_while_ineligible": "#6a1b9a", "not_expected": COLOR_INVOICES,
}


def delivery_days_figure(days: pd.DataFrame) -> go.Figure:
    """Grouped bars per day: expected sends, accepted and failed log rows. A day without
    sends gets a red band and its name above it."""
    if days.empty:
        return empty_figure("Nenhum envio previsto nem registrado no período")
    when = pd.to_datetime(days[DayRow.DAY])
    custom = np.column_stack([[fmt.date(d) for d in when], days[DayRow.NOTE].to_numpy()])
    fig = go.Figure()
    for column, color in _DAY_BARS:
        name = DAY_HEADERS[column]
        fig.add_bar(x=when, y=days[column], name=name, marker_color=color, customdata=custom,
                    hovertemplate=(f"<b>%{{customdata[0]}}</b><br>{name}: %{{y:,.0f}}"
                                   "<br>%{customdata[1]}<extra></extra>"))
    silent = days[days[DayRow.WITHOUT_SENDS].to_numpy(dtype=bool)]
    for day, expected in zip(pd.to_datetime(silent[DayRow.DAY]), silent[DayRow.EXPECTED],
                             strict=True):
        fig.add_vrect(x0=day - pd.Timedelta(hours=12), x1=day + pd.Timedelta(hours=12),
                      fillcolor=COLOR_SILENT, opacity=0.18, line_width=0, layer="below")
        fig.add_annotation(x=day, y=1, yref="paper", yanchor="bottom", showarrow=False,
                           text=f"<b>{DAY_WITHOUT_SENDS_LABEL}</b><br>{fmt.date(day)}: "
                                f"{fmt.integer(int(expected))} previstos",
                           font={"color": COLOR_SILENT, "size": 12},
                           bgcolor="rgba(255,255,255,0.85)")
    fig.update_layout(barmode="group", bargap=0.2, bargroupgap=0.05)
    fig.update_xaxes(tickformat="%d/%m", title_text=DAY_HEADERS[DayRow.DAY])
    fig.update_yaxes(title_text="Avisos", tickformat=",d")
    fig = _layout(fig, height=380)
    fig.update_layout(margin={"t": 70 if len(silent) else 10},
                      legend={"y": 1.12 if len(silent) else 1.02})
    return fig


def catalogue_figure(frame: pd.DataFrame, *, colors: dict[str, str] | None = None,
                     what: str = "Faturas", empty: str = "Nenhuma fatura") -> go.Figure:
    """Horizontal bars of a status or error-kind table (rows with a count), the contract's
    order from top to bottom."""
    shown = frame[frame[CatalogueRow.INVOICES] > 0]
    if shown.empty:
        return empty_figure(empty)
    labels = [f"{n}. {label}" for n, label in zip(shown[CatalogueRow.NUMBER],
                                                   shown[CatalogueRow.LABEL], strict=True)]
    color = [(colors or {}).get(code, COLOR_FAILED) for code in shown[CatalogueRow.CODE]]
    share = ["—" if pd.isna(s) else fmt.percent(s) for s in shown[CatalogueRow.SHARE]]
    fig = go.Figure(go.Bar(
        y=labels, x=shown[CatalogueRow.INVOICES], orientation="h", marker_color=color,
        text=_integers(shown[CatalogueRow.INVOICES]), textposition="outside", cliponaxis=False,
        customdata=share,
        hovertemplate=f"<b>%{{y}}</b><br>{what}: %{{x:,.0f}} (%{{customdata}})<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(tickformat=",d", title_text=what)
    fig = _layout(fig, height=max(200, 70 + 40 * len(shown)))
    fig.update_layout(showlegend=False, margin={"r": 40})
    return fig

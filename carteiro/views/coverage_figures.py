"""Cobertura's time figures: the period's invoices per day, week or month of the due date, and
the monthly trend (coverage %, invoices, open amount without notice). Tick labels carry the
year on the first tick and wherever the year changes («jan<br>2025»)."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from carteiro import formatting as fmt
from carteiro.views.coverage import BREAKDOWN_HEADERS, Breakdown
from carteiro.views.coverage_headline import short_money
from carteiro.views.coverage_trend import Trend
from carteiro.views.figures import (
    COLOR_CUSTOMERS,
    COLOR_FAIL,
    COLOR_INVOICES,
    COLOR_OK,
    NOTICE_BARS,
    _integers,
    _layout,
    empty_figure,
)

MONTHS: Final = ("jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov",
                 "dez")
MAX_TICKS: Final = 6  # a phone (390 px) fits six labels under a chart
BUCKET_WORDS: Final = {"day": "Dia", "week": "Semana de", "month": "Mês"}


def time_ticks(dates: pd.Series | pd.DatetimeIndex, bucket: str) -> tuple[list, list[str]]:
    """At most :data:`MAX_TICKS` ticks: «dd/mm» (days, weeks) or «mmm» (months), the year
    added under the first tick and under each tick whose year differs from the previous one."""
    days = pd.DatetimeIndex(pd.to_datetime(dates))
    if len(days) == 0:
        return [], []
    step = max(1, int(np.ceil(len(days) / MAX_TICKS)))
    chosen = days[::step]
    texts: list[str] = []
    last_year: int | None = None
    for day in chosen:
        text = MONTHS[day.month - 1] if bucket == "month" else f"{day:%d/%m}"
        if day.year != last_year:
            text += f"<br>{day.year}"
            last_year = day.year
        texts.append(text)
    return list(chosen), texts


def _bucket_text(day: pd.Timestamp, bucket: str) -> str:
    if bucket == "month":
        return f"{MONTHS[day.month - 1]}/{day.year}"
    return fmt.date(day)


def coverage_over_time_figure(frame: pd.DataFrame, height: int = 300) -> go.Figure:
    """Stacked bars per day, week or month (``frame[bucket]``): invoices with and without
    notice."""
    if frame.empty or frame[Breakdown.INVOICES].sum() == 0:
        return empty_figure("Nenhuma fatura com vencimento no período", height)
    bucket = str(frame[Breakdown.BUCKET].iloc[0])
    days = pd.to_datetime(frame[Breakdown.DUE_DATE])
    share = [fmt.percent(s) if not pd.isna(s) else "—" for s in frame[Breakdown.SHARE]]
    custom = np.column_stack([[_bucket_text(d, bucket) for d in days], share,
                              _integers(frame[Breakdown.INVOICES])])
    fig = go.Figure()
    for column, color in NOTICE_BARS:
        name = BREAKDOWN_HEADERS[column]
        fig.add_bar(
            x=days, y=frame[column], name=name, marker_color=color, customdata=custom,
            hovertemplate=(f"<b>{BUCKET_WORDS[bucket]} %{{customdata[0]}}</b><br>{name}: "
                           "%{y:,.0f} de %{customdata[2]} faturas<br>Cobertura: "
                           "%{customdata[1]}<extra></extra>"),
        )
    values, texts = time_ticks(days, bucket)
    fig.update_layout(barmode="stack", bargap=0.15)
    fig.update_xaxes(tickvals=values, ticktext=texts, tickangle=0)
    fig.update_yaxes(title_text=BREAKDOWN_HEADERS[Breakdown.INVOICES], tickformat=",d")
    return _layout(fig, height=height)


def monthly_trend_figure(frame: pd.DataFrame, height: int = 300) -> go.Figure:
    """Top: the share of customers and of invoices with notice per month (%). Bottom: the
    month's invoices (bars) and its open amount without notice (R$, right axis)."""
    if frame.empty or frame[Trend.INVOICES].sum() == 0:
        return empty_figure("Nenhuma fatura nos últimos meses", height)
    months = pd.to_datetime(frame[Trend.MONTH])
    label = [_bucket_text(m, "month") for m in months]
    custom = np.column_stack([
        label, [fmt.percent(v) if not pd.isna(v) else "—" for v in frame[Trend.SHARE]],
        [fmt.percent(v) if not pd.isna(v) else "—" for v in frame[Trend.INVOICE_SHARE]],
        _integers(frame[Trend.INVOICES]), [fmt.money(v) for v in frame[Trend.AMOUNT]]])
    hover = ("<b>%{customdata[0]}</b><br>Clientes com aviso: %{customdata[1]}<br>Faturas com "
             "aviso: %{customdata[2]} de %{customdata[3]}<br>Em aberto sem aviso: "
             "%{customdata[4]}<extra></extra>")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.5, 0.5], specs=[[{}], [{"secondary_y": True}]])
    for column, name, dash in ((Trend.SHARE, "Clientes com aviso", "solid"),
                               (Trend.INVOICE_SHARE, "Faturas com aviso", "dot")):
        fig.add_scatter(x=months, y=frame[column] * 100, name=name, mode="lines+markers",
                        line={"color": COLOR_OK, "dash": dash}, customdata=custom,
                        hovertemplate=hover, row=1, col=1)
    fig.add_bar(x=months, y=frame[Trend.INVOICES], name="Faturas", marker_color=COLOR_INVOICES,
                customdata=custom, hovertemplate=hover, row=2, col=1)
    fig.add_scatter(x=months, y=frame[Trend.AMOUNT], name="Em aberto sem aviso",
                    mode="lines+markers", line={"color": COLOR_FAIL}, customdata=custom,
                    hovertemplate=hover, row=2, col=1, secondary_y=True)
    values, texts = time_ticks(months, "month")
    fig.update_xaxes(tickvals=values, ticktext=texts, tickangle=0, row=2, col=1)
    fig.update_yaxes(ticksuffix="%", tickformat=",.1f", row=1, col=1)
    fig.update_yaxes(tickformat=",d", row=2, col=1, secondary_y=False,
                     title_text="Faturas", title_font={"size": 11, "color": COLOR_CUSTOMERS})
    top = float(frame[Trend.AMOUNT].max())
    money_ticks = [0.0, top / 2, top] if top > 0 else [0.0]
    fig.update_yaxes(tickvals=money_ticks, ticktext=[short_money(v) for v in money_ticks],
                     range=[0, top * 1.1 if top > 0 else 1], row=2, col=1, secondary_y=True,
                     showgrid=False)
    fig = _layout(fig, height=height)
    fig.update_layout(legend={"font": {"size": 11}}, margin={"t": 30})
    return fig

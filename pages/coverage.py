"""Cobertura (managers): in the first screen, the share of customers and invoices that get the
billing e-mail (change in percentage points against the previous period), the open amount
without notice as a share of the open amount, the due notices sent, the three biggest reasons
(each opening its customers) and the monthly trend; below, the period by due date and the
breakdowns by billing method and service status."""

from __future__ import annotations

from typing import Any

import streamlit as st

from carteiro import formatting as fmt
from carteiro.views import coverage as coverage_view
from carteiro.views import coverage_figures
from carteiro.views import coverage_headline as headline
from carteiro.views import coverage_trend as trend
from carteiro.views import figures as figures_view
from pages import _common as common
from pages import _coverage_data as coverage_data

ctx = common.context()
audit = ctx.audit
previous_period = trend.previous_or_none(ctx.period)

st.title("Cobertura")
st.caption(f"Vencimentos de {ctx.period.label()} · "
           + (f"variação em p.p. sobre {previous_period.label()}"
              if previous_period else "sem período anterior dentro das datas aceitas"))

if audit.invoices.empty:
    common.no_invoices_notice(ctx)
    st.stop()

data = coverage_data.trend_data(ctx)
previous = data.previous if data is not None else None
views = coverage_data.page_views(ctx)
summary = views.summary
sent = coverage_data.sent_notices(ctx)
metrics = headline.headline_metrics(summary, previous,
                                    sent if isinstance(sent, headline.SentNotices) else None)


def show(metric: coverage_view.MetricView, where: Any) -> None:
    where.metric(metric.label, metric.value, metric.delta, delta_color=metric.delta_color,
                 help=metric.help, border=True)


cards = st.container(horizontal=True, gap="small")  # wraps on a phone
for metric in metrics[:3]:
    show(metric, cards)

left, right = st.columns([1, 1], gap="medium")
with left:
    st.markdown("**Maiores motivos**")
    reasons = views.reasons
    if reasons.empty:
        st.caption("Nenhum cliente deixa de receber o aviso no período.")
    for _, reason in reasons.iterrows():  # at most three rows
        code = str(reason[headline.TopReason.CODE])
        if st.button(headline.reason_button_label(reason), key=f"top_reason_{code}",
                     width="stretch", wrap=True,
                     help="Abre «Não recebem» com os clientes deste motivo."):
            common.open_non_recipients(reasons=[code])
    st.page_link(common.PAGE_MOTIVOS, label="Todos os motivos", icon=":material/list:")
    for metric in metrics[3:]:  # the due notices sent, beside the reasons
        show(metric, st)
    notes = [f"Em aberto sem aviso: {fmt.percent(summary.open_share_without_notice)} do valor em "
             "aberto; a variação compara essa parte (o período anterior já teve mais tempo para "
             "ser pago)."]
    if previous is not None and previous.invoices == 0:
        notes.append("O período anterior não tem faturas: sem variação para comparar.")
    if isinstance(sent, str):
        notes.append(sent)
    st.caption(" ".join(notes))
with right:
    if data is not None:
        months = len(data.months)
        st.markdown(f"**Últimos {months} meses**"
                    + (" (menos meses: ERP grande)" if data.limited else ""))
        st.plotly_chart(coverage_figures.monthly_trend_figure(data.months, height=270),
                        width="stretch", config=common.PLOTLY_CONFIG, key="chart_trend")

over_time = views.over_time
bucket_title = {"day": "dia", "week": "semana", "month": "mês"}[
    str(over_time[coverage_view.Breakdown.BUCKET].iloc[0])]
st.subheader(f"Faturas por {bucket_title} de vencimento")
st.plotly_chart(coverage_figures.coverage_over_time_figure(over_time), width="stretch",
                config=common.PLOTLY_CONFIG, key="chart_due")

breakdown_counts = [coverage_view.Breakdown.INVOICES, coverage_view.Breakdown.ELIGIBLE,
                    coverage_view.Breakdown.NOT_ELIGIBLE, coverage_view.Breakdown.CUSTOMERS]
left, right = st.columns(2, gap="large")
for column, title, headers, frame, key in (
    (left, "Por forma de cobrança", coverage_view.METHOD_BREAKDOWN_HEADERS,
     views.by_method, "method"),
    (right, "Por status do serviço", coverage_view.STATUS_BREAKDOWN_HEADERS,
     views.by_status, "status"),
):
    with column:
        st.subheader(title)
        st.plotly_chart(figures_view.coverage_breakdown_figure(frame), width="stretch",
                        config=common.PLOTLY_CONFIG, key=f"chart_{key}")
        common.table(frame, headers,
                     money=[coverage_view.Breakdown.AMOUNT], integers=breakdown_counts,
                     percent=[coverage_view.Breakdown.SHARE], key=f"table_{key}",
                     primary=[coverage_view.Breakdown.LABEL, coverage_view.Breakdown.INVOICES,
                              coverage_view.Breakdown.SHARE, coverage_view.Breakdown.AMOUNT],
                     widths={coverage_view.Breakdown.LABEL: 160,
                             coverage_view.Breakdown.INVOICES: "small",
                             coverage_view.Breakdown.SHARE: "small",
                             coverage_view.Breakdown.AMOUNT: 130})

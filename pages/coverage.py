"""Cobertura (managers): how many customers and invoices get the billing e-mail, against the
previous period of the same length, and where coverage is lost."""

from __future__ import annotations

import streamlit as st

from carteiro.views import coverage as coverage_view
from carteiro.views import deliveries as deliveries_view
from carteiro.views import figures as figures_view
from pages import _common as common
from pages import _url as url_state

ctx = common.context()
audit = ctx.audit
previous_period = ctx.period.previous()

st.title("Cobertura dos avisos de cobrança")
st.caption(f"Faturas com vencimento de {ctx.period.label()} · variação em relação a "
           f"{previous_period.label()}")

if audit.invoices.empty:
    common.no_invoices_notice(ctx)
    st.stop()

previous = common.previous_audit(ctx)
summary = coverage_view.coverage_summary(audit)
metrics = coverage_view.coverage_metrics(
    summary, coverage_view.coverage_summary(previous) if previous else None)
if previous is not None and previous.invoices.empty:
    st.caption("O período anterior não tem faturas: sem variação para comparar.")

for row in (metrics[:4], metrics[4:]):
    for column, metric in zip(st.columns(len(row)), row, strict=True):
        column.metric(metric.label, metric.value, metric.delta, delta_color=metric.delta_color,
                      help=metric.help, border=True)

delivered = common.delivery_or_error(ctx, url_state.as_of())
if delivered is not None:
    st.markdown(deliveries_view.sent_share_line(delivered))

st.subheader("Cobertura por data de vencimento")
st.plotly_chart(
    figures_view.coverage_by_due_date_figure(coverage_view.coverage_by_due_date(audit)),
    width="stretch", config=common.PLOTLY_CONFIG, key="chart_due")

breakdown_counts = [coverage_view.Breakdown.INVOICES, coverage_view.Breakdown.ELIGIBLE,
                    coverage_view.Breakdown.NOT_ELIGIBLE, coverage_view.Breakdown.CUSTOMERS]
left, right = st.columns(2, gap="large")
for column, title, headers, frame, key in (
    (left, "Por forma de cobrança", coverage_view.METHOD_BREAKDOWN_HEADERS,
     coverage_view.coverage_by_method(audit), "method"),
    (right, "Por status do serviço", coverage_view.STATUS_BREAKDOWN_HEADERS,
     coverage_view.coverage_by_service_status(audit), "status"),
):
    with column:
        st.subheader(title)
        st.plotly_chart(figures_view.coverage_breakdown_figure(frame), width="stretch",
                        config=common.PLOTLY_CONFIG, key=f"chart_{key}")
        common.table(frame, headers,
                     money=[coverage_view.Breakdown.AMOUNT], integers=breakdown_counts,
                     percent=[coverage_view.Breakdown.SHARE], key=f"table_{key}")

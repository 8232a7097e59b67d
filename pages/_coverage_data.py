"""What Cobertura reads beyond the period's audit, kept in the dashboard's memory-bounded cache
(``pages/_common.py``'s ``AUDITS``) as small aggregates only:

* the **earlier months**: one audit of the days before the period (the trend's months and the
  previous period together), reduced at once to the monthly trend and the previous period's
  summary — the earlier audit itself is dropped, never cached;
* the **send log** of the period's invoices, reconciled with the period's audit (already
  loaded: not audited again) into the due notices sent.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from carteiro import access
from carteiro.errors import CarteiroError
from carteiro.rules.audit import run_audit_of_other_period
from carteiro.views import coverage as coverage_view
from carteiro.views import coverage_headline as headline
from carteiro.views import coverage_trend as trend
from pages import _common as common
from pages import _url as url_state

log = logging.getLogger("carteiro.app")


def _load_trend(ctx: common.AppContext) -> trend.TrendData:
    """The trend and the previous period's summary (no Streamlit call: may run in a thread).
    Only the earlier invoices are read: customers and configuration are the period's."""
    plan = trend.plan_trend(ctx.period, len(ctx.audit.invoices))
    earlier = None
    if plan.earlier is not None:
        audit = run_audit_of_other_period(ctx.audit, ctx.source, plan.earlier)
        earlier = trend.slim(audit.invoices)
        del audit
    return trend.trend_data(plan, ctx.audit.invoices, earlier)


def prefetch_trend(ctx: common.AppContext) -> None:
    """Start the trend in the background (``app.py``, once the period's audit is loaded and
    Cobertura is the page): it overlaps with the day alerts' reconciliation. A failure is left
    to :func:`trend_data`, which loads again and explains it."""
    key = ("trend", *ctx.key)
    if key in common.AUDITS:
        return

    def run() -> None:
        try:
            common.AUDITS.get_or_load(key, lambda: _load_trend(ctx))
        except Exception as err:  # the page's own call reports it
            log.info("tendência em segundo plano falhou: %s", err)

    threading.Thread(target=run, name="carteiro-trend", daemon=True).start()


def trend_data(ctx: common.AppContext) -> trend.TrendData | None:
    """The monthly trend and the previous period's summary from one read of the earlier days
    (None, with a pt-BR warning, when that read fails)."""
    try:
        with st.spinner("Carregando os meses anteriores…", show_time=True):
            return common.AUDITS.get_or_load(("trend", *ctx.key), lambda: _load_trend(ctx))
    except CarteiroError as err:
        st.warning(f"Sem comparação com o período anterior nem tendência: {access.text(err)}")
    except Exception:
        log.exception("falha ao ler os meses anteriores")
        st.warning("Sem comparação com o período anterior nem tendência: erro inesperado ao "
                   "ler os meses anteriores (detalhes no log do servidor).")
    return None


def sent_notices(ctx: common.AppContext) -> headline.SentNotices | str:
    """The due notices sent, from the send log as known at the start of the session's as-of
    date (today unless «Entregas» or the link chose another; the same cached reconciliation
    as «Entregas»), or a pt-BR note saying why it could not be read."""
    try:
        with st.spinner("Lendo o log de envios de e-mail…", show_time=True):
            return headline.sent_notices(common.delivery(ctx, url_state.as_of()))
    except CarteiroError as err:
        return (f"Não foi possível ler o log de envios do ERP: {access.text(err)}. A parte dos "
                "avisos devidos enviados não é mostrada.")
    except Exception:
        log.exception("falha ao ler o log de envios")
        return ("Não foi possível ler o log de envios do ERP (detalhes no log do servidor). A "
                "parte dos avisos devidos enviados não é mostrada.")


@dataclass(frozen=True)
class PageViews:
    """What the page draws from the period's audit, computed once per loaded audit (a rerun
    at a million customers would otherwise group a million invoices five times)."""

    summary: coverage_view.CoverageSummary
    reasons: pd.DataFrame
    over_time: pd.DataFrame
    by_method: pd.DataFrame
    by_status: pd.DataFrame


def page_views(ctx: common.AppContext) -> PageViews:
    audit = ctx.audit
    return common.AUDITS.get_or_load(("coverage_views", *ctx.key), lambda: PageViews(
        coverage_view.coverage_summary(audit), headline.top_reasons(audit),
        coverage_view.coverage_over_time(audit), coverage_view.coverage_by_method(audit),
        coverage_view.coverage_by_service_status(audit)))

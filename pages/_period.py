"""The analysis period in the sidebar: two dates («Início», «Fim») and the month steps.

``st.session_state["period"]`` (:data:`K_PERIOD`, a ``(start, end)`` pair) is the period the
app analyses; the link (``pages/_url.py``) sets it when a session starts, the widgets and
buttons change it in their callbacks, and every run checks it first: a pair that is not two
dates in order within the picker's bounds (:func:`carteiro.views.links.in_bounds`) is replaced
by the current month, with a pt-BR warning, before any widget is drawn — no value can make a
widget raise and leave the session without its sidebar.

Choices the issue leaves open:

* «Anterior» / «Seguinte» (the month before, the month after) step from the selected period:
  a whole month to the whole month before or after it; a part of a month, or several months,
  from their first or last month (:func:`carteiro.views.links.step_month`).
* Two single-date pickers rather than one range picker: a range picker offers English quick
  ranges ("Past Week"…) and a half-chosen range; a start after the end moves the end to the
  end of the start's month, an end before the start moves the start to the first day of the
  end's month.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import streamlit as st

from carteiro import localtime
from carteiro.period import Period
from carteiro.views import links

K_PERIOD: Final = "period"
K_START: Final = "period_start"
K_END: Final = "period_end"
K_NOTICE: Final = "_carteiro_period_notice"


def _today() -> dt.date:
    return localtime.provider_today()


def _as_period(value: Any, today: dt.date) -> Period | None:
    """The period held in the session, if it is a usable one."""
    if not isinstance(value, tuple | list) or len(value) != 2:
        return None
    start, end = value
    if not all(isinstance(d, dt.date) and not isinstance(d, dt.datetime) for d in value):
        return None
    if end < start:
        return None
    period = Period(start, end)
    return period if links.in_bounds(period, today) else None


def current() -> Period:
    """The selected period (the current month when the session holds none or a bad one)."""
    today = _today()
    period = _as_period(st.session_state.get(K_PERIOD), today)
    if period is None:
        if K_PERIOD in st.session_state:
            st.session_state[K_NOTICE] = ("O período escolhido não é válido: mostrando o mês "
                                          "atual.")
        period = Period.current_month(today)
        st.session_state[K_PERIOD] = (period.start, period.end)
    return period


def _set(period: Period) -> None:
    st.session_state[K_PERIOD] = (period.start, period.end)


def _start_changed() -> None:
    start, end = st.session_state.get(K_START), current().end
    if isinstance(start, dt.date):
        _set(Period(start, end) if start <= end else Period(start, Period.month_of(start).end))


def _end_changed() -> None:
    start, end = current().start, st.session_state.get(K_END)
    if isinstance(end, dt.date):
        _set(Period(start, end) if start <= end else Period(end.replace(day=1), end))


def sidebar() -> Period:
    """Draw the period's widgets in the sidebar; the period to analyse."""
    today = _today()
    period = current()
    # The widgets show the session's period (set before they are drawn in this run).
    if st.session_state.get(K_START) != period.start:
        st.session_state[K_START] = period.start
    if st.session_state.get(K_END) != period.end:
        st.session_state[K_END] = period.end
    bounds = {"min_value": links.FIRST_DAY, "max_value": links.last_day(today),
              "format": "DD/MM/YYYY"}
    sidebar_ = st.sidebar
    sidebar_.markdown("**Período de análise**", help="Faturas com vencimento entre as duas "
                      "datas (inclusive). Padrão: o mês atual.")
    sidebar_.date_input("Início", key=K_START, on_change=_start_changed, **bounds)
    sidebar_.date_input("Fim", key=K_END, on_change=_end_changed, **bounds)
    before, after = links.step_month(period, -1), links.step_month(period, 1)
    left, right = sidebar_.columns(2)
    left.button("Anterior", icon=":material/chevron_left:", width="stretch",
                key="period_previous", on_click=_set, args=(before,),
                disabled=not links.in_bounds(before, today),
                help=f"Mês anterior: {links.month_name(before.start)}")
    right.button("Seguinte", icon=":material/chevron_right:", icon_position="right",
                 width="stretch", key="period_next", on_click=_set, args=(after,),
                 disabled=not links.in_bounds(after, today),
                 help=f"Mês seguinte: {links.month_name(after.start)}")
    this_month = Period.current_month(today)
    sidebar_.button("Mês atual", width="stretch", key="period_current", on_click=_set,
                    args=(this_month,), disabled=period == this_month,
                    help=links.month_name(this_month.start).capitalize())
    notice = st.session_state.pop(K_NOTICE, None)
    if notice:
        st.warning(notice, icon="⚠️")
    return period

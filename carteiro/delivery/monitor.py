"""The verdict of ``carteiro check``: a :class:`~carteiro.delivery.result.Delivery` judged the
way monitoring plugins (Nagios, Icinga, Zabbix, cron) report, without any I/O.

* **CRITICAL** — a configuration alert (conditions 1 and 2, touching invoices in scope), or a
  day without sends among the last ``days`` days before the as-of date, or a share of due
  notices that failed or went missing above the critical threshold, or coverage below its
  critical threshold;
* **WARNING** — a threshold's warning level crossed;
* **OK** — nothing of the above;
* **UNKNOWN** — the check could not judge (bad arguments, the database could not be read):
  :func:`unknown`.

The numbers (choices where the issue is silent):

* *coverage* — the share of the invoices in scope that are eligible (pass the nine conditions),
  in percent; judged only when ``--coverage-warning``/``--coverage-critical`` are given
  (coverage depends on each provider's customers, so no default fits everyone); WARNING when
  below the warning level, CRITICAL when below the critical one;
* *failed share* — among the *due notices* (eligible invoices with a send date before the as-of
  date: ``sent``, ``failed`` or ``missing``), the share that are ``failed`` or ``missing``, in
  percent; WARNING above 5, CRITICAL above 10 by default; not judged when nothing was due;
* with no invoice in scope at all the verdict is WARNING (an empty month usually means a
  wrong period or a changed ``queries/invoices.sql``).

Performance data follows the plugin guidelines, ``label=value[UOM];warn;crit;min;max``, with
threshold ranges in the guidelines' syntax (``90:`` alerts below 90, ``5`` above 5, ``0`` above
0) and ``U`` for a value that cannot be determined.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

import numpy as np
import pandas as pd

from carteiro import formatting as fmt
from carteiro.columns import DeliveryDay
from carteiro.delivery.catalogue import FAILED, MISSING, SENT_WHILE_INELIGIBLE
from carteiro.delivery.result import Delivery

PLUGIN: Final = "CARTEIRO"


class State(IntEnum):
    """The plugin states, valued as their exit codes."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


@dataclass(frozen=True)
class Thresholds:
    """Percentages (0–100); ``None``: not judged. ``days``: how many days before the as-of
    date a day without sends is CRITICAL (0: none)."""

    coverage_warning: float | None = None
    coverage_critical: float | None = None
    failed_warning: float | None = 5.0
    failed_critical: float | None = 10.0
    days: int = 3


@dataclass(frozen=True)
class Verdict:
    state: State
    summary: str
    perfdata: str = ""
    details: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The plugin output: one status line (with the performance data after ``|``), then
        the details, one per line."""
        first = f"{PLUGIN} {self.state.name} - {self.summary}"
        if self.perfdata:
            first += f" | {self.perfdata}"
        return [first, *self.details]


def unknown(message: str) -> Verdict:
    """The verdict when the check cannot judge: ``message`` says why, in one line."""
    return Verdict(State.UNKNOWN, " ".join(message.split()))


def _percent(share: float | None) -> str:
    return "U" if share is None else f"{share * 100:.2f}%"


def _range(value: float | None, below: bool) -> str:
    if value is None:
        return ""
    number = f"{value:g}"
    return f"{number}:" if below else number


def _recent_silent_days(delivery: Delivery, days: int) -> pd.DataFrame:
    silent = delivery.days_without_sends()
    first = np.datetime64(delivery.as_of - dt.timedelta(days=days), "s")
    return silent[silent[DeliveryDay.DAY].to_numpy(dtype="datetime64[s]") >= first]


@dataclass(frozen=True)
class _Facts:
    counts: pd.Series
    coverage: float | None
    failed_share: float | None
    sent_share: float | None
    due: int
    recent_silent: pd.DataFrame
    alerts: int


def _facts(delivery: Delivery, thresholds: Thresholds) -> _Facts:
    counts = delivery.status_counts()
    due = delivery.due_notices()
    bad = int(counts[FAILED] + counts[MISSING])
    return _Facts(counts, delivery.eligible_share(), bad / due if due else None,
                  delivery.sent_share(), due,
                  _recent_silent_days(delivery, thresholds.days),
                  len(delivery.audit.alerts))


def _perfdata(f: _Facts, t: Thresholds) -> str:
    sent = f.sent_share
    parts = [
        f"coverage={_percent(f.coverage)};{_range(t.coverage_warning, True)};"
        f"{_range(t.coverage_critical, True)};0;100",
        f"sent={_percent(sent)};;;0;100",
        f"failed_share={_percent(f.failed_share)};{_range(t.failed_warning, False)};"
        f"{_range(t.failed_critical, False)};0;100",
        f"failed={int(f.counts[FAILED])};;;0;",
        f"missing={int(f.counts[MISSING])};;;0;",
        f"due_notices={f.due};;;0;",
        f"sent_while_ineligible={int(f.counts[SENT_WHILE_INELIGIBLE])};;;0;",
        f"days_without_sends={len(f.recent_silent)};;0;0;",
        f"alerts={f.alerts};;0;0;",
    ]
    return " ".join(parts)


def _judged(f: _Facts, t: Thresholds, invoices: int) -> tuple[State, list[str]]:
    """The state and the problems that set it, most serious first."""
    critical: list[str] = []
    warning: list[str] = []
    if f.alerts:
        critical.append(f"{f.alerts} alerta{'s' if f.alerts > 1 else ''} de configuração")
    if len(f.recent_silent):
        days = ", ".join(
            f"{fmt.date(pd.Timestamp(day))} ({fmt.integer(int(n))} avisos)"
            for day, n in f.recent_silent.itertuples(index=False))
        critical.append(f"dia sem envios: {days}")
    if invoices == 0:
        warning.append("nenhuma fatura no período")
    for share, warn, crit, text, below in (
        (f.coverage, t.coverage_warning, t.coverage_critical, "cobertura abaixo de", True),
        (f.failed_share, t.failed_warning, t.failed_critical, "falhas acima de", False),
    ):
        if share is None:
            continue
        value = share * 100
        if crit is not None and (value < crit if below else value > crit):
            critical.append(f"{text} {fmt.decimal(crit, 1)}%")
        elif warn is not None and (value < warn if below else value > warn):
            warning.append(f"{text} {fmt.decimal(warn, 1)}%")
    state = State.CRITICAL if critical else State.WARNING if warning else State.OK
    return state, critical + warning


def judge(delivery: Delivery, thresholds: Thresholds) -> Verdict:
    """The check's verdict on ``delivery`` (see the module docstring)."""
    f = _facts(delivery, thresholds)
    state, problems = _judged(f, thresholds, len(delivery.invoices))
    numbers = [f"cobertura {fmt.percent(f.coverage)} das faturas"]
    if f.due:
        numbers.append(
            f"enviados {fmt.percent(f.sent_share)} de "
            f"{fmt.integer(f.due)} avisos devidos (com falha: "
            f"{fmt.integer(int(f.counts[FAILED]))}, sem tentativa: "
            f"{fmt.integer(int(f.counts[MISSING]))})")
    else:
        numbers.append("nenhum aviso devido ainda")
    details = [f"Período {delivery.period.label()}; log de envios registrado antes de "
               f"{fmt.date(delivery.as_of)}"]
    details += [f"ALERTA [{a.code}] {a.title} — corrigir em: {a.menu_path}"
                for a in delivery.alerts]
    return Verdict(state, "; ".join(problems + numbers), _perfdata(f, thresholds), details)

"""The first screen of Cobertura: the four numbers a manager asks on Monday, each with its
change against the previous period in **percentage points** (never a count: a count can rise
while the share falls), and the three biggest reasons.

Choices the issue leaves open:

* the open amount without notice is compared **as a share of the open amount** of each period
  (the previous period's invoices have had more time to be paid, so the amounts themselves
  always "rise"); its delta is that share's change, red when it grows;
* a change that rounds to «0,0 p.p.» is grey, neither green nor red;
* the three biggest reasons rank the conditions by the customers failing them (a customer
  fails a condition when any of its invoices in the period does), then by their open amount
  without notice; their R$ is the open amount without notice of those customers;
* «Avisos devidos enviados» is the send log's share of the due notices (eligible invoices with
  an expected send already due) that were sent, as known at the start of today; it has no
  change (the previous period's log would be another read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from carteiro import formatting as fmt
from carteiro.columns import CustomerAudit
from carteiro.delivery.catalogue import SENT
from carteiro.delivery.result import Delivery
from carteiro.rules.catalogue import REASON_BY_CODE, REASON_CODES
from carteiro.rules.engine import Audit
from carteiro.views.coverage import CoverageSummary, DeltaColor, MetricView


def short_money(value: float | None) -> str:
    """R$ short enough for a metric card: «R$ 987,65», «R$ 129,5 mil», «R$ 12,3 mi»."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    sign = "-" if value < 0 else ""
    size = abs(value)
    for limit, unit in ((1e9, "bi"), (1e6, "mi"), (1e3, "mil")):
        if size >= limit:
            return f"{sign}R$ {fmt.number(size / limit, 1)} {unit}"
    return f"{sign}R$ {fmt.decimal(size)}"


def points(now: float | None, before: float | None) -> tuple[str | None, float | None]:
    """The change of a share in percentage points, as text («+0,4 p.p.», «-1,2 p.p.»,
    «0,0 p.p.») and as the rounded number (None when either share is missing)."""
    if now is None or before is None:
        return None, None
    change = round((now - before) * 100, 1)
    if change == 0:
        return "0,0 p.p.", 0.0
    return f"{'+' if change > 0 else '-'}{fmt.decimal(abs(change), 1)} p.p.", change


def _color(change: float | None, good_when_rising: bool) -> DeltaColor:
    if not change:
        return "off"
    return "normal" if good_when_rising else "inverse"


@dataclass(frozen=True)
class SentNotices:
    """The due notices (eligible invoices with a due send) and how many were sent."""

    sent: int
    due: int
    as_of_text: str

    @property
    def share(self) -> float | None:
        return self.sent / self.due if self.due else None


def headline_metrics(current: CoverageSummary, previous: CoverageSummary | None,
                     sent: SentNotices | None = None) -> list[MetricView]:
    """Customers with notice, invoices with notice, open amount without notice (with their pp
    changes) and, when the send log was read, the due notices sent."""
    p = previous if previous is not None and previous.invoices > 0 else None
    c = current
    before = "" if p is None else " Período anterior: {}."
    out: list[MetricView] = []
    delta, change = points(c.covered_share, p and p.covered_share)
    out.append(MetricView(
        "covered_share", "Clientes com aviso", fmt.percent(c.covered_share), delta,
        _color(change, True),
        f"{fmt.integer(c.covered)} de {fmt.plural(c.customers, 'cliente')} com fatura no "
        f"período recebem o aviso de todas as faturas; {fmt.integer(c.partial)} de algumas, "
        f"{fmt.integer(c.not_covered)} de nenhuma." + before.format(
            p and f"{fmt.percent(p.covered_share)} ({fmt.integer(p.covered)} de "
                  f"{fmt.integer(p.customers)})")))
    delta, change = points(c.eligible_share, p and p.eligible_share)
    out.append(MetricView(
        "eligible_share", "Faturas com aviso", fmt.percent(c.eligible_share), delta,
        _color(change, True),
        f"{fmt.integer(c.eligible_invoices)} de {fmt.plural(c.invoices, 'fatura')} do período "
        "passam em todas as condições." + before.format(
            p and f"{fmt.percent(p.eligible_share)} ({fmt.integer(p.eligible_invoices)} de "
                  f"{fmt.integer(p.invoices)})")))
    delta, change = points(c.open_share_without_notice, p and p.open_share_without_notice)
    out.append(MetricView(
        "amount_without_notice", "Em aberto sem aviso", short_money(c.amount_without_notice),
        delta, _color(change, False),
        f"{fmt.money(c.amount_without_notice)} das faturas não pagas não recebem aviso: "
        f"{fmt.percent(c.open_share_without_notice)} do valor em aberto "
        f"({fmt.money(c.open_amount)}). A variação compara essa parte, não o valor: as "
        "faturas do período anterior já tiveram mais tempo para ser pagas." + before.format(
            p and f"{fmt.percent(p.open_share_without_notice)} do valor em aberto "
                  f"({fmt.money(p.amount_without_notice)} de {fmt.money(p.open_amount)})")))
    if sent is not None:
        out.append(MetricView(
            "sent_share", "Avisos devidos enviados", fmt.percent(sent.share), None, "off",
            f"{fmt.integer(sent.sent)} de {fmt.plural(sent.due, 'aviso devido', 'avisos devidos')}"
            " (faturas com aviso e um envio já previsto) foram enviados, segundo o log de "
            f"envios do ERP registrado antes de {sent.as_of_text}."))
    return out


class TopReason:
    CODE: Final = "code"
    LABEL: Final = "label"
    CUSTOMERS: Final = "customers"
    AMOUNT: Final = "amount_without_notice"


def top_reasons(audit: Audit, limit: int = 3) -> pd.DataFrame:
    """The ``limit`` conditions failed by most customers (ties: larger open amount without
    notice, then the contract's order), only those failed by someone."""
    customers = audit.customers
    mask = customers[CustomerAudit.REASON_MASK].to_numpy(dtype=np.int64)
    amount = customers[CustomerAudit.AMOUNT_WITHOUT_NOTICE].fillna(0.0).to_numpy(dtype=float)
    fails = [((mask >> bit) & 1).astype(bool) for bit in range(len(REASON_CODES))]
    frame = pd.DataFrame({
        TopReason.CODE: list(REASON_CODES),
        TopReason.LABEL: [REASON_BY_CODE[c].label for c in REASON_CODES],
        TopReason.CUSTOMERS: [int(f.sum()) for f in fails],
        TopReason.AMOUNT: [round(float(amount[f].sum()), 2) for f in fails],
        "_order": np.arange(len(REASON_CODES)),
    })
    frame = frame[frame[TopReason.CUSTOMERS] > 0]
    frame = frame.sort_values([TopReason.CUSTOMERS, TopReason.AMOUNT, "_order"],
                              ascending=[False, False, True], kind="stable")
    return frame.drop(columns="_order").head(limit).reset_index(drop=True)


def reason_button_label(row: pd.Series) -> str:
    """«Sem e-mail válido · 1.234 clientes · R$ 12,3 mil» (ERP text never here: labels are
    the contract's)."""
    return (f"{row[TopReason.LABEL]} · {fmt.plural(int(row[TopReason.CUSTOMERS]), 'cliente')}"
            f" · {short_money(float(row[TopReason.AMOUNT]))}")


def sent_notices(delivery: Delivery) -> SentNotices:
    """The due notices of a reconciliation and how many the log says were sent."""
    return SentNotices(sent=int(delivery.status_counts()[SENT]), due=delivery.due_notices(),
                       as_of_text=fmt.date(delivery.as_of))

"""The vectorised "a firing send date on or after the test's day" of condition 2, checked
against the send dates listed one by one (:func:`carteiro.rules.send_dates.send_dates`, a merge
of invoices and rules) over random rules, invoices, payments and test days."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carteiro.columns import Invoice, SendDate
from carteiro.erp.load import load_data
from carteiro.rules.engine import evaluate
from carteiro.rules.send_dates import send_dates
from tests.conftest import MARCH
from tests.erp_builder import Erp

MARCH_1 = dt.date(2024, 3, 1)

rule = st.tuples(st.sampled_from([1, 1, 2, 9]), st.integers(-15, 15),
                 st.sampled_from([True, True, False]))
invoice = st.fixed_dictionaries({
    "method": st.sampled_from([1, 2, None, 9]),  # 9: unknown
    "due": st.integers(0, 30),
    "paid": st.one_of(st.none(), st.integers(-20, 50)),
    "status": st.sampled_from(["aberto", "pago", "vencido"]),
})


def build(rules: list[tuple[int, int, bool]], invoices: list[dict]) -> Erp:
    erp = Erp.baseline().delete("forma_cobranca_regra_email", id_forma_cobranca=1)
    erp.delete("fatura", id_cliente=1)
    erp.add("forma_cobranca", id_forma_cobranca=2, descricao="Pix", id_remetente_email=1,
            ativo=True)
    for rid, (method, days, active) in enumerate(rules, start=1):
        erp.add("forma_cobranca_regra_email", id_regra_email=rid, id_forma_cobranca=method,
                dias=days, assunto="Fatura", ativo=active)
    for cid, spec in enumerate(invoices, start=10):
        paid = None if spec["paid"] is None else MARCH_1 + dt.timedelta(days=spec["paid"])
        erp.customer(cid, method=spec["method"], due=MARCH_1 + dt.timedelta(days=spec["due"]),
                     paid=paid, status=spec["status"])
    return erp


# The test's day: any day around March, or one next to a send date (the boundary cases).
near = st.tuples(st.integers(0, 7), st.integers(0, 4), st.integers(-1, 1))
when = st.one_of(near, st.integers(-20, 50))


def day_of(when: int | tuple[int, int, int], rules: list, invoices: list[dict]) -> dt.date:
    if isinstance(when, int) or not rules:
        offset = when if isinstance(when, int) else when[2]
    else:
        which, rule_at, delta = when
        offset = invoices[which % len(invoices)]["due"] + rules[rule_at % len(rules)][1] + delta
    return MARCH_1 + dt.timedelta(days=offset)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=st.lists(rule, max_size=5), invoices=st.lists(invoice, min_size=1, max_size=8),
       when=when)
def test_condition_2_equals_the_send_dates_listed_one_by_one(rules, invoices, when):
    day = day_of(when, rules, invoices)
    with tempfile.TemporaryDirectory() as tmp:
        data = load_data(build(rules, invoices).write_sqlite(Path(tmp) / "e.sqlite"), MARCH)
    audit = evaluate(data, MARCH, {1: day})
    dates = send_dates(audit)
    speaks = dates[dates[SendDate.FIRES] & (dates[SendDate.SEND_DATE] >= np.datetime64(day))]
    expected = set(speaks[SendDate.INVOICE_ID])
    inv = audit.invoices
    # invoices of an unknown method have no rules (condition 3), whatever a rule row names
    expected -= set(inv.loc[inv["method_without_rules"], Invoice.ID])
    assert set(inv.loc[inv["sender_unavailable"], Invoice.ID]) == expected
    # and never a test: nothing fails condition 2
    untested = evaluate(data, MARCH).invoices
    assert not untested["sender_unavailable"].any()

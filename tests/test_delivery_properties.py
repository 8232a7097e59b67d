"""Invariants of the send-log reconciliation over random small ERPs and logs (hypothesis).

The counted rows are worked out here from the ERP's raw rows by the contract's words (type
``fatura`` once trimmed and lower-cased, a readable date before the as-of date, the first row of
a repeated id, ``enviado`` true), independently of ``carteiro.delivery``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.delivery_helpers import deliver
from tests.erp_builder import Erp

DUE = ["2024-03-01", "2024-03-10", "2024-03-20", "2024-03-31"]
WHEN = ["2024-02-27 08:00:00", "2024-03-05 08:00:00", "2024-03-07 08:00:00",
        "2024-03-10 23:59:59", "2024-03-13 08:00:00", "2024-03-17 08:00:00",
        "2024-03-23 08:00:00", "2024-04-03 08:00:00", None, "lixo"]
KINDS = ["fatura", "Fatura ", "FATURA", "boleto", None]
SENT_VALUES: list[Any] = [True, False, None, "S", "talvez"]
TRUE_VALUES = (True, "S")
AS_OF = ["2024-03-01", "2024-03-07", "2024-03-08", "2024-03-11", "2024-03-14", "2024-03-21",
         "2024-04-10"]
CODES = ("sent", "scheduled", "failed", "missing", "sent_while_ineligible", "not_expected")

invoice = st.fixed_dictionaries({
    "due": st.sampled_from(DUE), "allows": st.sampled_from([True, True, False]),
    "method": st.sampled_from([1, 1, None]), "paid": st.sampled_from([None, None, "2024-03-08"]),
    "cancelled": st.booleans(),
})
row = st.fixed_dictionaries({
    "invoice": st.integers(0, 6), "when": st.sampled_from(WHEN), "kind": st.sampled_from(KINDS),
    "sent": st.sampled_from(SENT_VALUES),
    "message": st.sampled_from([None, "552 5.2.2 Mailbox full", "421 4.7.0 Try again later"]),
    "id": st.sampled_from(["new", "new", "new", None, "repeat"]),
})


def build(invoices: list[dict], rows: list[dict]) -> tuple[Erp, list[dict]]:
    erp = Erp.baseline()
    for table in ("cliente", "cliente_servico", "fatura"):
        erp.rows[table].clear()
    for cid, inv in enumerate(invoices, start=1):
        erp.customer(cid, allows=inv["allows"], method=inv["method"], due=inv["due"],
                     paid=inv["paid"], status="cancelado" if inv["cancelled"] else
                     ("pago" if inv["paid"] else "aberto"))
    written, last_id = [], 0
    for r in rows:
        if r["id"] == "new":
            last_id += 1
        log_id = last_id if r["id"] in ("new", "repeat") and last_id else None
        values = {"id_email_enviado": log_id, "id_cliente": 1, "id_fatura": 1001 + r["invoice"],
                  "email_destino": "x@y.com.br", "tipo_documento": r["kind"],
                  "data_envio": r["when"], "enviado": r["sent"], "mensagem_erro": r["message"]}
        erp.add("email_enviado", **values)
        written.append(values)
    return erp, written


def counted_rows(written: list[dict], in_scope: set[int], as_of: str) -> list[dict]:
    """The contract's counted rows, from the raw rows in the order they were written."""
    seen: set[int] = set()
    counted = []
    for r in written:
        if r["id_fatura"] not in in_scope or r["tipo_documento"] is None:
            continue
        if r["tipo_documento"].strip().lower() != "fatura":
            continue
        if r["data_envio"] is None or r["data_envio"] == "lixo":
            continue
        if r["id_email_enviado"] is not None:
            if r["id_email_enviado"] in seen:
                continue
            seen.add(r["id_email_enviado"])
        if r["data_envio"][:10] < as_of:
            counted.append(r)
    return counted


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoices=st.lists(invoice, min_size=1, max_size=6), rows=st.lists(row, max_size=12),
       as_of=st.sampled_from(AS_OF))
def test_one_status_per_invoice_and_sent_means_an_accepted_counted_row(invoices, rows, as_of):
    erp, written = build(invoices, rows)
    delivery = deliver(erp, as_of, keys=False)
    inv = delivery.invoices
    audit = delivery.audit.invoices

    # exactly one delivery status per invoice in scope, in the audit's order
    assert inv["invoice_id"].tolist() == audit["invoice_id"].tolist()
    assert inv["delivery"].notna().all() and set(inv["delivery"].astype(str)) <= set(CODES)
    assert (inv["eligible"] == audit["eligible"]).all()

    in_scope = set(inv["invoice_id"])
    counted = counted_rows(written, in_scope, as_of)
    accepted = {r["id_fatura"] for r in counted if r["enviado"] in TRUE_VALUES}
    with_rows = {r["id_fatura"] for r in counted}
    for r in inv.itertuples(index=False):
        status = str(r.delivery)
        # sent and sent_while_ineligible ⇔ a counted row with enviado true
        assert (status in ("sent", "sent_while_ineligible")) == (r.invoice_id in accepted)
        assert (status in ("sent", "scheduled", "failed", "missing")) == r.eligible
        assert (r.error_kind == r.error_kind and r.error_kind is not None) == (status == "failed")
        assert r.log_rows == sum(1 for c in counted if c["id_fatura"] == r.invoice_id)
        if status == "failed":
            assert r.invoice_id in with_rows and r.due_sends > 0
        if status == "missing":
            assert r.invoice_id not in with_rows and r.due_sends > 0
        if status == "scheduled":
            assert r.due_sends == 0

    # a day without sends: due expected sends, and no counted row of any invoice in scope
    tried = {c["data_envio"][:10] for c in counted}
    for day, expected in delivery.days_without_sends().itertuples(index=False):
        text = str(day)[:10]
        assert text < as_of and expected > 0 and text not in tried
    due_days = {str(d)[:10] for d in
                delivery.expected.loc[delivery.expected["due"], "send_date"]}
    silent = {str(d)[:10] for d in delivery.days_without_sends()["day"]}
    assert silent == due_days - tried
    assert all(dt.date.fromisoformat(d) < dt.date.fromisoformat(as_of) for d in due_days)

"""Invariants of the engine over random ERP databases (hypothesis)."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carteiro.columns import CustomerAudit, Invoice
from carteiro.erp.load import load_data
from carteiro.rules.catalogue import REASON_CODES
from carteiro.rules.engine import evaluate
from tests.conftest import LONG_AGO, MARCH
from tests.erp_builder import Erp

flags = st.sampled_from([True, False, None, "S", "N", "sim", "talvez"])
emails = st.sampled_from([None, "", "ok{cid}@gmail.com", "x@x", "a@b.test", "lixo; ok@uol.com.br"])
dues = st.sampled_from(["2024-03-01", "2024-03-10", "2024-03-31 23:00:00", "2024-04-02",
                        "lixo", None, "2024-02-30"])
statuses = st.sampled_from(["aberto", "pago", "Paga", "cancelado", "vencida", "xyz", None])
paid = st.sampled_from([None, "2024-02-20", "2024-03-08", "2024-03-20", "bad"])

customer = st.fixed_dictionaries({
    "email": emails, "allows": flags, "service_status": st.sampled_from([1, 2, 3, 4, 5, 9]),
    "method": st.sampled_from([1, 2, 3, None, 42]), "due": dues, "status": statuses,
    "paid": paid, "notice": st.sampled_from([None, "email_sms", "somente_sms", "nenhum", "?"]),
    "contacts": st.lists(st.tuples(emails, flags), max_size=2),
    "extra_invoice": st.booleans(),
})
config = st.fixed_dictionaries({
    "routine": st.sampled_from([True, False, None]),
    "sender_active": st.sampled_from([True, False]),
    "method2_sender": st.sampled_from([None, 1, 2, 99]),
    "method3_rules_active": st.booleans(),
    "explicit": st.booleans(),
    "failed": st.sets(st.sampled_from([1, 2]), max_size=1),
})


def build(cfg: dict, customers: list[dict]) -> Erp:
    erp = Erp.baseline()
    erp.rows["cliente"].clear()
    erp.rows["cliente_servico"].clear()
    erp.rows["fatura"].clear()
    erp.set("rotina", "id_rotina", 1, ativo=cfg["routine"])
    erp.set("remetente_email", "id_remetente_email", 1, ativo=cfg["sender_active"])
    erp.add("remetente_email", id_remetente_email=2, descricao="B", host="h", porta=465,
            seguranca="ssl", email_origem="b@provedor.com.br", padrao=False, ativo=True)
    erp.add("forma_cobranca", id_forma_cobranca=2, descricao="PIX",
            id_remetente_email=cfg["method2_sender"], ativo=True)
    erp.add("forma_cobranca_regra_email", id_regra_email=10, id_forma_cobranca=2, dias=5,
            assunto="x", ativo=True)
    erp.add("forma_cobranca", id_forma_cobranca=3, descricao="Débito", ativo=True)
    erp.add("forma_cobranca_regra_email", id_regra_email=11, id_forma_cobranca=3, dias=0,
            assunto="y", ativo=cfg["method3_rules_active"])
    if cfg["explicit"]:
        erp.add("forma_cobranca_status_envio", id_forma_cobranca=2, id_servico_status=1)
    contact_id = 1
    for cid, c in enumerate(customers, start=1):
        erp.customer(cid, email=c["email"], allows=c["allows"],
                     service_status=c["service_status"], method=c["method"], due=c["due"],
                     status=c["status"], paid=c["paid"], notice=c["notice"])
        for email, allows in c["contacts"]:
            erp.add("cliente_contato", id_cliente_contato=contact_id, id_cliente=cid,
                    email=email.format(cid=cid) if email else None, permite_enviar_email=allows)
            contact_id += 1
        if c["extra_invoice"]:
            erp.add("fatura", id_fatura=5000 + cid, id_cliente=cid,
                    id_cliente_servico=100 + cid, id_forma_cobranca=2,
                    data_vencimento="2024-03-20", valor=10, status="aberto")
    return erp


def audit_of(erp: Erp, failed: set[int]):
    with tempfile.TemporaryDirectory() as tmp:
        data = load_data(erp.write_sqlite(Path(tmp) / "e.sqlite"), MARCH)
        return evaluate(data, MARCH, dict.fromkeys(failed, LONG_AGO))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=config, customers=st.lists(customer, min_size=1, max_size=6), seed=st.integers(0, 99))
def test_invariants_and_row_order_independence(cfg, customers, seed):
    erp = build(cfg, customers)
    audit = audit_of(erp, cfg["failed"])
    inv, cust = audit.invoices, audit.customers

    # eligible ⇔ no reasons; primary reason = first reason; reasons in the contract's order
    reasons = inv[Invoice.REASONS].astype(str)
    assert (inv[Invoice.ELIGIBLE] == (reasons == "")).all()
    for row in inv.itertuples(index=False):
        codes = [c for c in REASON_CODES if getattr(row, c)]
        assert row.reasons == ";".join(codes)
        assert (row.primary_reason if codes else None) == (codes[0] if codes else None) or (
            not codes and pd.isna(row.primary_reason))
    # 8 and 9 never hold together; 6 and 7 never hold without a service
    assert not (inv["no_contact_allows_email"] & inv["no_valid_email"]).any()
    assert not (inv["service_missing"] & (inv["service_status_excluded"]
                                          | inv["service_blocks_email"])).any()

    # customer status and reasons are consistent with its invoices
    grouped = inv.groupby(Invoice.CUSTOMER_ID)
    for cid, group in grouped:
        row = cust[cust[CustomerAudit.ID] == cid].iloc[0]
        expected = ("covered" if group[Invoice.ELIGIBLE].all() else
                    "not_covered" if not group[Invoice.ELIGIBLE].any() else "partial")
        assert row[CustomerAudit.STATUS] == expected
        union = [c for c in REASON_CODES if group[c].any()]
        assert row[CustomerAudit.REASONS] == ";".join(union)
    assert len(cust) == inv[Invoice.CUSTOMER_ID].nunique()

    # results do not depend on the order the database returns rows in
    shuffled = erp.copy()
    rng = random.Random(seed)
    for rows in shuffled.rows.values():
        rng.shuffle(rows)
    again = audit_of(shuffled, cfg["failed"])
    pd.testing.assert_frame_equal(again.invoices, inv)
    pd.testing.assert_frame_equal(again.customers, cust)
    key = ["kind", "table", "id", "detail"]
    pd.testing.assert_frame_equal(
        again.problems.sort_values(key).reset_index(drop=True),
        audit.problems.sort_values(key).reset_index(drop=True))

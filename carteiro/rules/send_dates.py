"""Expected send dates: for each invoice and each active rule of its billing method, the day
the routine would send (due date + the rule's days) and whether the rule fires then (the
invoice is still open that day: unpaid, or paid on or after that day)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from carteiro.columns import Invoice, RuleIn, SendDate
from carteiro.rules.engine import Audit


def send_dates(audit: Audit, invoice_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Expected send dates: for each invoice and each active rule of its billing method, the
    day the routine would send (due date + offset) and whether the rule fires then (the invoice
    is still open that day). Without ``invoice_ids``, every invoice in scope."""
    inv = audit.invoices
    if invoice_ids is not None:
        inv = inv[inv[Invoice.ID].isin(list(invoice_ids))]
    rules = audit.data.email_rules
    # A null never matches a null: an invoice without a billing method has no rules, even
    # where a rule names none.
    rules = rules.loc[rules[RuleIn.ACTIVE] & rules[RuleIn.METHOD_ID].notna(),
                      [RuleIn.ID, RuleIn.METHOD_ID, RuleIn.DAYS, RuleIn.SUBJECT]]
    inv = inv[inv[Invoice.METHOD_ID].notna()]
    joined = inv[[Invoice.ID, Invoice.METHOD_ID, Invoice.DUE_DATE, Invoice.PAID_ON,
                  Invoice.UNPAID, Invoice.ELIGIBLE]].merge(
        rules, left_on=Invoice.METHOD_ID, right_on=RuleIn.METHOD_ID, how="inner"
    )
    send = joined[Invoice.DUE_DATE] + pd.to_timedelta(joined[RuleIn.DAYS].astype(int), unit="D")
    fires = joined[Invoice.UNPAID] | (joined[Invoice.PAID_ON] >= send).fillna(False)
    out = pd.DataFrame(
        {
            SendDate.INVOICE_ID: joined[Invoice.ID],
            SendDate.RULE_ID: joined[RuleIn.ID],
            SendDate.DAYS: joined[RuleIn.DAYS].astype(int),
            SendDate.SUBJECT: joined[RuleIn.SUBJECT],
            SendDate.SEND_DATE: send,
            SendDate.FIRES: fires.astype(bool),
            Invoice.ELIGIBLE: joined[Invoice.ELIGIBLE],
        }
    )
    return out.sort_values([SendDate.INVOICE_ID, SendDate.SEND_DATE]).reset_index(drop=True)

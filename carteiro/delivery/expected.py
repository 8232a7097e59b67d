"""Expected sends: for every eligible invoice in scope, the distinct send dates
``due_date + days_offset`` of the active rules of its billing method that fire for it (the
invoice is open on that day), each *due* (before the as-of date) or *scheduled* (on or after
it). An ineligible invoice has none; an eligible one has at least one (condition 4 passes).

The send dates and whether each rule fires come from :func:`carteiro.rules.send_dates.send_dates`,
the same place the diagnosis reads them from, so "fires" is defined once.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from carteiro.columns import ExpectedSend, Invoice, SendDate
from carteiro.rules.engine import Audit
from carteiro.rules.send_dates import send_dates


def expected_sends(audit: Audit, as_of: dt.date) -> pd.DataFrame:
    """One row per (eligible invoice, distinct send date of a firing rule), by invoice id then
    date, with whether the send is due at ``as_of``."""
    dates = send_dates(audit)
    wanted = (dates[SendDate.FIRES] & dates[Invoice.ELIGIBLE]).to_numpy(dtype=bool)
    invoice = dates[SendDate.INVOICE_ID].to_numpy(dtype=np.int64)[wanted]
    day = dates[SendDate.SEND_DATE].to_numpy(dtype="datetime64[s]")[wanted]
    # distinct (invoice, day) pairs; send_dates is sorted by invoice then date already
    keep = np.ones(len(invoice), dtype=bool)
    keep[1:] = (invoice[1:] != invoice[:-1]) | (day[1:] != day[:-1])
    invoice, day = invoice[keep], day[keep]
    return pd.DataFrame({
        ExpectedSend.INVOICE_ID: invoice,
        ExpectedSend.SEND_DATE: day,
        ExpectedSend.DUE: day < np.datetime64(as_of, "s"),
    })

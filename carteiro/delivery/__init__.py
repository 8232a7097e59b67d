"""What actually happened: the ERP's send log (``email_enviado``) reconciled with the nine
conditions, as known at the start of an as-of date (the contract's send-log section).

Rooms: ``catalogue`` (the delivery statuses and error kinds in pt-BR, where to fix each),
``classify`` (an SMTP message → its error kind), ``send_log`` (the log's rows of the invoices in
scope, normalised), ``expected`` (the expected sends of the eligible invoices), ``engine``
(:func:`reconcile` → :class:`Delivery`), ``result`` (the :class:`Delivery` object), ``run``
(:func:`run_delivery`: source, period and as-of date → :class:`Delivery`) and ``monitor`` (the
verdict of ``carteiro check``). The arrows point ``delivery → rules → erp``; nothing here
imports Streamlit.
"""

from carteiro.delivery.result import Delivery

__all__ = ["Delivery"]

"""What the dashboard shows, computed without Streamlit: pure functions over an Audit.

Every page of the dashboard is thin: it reads widgets, calls one function of its view module and
draws the frame or figure it gets back. Keeping the logic here means it is unit-tested without a
browser (``tests/test_views.py``) and the AppTest tests only check the wiring.

One module per page — :mod:`~carteiro.views.coverage`, :mod:`~carteiro.views.reasons`,
:mod:`~carteiro.views.non_recipients`, :mod:`~carteiro.views.diagnosis`,
:mod:`~carteiro.views.settings` (with :mod:`~carteiro.views.capacity` and
:mod:`~carteiro.views.sender_test`) and :mod:`~carteiro.views.data` — over the shared words of
:mod:`~carteiro.views.labels`; :mod:`~carteiro.views.tables` formats tables in pt-BR and
:mod:`~carteiro.views.figures` draws the Plotly figures. The choices the issue leaves open are
written in the module they concern.

Every frame a page shows names its columns once: a class of ``Final`` column names (``Breakdown``,
``Cust``, ``SenderRow``…) and, right under it, a ``*_HEADERS`` dict of their pt-BR headers, which
the page passes to ``common.table`` (and the export). ``*_LABELS`` dicts name values, not
columns (a code → its words).
"""

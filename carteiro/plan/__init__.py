"""The fix plan: what to correct first, and what-if before touching the ERP.

* :mod:`~carteiro.plan.corrections` — a correction as a pure transform of the normalised tables;
* :mod:`~carteiro.plan.candidates` — every correction an audit supports, with its pt-BR action;
* :mod:`~carteiro.plan.footprint` — which invoices a change of the inputs can affect;
* :mod:`~carteiro.plan.simulator` — the engine re-run on those invoices only (what-if);
* :mod:`~carteiro.plan.greedy` — the plan: the best correction first, step by step;
* :mod:`~carteiro.plan.whatif` — what a page shows of a simulation (now versus simulated).

Nothing here writes anywhere, and nothing imports Streamlit.
"""

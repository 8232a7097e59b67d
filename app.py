"""Carteiro's dashboard: ``streamlit run app.py``.

Every run: page setup → access gate → the navigation (``pages/_nav.py``, before the heavy
imports; the first visit after a server start: ``pages/_first_visit.py``) → the link's state,
read once per session (``pages/_url.py``) → sidebar (data source and its connection state,
analysis period, refresh) → the cached audit of the period → the configuration alerts
(conditions 1 and 2, and each day without sends of the send log, in red above every page) →
the URL updated to the page's state → the chosen page of ``pages/``.

Access. The dashboard shows customers' personal data. When ``.streamlit/secrets.toml``
configures ``[auth]`` (OIDC through ``st.login``, with ``[access] allowed_emails`` /
``allowed_domains``) or ``[access] password``, nothing but the login is drawn until the user
is in; an unreadable file or an unusable ``[access]``/``[auth]`` draws only what is wrong (see
``carteiro/access/`` and ``pages/_gate.py``). **With neither section, the dashboard is open to
anyone who reaches its port: run it only on a trusted network** (``--server.address
127.0.0.1`` behind an SSH tunnel or VPN, or behind a reverse proxy that authenticates).

Data source: ``CARTEIRO_DB_URL``, else ``[connections.erp]`` in ``.streamlit/secrets.toml``,
else the demo database ``demo.sqlite``, generated on first use (``carteiro/config.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # `pages._common` and `carteiro` import from the project root
    sys.path.insert(0, str(ROOT))

from pages import _gate as gate  # noqa: E402
from pages import _nav as nav  # noqa: E402

# "auto": the sidebar starts open on wide screens and closed on phones.
st.set_page_config(page_title="Carteiro", page_icon="✉️", layout="wide",
                   initial_sidebar_state="auto")

policy = gate.policy()
allowed = gate.gate(policy)
sections = nav.pages()
navigation = st.navigation(sections, position="hidden")
# pandas and the engine: after the navigation is on screen, and while a login form waits.
from pages import _common as common  # noqa: E402

if not allowed:
    st.stop()
nav.sidebar_links(sections)

common.keep_widget_values()
ctx = common.load_context(navigation.url_path)
gate.account_box(policy)
common.show_alerts(ctx.audit)
if navigation.url_path in ("", "cobertura"):  # its trend loads while the day alerts are checked
    from pages import _coverage_data as coverage_data

    coverage_data.prefetch_trend(ctx)
common.show_day_alerts(ctx)
common.run_page(navigation)

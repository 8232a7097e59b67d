"""The first visit after a server start, made like any other.

**What Streamlit 1.67 does** (``streamlit/runtime/pages_manager.py``,
``runtime/scriptrunner/script_runner.py``, ``commands/navigation.py``,
``navigation/page.py``):

* ``PagesManager.uses_pages_directory`` is one class attribute per server process. The first
  session's ``PagesManager`` sets it to whether a ``pages/`` folder sits beside the main
  script; the first call of ``st.navigation`` (in any session) sets it to ``False`` for good.
  (``AppTest`` resets it before every run: every AppTest run is such a first run.)
* While it is ``True``, the script runner does not run ``app.py``: it runs ``_mpa_v1``, an
  internal navigation over ``app.py`` and every ``pages/*.py`` file, titled and addressed by
  their file names. That navigation is sent to the browser first (the sidebar listed "app,
  common, coverage, …, sender test widget"), and a URL path that is no file name
  (``/motivos``) gets ``page_not_found``: Streamlit's English "Page not found" dialog, before
  any line of ours runs. Then it runs the file the URL names, or ``app.py``.
* A page's hash depends only on its URL path (``Page._script_hash``), and widget ids depend on
  the hash of the script that draws them.

**What Carteiro does**:

* ``client.showSidebarNavigation = false`` (``.streamlit/config.toml``): Streamlit's own
  sidebar navigation is never drawn, so the legacy one (file names) never shows; ``app.py``
  draws the navigation itself with ``st.page_link`` (:func:`pages._nav.sidebar_links`), the
  same in every run. (That option also hides ``st.navigation``'s sidebar whatever its
  ``position``, hence the page links.)
* Each URL path has a *door*: ``pages/<url_path>.py`` (``pages/motivos.py``,
  ``pages/nao-recebem.py``…), so the legacy navigation finds ``/motivos`` (no dialog) and runs
  the door, which runs ``app.py`` in place (:func:`door`). ``app.py`` calls ``st.navigation``
  — which ends the legacy mode for the whole process — and the URL's page is found there by
  its hash, which is the door's. Doors are never registered in ``st.navigation``: once the
  first visit is over, nothing can run them.
* ``app.py`` calls ``st.navigation`` before it imports pandas and the engine
  (:mod:`pages._nav`), so the first visit does not wait for those imports to show its page.
* In that first run ``app.py``'s own widgets (the sidebar's, the login form) are drawn under
  the legacy page's hash, so their ids change on the next run. All of them act through
  callbacks (``on_click``/``on_change``), which Streamlit calls with the value found by key:
  the first click or date typed is not lost. A rerun at the start of that run
  (``st.rerun``) was tried and dropped: AppTest starts every run in this mode, and a rerun
  there loses the value of a button read from its return.

**What cannot be fixed** (without patching Streamlit): a URL path no page has (``/xyz``)
still gets Streamlit's English "Page not found" dialog, on the first visit as on any other;
no project code runs at server start (``streamlit run`` only executes the script inside a
session), so the legacy mode itself cannot be avoided, only made invisible.
"""

from __future__ import annotations

import types
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx


def door() -> None:
    """A door file's whole job (``pages/<url_path>.py``): run ``app.py`` here, which opens
    the page of this URL. Run as the main script itself, it shows only the way in."""
    ctx = get_script_run_ctx()
    main = Path(ctx.pages_manager.main_script_path) if ctx is not None else None
    if main is None or main.parent.name == "pages":
        st.error("Abra o Carteiro pelo endereço principal.", icon="🔒")
        st.stop()
        return
    code = ctx.pages_manager.get_page_script_byte_code(str(main))  # type: ignore[union-attr]
    if not code:
        code = compile(main.read_text(encoding="utf-8"), str(main), "exec")
    module = types.ModuleType("__main__")
    module.__dict__["__file__"] = str(main)
    exec(code, module.__dict__)  # the project's own main script

"""Exports that are built on click, reachable by an unguessable URL, and short-lived.

How Streamlit 1.67 serves a download (``runtime/media_file_manager.py``,
``memory_media_file_storage.py``, ``web/server/starlette/starlette_routes.py``):

* ``st.download_button(data=callable, on_click="ignore")`` registers the callable under a
  random placeholder id; nothing is built until the click. The click asks the server over the
  session's websocket, the callable runs, and its bytes are stored in memory under an id that
  is a hash of *(bytes, mime type, file name)* and served at ``/media/<id>`` — a plain HTTP
  route that checks **no cookie and no session**: whoever has the URL gets the file.
* The stored file belongs to no session. Streamlit's collector, run at the end of every
  script run of any session, marks it on one pass and deletes it on the next: on a quiet
  server it lived until the next two reruns — in practice until someone clicked «Sair».

What :func:`button` adds:

* **Unguessable**: the mime type carries a random 128-bit parameter drawn at each render
  (``text/csv; x-carteiro-export=<hex>``; browsers ignore unknown parameters), so the id is
  not a function of the content: the same export gives a new URL each time, and knowing the
  data does not give the URL.
* **Short-lived**: each build schedules two passes of Streamlit's own collector
  (``MediaFileManager.remove_orphaned_files``) :data:`DOWNLOAD_TTL` and twice that after the
  click, so a generated file is gone within 2 × 30 s whether or not anyone reruns.
* **Gone at logout**: «Sair» runs both passes at once (:func:`purge`).

What remains (Streamlit cannot do more without patching it): during those ≤ 60 s — or until
«Sair» — the URL answers without a cookie to anyone who has it (browser history, a proxy's
log). The collector is server-wide: a purge also removes another session's export generated
in the same instant before its browser fetched it (that user clicks again).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any, Final

from streamlit import runtime

DOWNLOAD_TTL: Final = 30.0  # seconds a generated export is kept at least
NONCE_PARAMETER: Final = "x-carteiro-export"


def _collect() -> None:
    """One pass of Streamlit's collector of media files no session shows."""
    if runtime.exists():
        runtime.get_instance().media_file_mgr.remove_orphaned_files()


def _expire_later() -> None:
    for delay in (DOWNLOAD_TTL, 2 * DOWNLOAD_TTL):
        timer = threading.Timer(delay, _collect)
        timer.daemon = True
        timer.start()


def purge() -> None:
    """Delete now every generated download that no session shows (at logout)."""
    _collect()  # marks
    _collect()  # deletes


def unguessable(mime: str) -> str:
    """``mime`` with a fresh random parameter (the media id hashes the mime type)."""
    return f"{mime}; {NONCE_PARAMETER}={secrets.token_hex(16)}"


def button(container: Any, label: str, build: Callable[[], bytes], *, file_name: str,
           mime: str, key: str) -> Any:
    """A download button whose file is built on click (see the module's doc)."""

    def data() -> bytes:
        content = build()
        _expire_later()
        return content

    return container.download_button(label, data=data, file_name=file_name,
                                     mime=unguessable(mime), on_click="ignore",
                                     icon=":material/download:", key=key)

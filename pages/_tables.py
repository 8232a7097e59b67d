"""The pages' tables: ``st.dataframe`` with pt-BR headers and formats that fit their page.

* Every number and date reads in pt-BR through a Styler (``carteiro/views/tables.py``); the
  values underneath stay numbers and dates, so the columns sort right.
* ``primary``: the columns shown by default (the ones a person reads first); the others appear
  with the table's «Mais colunas» switch. ``widths``: column widths (``"small"``,
  ``"medium"``, ``"large"`` or pixels), so the default columns fit the page at 1440 px and the
  table scrolls inside its own box on a phone.
* ``wrap``: taller rows whose text wraps (Streamlit wraps cell text only when rows are taller
  than 4 rem): for short tables whose cells hold lists (senders, billing methods).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd
import streamlit as st

from carteiro.views import tables as tables_view

AUTO_HEIGHT_ROWS: Final = 15  # smaller tables take their natural height
WRAP_ROW_HEIGHT: Final = 72  # px: more than 4 rem, so cell text wraps (up to three lines)
HEADER_HEIGHT: Final = 36  # px


def _config(frame: pd.DataFrame, headers: Mapping[str, str],
            column_config: Mapping[str, Any] | None,
            widths: Mapping[str, Any] | None) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for column in frame.columns:
        label = headers.get(column, column)
        width = (widths or {}).get(column)
        config[column] = st.column_config.Column(label, width=width) if width else label
    for column, settings in (column_config or {}).items():
        if isinstance(settings, Mapping) and settings.get("label") is None:
            settings = {**settings, "label": headers.get(column, column)}
        config[column] = settings
    return config


def _column_order(frame: pd.DataFrame, headers: Mapping[str, str],
                  primary: Sequence[str] | None, key: str | None) -> list[str] | None:
    """The columns to show: ``primary`` unless the table's «Mais colunas» switch is on."""
    if not primary:
        return None
    rest = [c for c in frame.columns if c not in primary]
    if not rest:
        return None
    more = st.toggle("Mais colunas", key=f"{key}_more" if key else None,
                     help="Mostra também: " + ", ".join(headers.get(c, c) for c in rest) + ".")
    shown = [c for c in primary if c in frame.columns]
    return shown + rest if more else shown


def table(frame: pd.DataFrame, headers: Mapping[str, str], *, money: Sequence[str] = (),
          integers: Sequence[str] = (), percent: Sequence[str] = (),
          dates: Sequence[str] = (), ids: Sequence[str] = (), moments: Sequence[str] = (),
          key: str | None = None,
          selectable: bool = False, height: int | str = "auto",
          column_config: Mapping[str, Any] | None = None,
          primary: Sequence[str] | None = None, widths: Mapping[str, Any] | None = None,
          wrap: bool = False) -> Any:
    """``st.dataframe`` with pt-BR headers (``headers``: column → header, the view's
    ``*_HEADERS``) and pt-BR formats for every number and date (``money``, ``percent``,
    ``ids`` as named; the rest by type). A ``column_config`` entry without a label takes the
    column's header. See the module's doc for ``primary``, ``widths`` and ``wrap``."""
    order = _column_order(frame, headers, primary, key)
    data = tables_view.pt_br_styler(frame, money=money, integers=integers, percent=percent,
                                    dates=dates, ids=ids, moments=moments)
    options: dict[str, Any] = {}
    if selectable:
        options = {"on_select": "rerun", "selection_mode": "single-row"}
    if len(frame) <= AUTO_HEIGHT_ROWS:
        height = "auto"
    if wrap:
        options["row_height"] = WRAP_ROW_HEIGHT
        if height == "auto":  # "auto" counts rows of the default height
            height = HEADER_HEIGHT + WRAP_ROW_HEIGHT * max(len(frame), 1) + 3
    return st.dataframe(data, column_config=_config(frame, headers, column_config, widths),
                        column_order=order, hide_index=True, width="stretch", height=height,
                        key=key, placeholder="—", **options)


def selected_row(event: Any) -> int | None:
    """The row position selected in a ``st.dataframe`` event, if any."""
    selection = event.get("selection") if isinstance(event, Mapping) else None
    rows = selection.get("rows") if isinstance(selection, Mapping) else None
    return int(rows[0]) if rows else None

"""CSV and Excel exports that spreadsheet programs open safely and correctly.

Text cells that start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are
neutralised with a leading apostrophe (OWASP's advice against CSV/formula injection): a
customer named ``=HYPERLINK(...)`` in the ERP stays text in Excel. Only text columns are
touched; numbers stay numbers.

Two flavours:

* :func:`to_machine_csv` — for scripts (the CLI): ``,``-separated, UTF-8, ``true``/``false``,
  ISO dates, ``.`` decimals; written with Arrow's CSV writer (a million rows in about a second).
* :func:`to_excel_csv` / :func:`to_xlsx` — for people (the dashboard): ``;``-separated UTF-8
  with a BOM, decimal comma and ``dd/mm/aaaa`` dates, so Excel in Portuguese opens it right.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

DANGEROUS_PREFIX = r"^[=+\-@\t\r]"


def _is_text(series: pd.Series) -> bool:
    return (
        pd.api.types.is_string_dtype(series.dtype)
        or pd.api.types.is_object_dtype(series.dtype)
        or isinstance(series.dtype, pd.CategoricalDtype)
    )


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot be read as formulas."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if not _is_text(series) or pd.api.types.is_bool_dtype(series.dtype):
            continue
        text = series.astype("string")
        risky = text.str.contains(DANGEROUS_PREFIX, regex=True).fillna(False)
        if risky.any():
            out[column] = text.where(~risky, "'" + text)
    return out


def to_machine_csv(frame: pd.DataFrame, sink: str | IO[bytes]) -> None:
    """``,``-separated UTF-8 CSV with ``true``/``false`` booleans and empty nulls."""
    safe = neutralise_formulas(frame)
    for column in safe.columns:
        series = safe[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            safe[column] = series.astype("string")
        elif pd.api.types.is_datetime64_any_dtype(series.dtype):
            safe[column] = series.dt.strftime("%Y-%m-%d").astype("string")
    table = pa.Table.from_pandas(safe, preserve_index=False)
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(quoting_style="needed"))


def _for_people(frame: pd.DataFrame, labels: Mapping[str, str] | None) -> pd.DataFrame:
    out = neutralise_formulas(frame)
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_bool_dtype(series.dtype):
            out[column] = series.map({True: "sim", False: "não"}).astype("string")
        elif pd.api.types.is_datetime64_any_dtype(series.dtype):
            out[column] = series.dt.strftime("%d/%m/%Y").astype("string")
    return out.rename(columns=dict(labels or {}))


def to_excel_csv(frame: pd.DataFrame, labels: Mapping[str, str] | None = None) -> bytes:
    """``;``-separated UTF-8 with BOM, decimal comma: what Excel in pt-BR expects."""
    out = _for_people(frame, labels)
    buffer = io.StringIO()
    out.to_csv(buffer, sep=";", decimal=",", index=False, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, labels: Mapping[str, str] | None = None,
            sheet: str = "Carteiro") -> bytes:
    out = _for_people(frame, labels)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter",
                        engine_kwargs={"options": {"strings_to_formulas": False,
                                                   "strings_to_urls": False}}) as writer:
        out.to_excel(writer, sheet_name=sheet[:31], index=False)
        worksheet = writer.sheets[sheet[:31]]
        worksheet.freeze_panes(1, 0)
        for position, column in enumerate(out.columns):
            width = min(60, max(10, len(str(column)) + 2))
            worksheet.set_column(position, position, width)
    return buffer.getvalue()

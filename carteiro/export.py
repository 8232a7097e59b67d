"""CSV and Excel exports that spreadsheet programs open safely and correctly.

Text cells that start with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line
feed, or with white space followed by one of those (``" =1+1"``, ``"\n=1+1"``), are dangerous
(OWASP's advice against CSV/formula injection: a spreadsheet may drop the white space and
evaluate the rest). In CSV they get a leading apostrophe, so a customer named
``=HYPERLINK(...)`` in the ERP stays text in Excel; in XLSX they are written as text cells
(never formulas) with Excel's "quote prefix" style, which keeps them text when edited, and
show exactly as in the ERP (no visible apostrophe). Only text columns are touched; numbers stay
numbers.

Two flavours:

* :func:`to_machine_csv` — for scripts (the CLI): ``,``-separated, UTF-8, ``true``/``false``,
  ISO dates, ``.`` decimals; written with Arrow's CSV writer (a million rows in about a second).
* :func:`to_excel_csv` / :func:`to_xlsx` — for people (the dashboard): ``;``-separated UTF-8
  with a BOM, two decimals with a decimal comma and ``dd/mm/aaaa`` dates, so Excel in
  Portuguese opens it right; the workbook with real numbers and dates under Excel number
  formats (R$, 2 decimals, ``dd/mm/aaaa``), an autofilter, a frozen header and fitted widths.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import IO, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# White space as Python's str.isspace() has it, in RE2 syntax (Arrow's regular expressions).
_SPACE = r"[\p{Z}\t\n\x0b\x0c\r\x1c-\x1f\x85]"
DANGEROUS_PREFIX = rf"^{_SPACE}*[=+\-@\t\r\n]"


def _is_text(series: pd.Series) -> bool:
    return (
        pd.api.types.is_string_dtype(series.dtype)
        or pd.api.types.is_object_dtype(series.dtype)
        or isinstance(series.dtype, pd.CategoricalDtype)
    )


def dangerous(text: pd.Series) -> np.ndarray:
    """Which cells of a text column a spreadsheet could read as a formula (null: none)."""
    array = pa.array(text.astype("string[pyarrow]").array)
    found = pc.fill_null(pc.match_substring_regex(array, DANGEROUS_PREFIX), False)
    return found.to_numpy(zero_copy_only=False)


def _neutralised(text: pd.Series) -> pd.Series:
    risky = dangerous(text)
    return text.where(~risky, "'" + text) if risky.any() else text


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot be read as formulas (a shallow copy: only
    the columns that change are new, ``frame`` is never changed)."""
    out = frame.copy(deep=False)
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            categories = series.cat.categories
            if pd.api.types.is_string_dtype(categories.dtype) or categories.dtype == object:
                fixed = _neutralised(pd.Series(categories, dtype="string"))
                if not fixed.equals(pd.Series(categories, dtype="string")):
                    out[column] = series.cat.rename_categories(list(fixed))
        elif _is_text(series) and not pd.api.types.is_bool_dtype(series.dtype):
            out[column] = _neutralised(series.astype("string"))
    return out


def _csv_cells(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One column as CSV cells: minimal quoting (like Python's csv module), nulls empty."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_dictionary(column.type):
        cells = _csv_cells(column.dictionary)
        return pc.fill_null(pc.take(cells, column.indices), "")
    if pa.types.is_boolean(column.type):
        text = pc.if_else(column, "true", "false")
    elif pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        text = pc.cast(pc.cast(column, pa.date32()), pa.string())
    else:
        text = pc.cast(column, pa.string())
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        needs_quotes = pc.match_substring_regex(text, r'[",\r\n]')
        if pc.any(needs_quotes).as_py():
            quoted = pc.binary_join_element_wise(
                '"', pc.replace_substring(text, '"', '""'), '"', ""
            )
            text = pc.if_else(needs_quotes, quoted, text)
    return pc.fill_null(text, "")


# Rows per block of the CSV body: each block is built and written on its own, so the whole
# file never sits in memory (a million rows are about 100 MB of text).
CSV_BLOCK_ROWS = 65_536
CSV_AHEAD = 3  # blocks being built or waiting to be written at once


def _csv_block(batch: pa.RecordBatch) -> pa.Buffer:
    """The CSV lines of ``batch``, each ended by a newline, as one buffer."""
    lines = pc.binary_join_element_wise(*(_csv_cells(c) for c in batch.columns), ",")
    ended = pc.binary_join_element_wise(lines, "", "\n")  # line + "\n" + ""
    ended = pc.cast(ended, pa.large_string())  # int64 offsets, whatever the size
    offsets = np.frombuffer(ended.buffers()[1], dtype=np.int64)
    first, last = offsets[ended.offset], offsets[ended.offset + len(ended)]
    return ended.buffers()[2][first:last]


def to_machine_csv(frame: pd.DataFrame, sink: str | IO[bytes]) -> None:
    """``,``-separated UTF-8 CSV for scripts: ``true``/``false``, ISO dates, empty nulls,
    minimal quoting. Built column-wise with Arrow compute, block by block
    (:data:`CSV_BLOCK_ROWS` rows: neutralised, converted to Arrow and written one block at a
    time, so no full copy of ``frame`` is ever made)."""
    header = (",".join(map(str, frame.columns)) + "\n").encode("utf-8")
    if isinstance(sink, str):
        with open(sink, "wb") as handle:
            _write_csv(frame, header, handle)
    else:
        _write_csv(frame, header, sink)


def _block_text(frame: pd.DataFrame, first: int) -> list[pa.Buffer]:
    """The CSV lines of the block of rows starting at ``first``."""
    block = neutralise_formulas(frame.iloc[first:first + CSV_BLOCK_ROWS])
    table = pa.Table.from_pandas(block, preserve_index=False)
    return [_csv_block(batch) for batch in table.to_batches() if batch.num_rows]


def _write_csv(frame: pd.DataFrame, header: bytes, handle: IO[bytes]) -> None:
    """The blocks are built two at a time in a second thread while the earlier ones are
    written (Arrow's kernels release the GIL), in order; at most :data:`CSV_AHEAD` blocks
    wait at once, so the memory stays bounded."""
    handle.write(header)
    starts = iter(range(0, len(frame), CSV_BLOCK_ROWS))
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="carteiro-csv") as pool:
        pending: deque[Future[list[pa.Buffer]]] = deque(
            pool.submit(_block_text, frame, first) for first in islice(starts, CSV_AHEAD))
        while pending:
            buffers = pending.popleft().result()
            for first in islice(starts, 1):
                pending.append(pool.submit(_block_text, frame, first))
            for buffer in buffers:
                handle.write(memoryview(buffer))


def _is_dates(series: pd.Series) -> bool:
    """A column of dates: ``datetime64`` or objects that are all ``date``/``datetime``."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return True
    return pd.api.types.is_object_dtype(series.dtype) and pd.api.types.infer_dtype(
        series, skipna=True) in ("date", "datetime", "datetime64")


def _as_dates(series: pd.Series) -> pd.Series:
    """A date column as ``datetime64`` (the time of day dropped)."""
    return pd.to_datetime(series, errors="coerce").dt.normalize()


def _for_people(frame: pd.DataFrame, labels: Mapping[str, str] | None, *,
                neutralise: bool = True, dates_as_text: bool = True) -> pd.DataFrame:
    dates = {c: _as_dates(frame[c]) for c in frame.columns if _is_dates(frame[c])}
    out = frame.assign(**dates) if dates else frame
    out = neutralise_formulas(out) if neutralise else out.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_bool_dtype(series.dtype):
            out[column] = series.map({True: "sim", False: "não"}).astype("string")
        elif column in dates and dates_as_text:
            out[column] = series.dt.strftime("%d/%m/%Y").astype("string")
    return out.rename(columns=dict(labels or {}))


def to_excel_csv(frame: pd.DataFrame, labels: Mapping[str, str] | None = None) -> bytes:
    """``;``-separated UTF-8 with BOM: what Excel in pt-BR expects. Every real number with
    two decimals and a decimal comma (``299,90``, ``0,00``; no thousands separator, so any
    Excel reads it as a number), dates ``dd/mm/aaaa``, yes/no as ``sim``/``não``."""
    out = _for_people(frame, labels)
    buffer = io.StringIO()
    out.to_csv(buffer, sep=";", decimal=",", float_format="%.2f", index=False,
               lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")


# Excel number formats (Excel shows them with the separators of the reader's locale).
XLSX_MONEY: Final = '"R$" #,##0.00'
XLSX_DECIMAL: Final = "#,##0.00"
XLSX_DATE: Final = "dd/mm/yyyy"
XLSX_MAX_WIDTH: Final = 60


def _widths(out: pd.DataFrame, money: set[str], floats: set[str]) -> list[int]:
    """Column widths (characters) that fit the header and the longest value."""
    widths = []
    for column in out.columns:
        series = out[column]
        if column in money or column in floats:
            longest = len(f"{series.abs().max():,.2f}") + 4 if series.notna().any() else 0
        elif pd.api.types.is_datetime64_any_dtype(series.dtype):
            longest = 10
        else:
            lengths = series.astype("string").str.len()
            longest = int(lengths.max()) if lengths.notna().any() else 0
        widths.append(min(XLSX_MAX_WIDTH, max(8, len(str(column)), longest) + 2))
    return widths


def to_xlsx(frame: pd.DataFrame, labels: Mapping[str, str] | None = None,
            sheet: str = "Carteiro", *, money: Sequence[str] = ()) -> bytes:
    """An .xlsx workbook people can filter at once: real numbers with Excel number formats
    (``money`` columns in R$ with 2 decimals, other real numbers with 2 decimals), real
    dates shown ``dd/mm/aaaa``, an autofilter on the header, the header frozen, and columns
    as wide as their content (up to
    :data:`XLSX_MAX_WIDTH`). Every text cell is a string (never a formula, a number or a
    link); the dangerous ones (:data:`DANGEROUS_PREFIX`) also with the quote-prefix style, as
    they are."""
    out = _for_people(frame, labels, neutralise=False, dates_as_text=False)
    name = dict(labels or {})
    money_headers = {name.get(c, c) for c in money}
    floats = {c for c in out.columns if pd.api.types.is_float_dtype(out[c].dtype)}
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter", date_format=XLSX_DATE,
                        datetime_format=XLSX_DATE,
                        engine_kwargs={"options": {"strings_to_formulas": False,
                                                   "strings_to_numbers": False,
                                                   "strings_to_urls": False}}) as writer:
        out.to_excel(writer, sheet_name=sheet[:31], index=False)
        book, worksheet = writer.book, writer.sheets[sheet[:31]]
        as_text = book.add_format({"quote_prefix": True})
        number_formats = {XLSX_MONEY: book.add_format({"num_format": XLSX_MONEY}),
                          XLSX_DECIMAL: book.add_format({"num_format": XLSX_DECIMAL})}
        widths = _widths(out, money_headers, floats)
        for position, column in enumerate(out.columns):
            series = out[column]
            if _is_text(series) and not pd.api.types.is_bool_dtype(series.dtype):
                text = series.astype("string")
                for row in np.flatnonzero(dangerous(text)):  # only the dangerous cells
                    worksheet.write_string(row + 1, position, str(text.iat[row]), as_text)
            kind = (XLSX_MONEY if column in money_headers
                    else XLSX_DECIMAL if column in floats else None)
            worksheet.set_column(position, position, widths[position],
                                 number_formats[kind] if kind else None)
        worksheet.freeze_panes(1, 0)
        worksheet.autofilter(0, 0, len(out), max(len(out.columns) - 1, 0))
    return buffer.getvalue()

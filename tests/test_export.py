"""The dashboard's exports: exactly the filtered rows, `;`-separated UTF-8 with BOM and decimal
comma for Excel in Portuguese, or .xlsx; formulas neutralised in both."""

from __future__ import annotations

import io
from collections.abc import Callable

import openpyxl
import pandas as pd
import pytest

from carteiro.export import neutralise_formulas, to_excel_csv, to_xlsx
from carteiro.rules.engine import Audit
from carteiro.views import non_recipients as non_recipients_view
from tests.test_views import HYPERLINK_NAME, mixed_erp

# The export's headers: the pt-BR labels of the visible columns, in the table's order.
HEADERS = [non_recipients_view.SUPPORT_HEADERS[c] for c in non_recipients_view.SUPPORT_COLUMNS]


@pytest.fixture
def support(run: Callable[..., Audit]) -> non_recipients_view.SupportData:
    return non_recipients_view.support_data(run(mixed_erp()))


def read_csv(data: bytes) -> pd.DataFrame:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    return pd.read_csv(io.BytesIO(data), sep=";", encoding="utf-8-sig", dtype=str,
                       keep_default_na=False)


def test_csv_holds_exactly_the_filtered_rows(support: non_recipients_view.SupportData) -> None:
    rows = non_recipients_view.apply_filters(
        support, non_recipients_view.Filters(reasons=("no_valid_email",)))
    data = to_excel_csv(non_recipients_view.export_frame(rows), non_recipients_view.SUPPORT_HEADERS)
    frame = read_csv(data)
    assert list(frame.columns) == HEADERS
    assert frame["ID"].astype(int).tolist() == rows[non_recipients_view.Cust.ID].astype(
        int).tolist()
    assert b"\r\n" in data
    assert "Nenhum e-mail válido" in set(frame["Motivo principal"])


def test_csv_neutralises_formulas_and_uses_decimal_comma(
        support: non_recipients_view.SupportData) -> None:
    rows = non_recipients_view.apply_filters(support,
                                             non_recipients_view.Filters(query="hyperlink"))
    frame = read_csv(to_excel_csv(non_recipients_view.export_frame(rows),
                                  non_recipients_view.SUPPORT_HEADERS))
    assert frame["Cliente"].tolist() == ["'" + HYPERLINK_NAME]
    assert frame["Em aberto sem aviso (R$)"].tolist() == ["99,9"]


def test_xlsx_holds_the_rows_as_text_not_formulas(support: non_recipients_view.SupportData) -> None:
    rows = non_recipients_view.apply_filters(support, non_recipients_view.Filters())
    data = to_xlsx(non_recipients_view.export_frame(rows), non_recipients_view.SUPPORT_HEADERS,
                   sheet="Não recebem")
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["Não recebem"]
    values = list(sheet.values)
    header, body = values[0], values[1:]
    assert list(header) == HEADERS
    assert len(body) == len(rows) == 11
    names = [r[header.index("Cliente")] for r in body]
    assert "'" + HYPERLINK_NAME in names
    assert not any(isinstance(n, str) and n.startswith("=") for n in names)
    cell = next(c for c in sheet["B"] if c.value == "'" + HYPERLINK_NAME)
    assert cell.data_type == "s"
    amounts = [r[header.index("Em aberto sem aviso (R$)")] for r in body]
    assert all(isinstance(a, int | float) for a in amounts)


@pytest.mark.parametrize("text", ["=1+1", "+55 11", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_every_dangerous_prefix_is_neutralised(text: str) -> None:
    out = neutralise_formulas(pd.DataFrame({"a": [text, "ok"], "n": [-1, 2]}))
    assert out["a"].tolist() == ["'" + text, "ok"]
    assert out["n"].tolist() == [-1, 2]  # numbers stay numbers

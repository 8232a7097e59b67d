"""The dashboard's exports: exactly the filtered rows, `;`-separated UTF-8 with BOM and decimal
comma for Excel in Portuguese, or .xlsx; formulas neutralised in both (an apostrophe in CSV,
text cells with Excel's quote prefix in .xlsx), read back with ``csv`` and ``openpyxl``."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carteiro.export import neutralise_formulas, to_excel_csv, to_machine_csv, to_xlsx
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
    assert HYPERLINK_NAME in names  # as in the ERP: no visible apostrophe
    assert not any(isinstance(n, str) and n.startswith("'") for n in names)
    cell = next(c for c in sheet["B"] if c.value == HYPERLINK_NAME)
    assert cell.data_type == "s"  # a string, never a formula
    assert cell.quotePrefix  # and stays text when edited in Excel
    amounts = [r[header.index("Em aberto sem aviso (R$)")] for r in body]
    assert all(isinstance(a, int | float) for a in amounts)


DANGEROUS = ["=1+1", "+55 11", "-2", "@SUM(A1)", "\tx", "\rx", "\n=1+1", "\n", "\t",
             " =1+1", "  @x", "\u00a0-1", "\u3000+1", " \n", "\r\n=cmd|' /C calc'!A0",
             "\u2028=1"]
HARMLESS = ["ok", "a=1", " a", "", "   ", "1+1", "\u200b=1", "'=1", "Fulano - Filial"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_every_dangerous_prefix_is_neutralised(text: str) -> None:
    out = neutralise_formulas(pd.DataFrame({"a": [text, "ok"], "n": [-1, 2]}))
    assert out["a"].tolist() == ["'" + text, "ok"]
    assert out["n"].tolist() == [-1, 2]  # numbers stay numbers


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_text_is_left_alone(text: str) -> None:
    out = neutralise_formulas(pd.DataFrame({"a": [text]}))
    assert out["a"].tolist() == [text]


def is_dangerous(text: str) -> bool:
    """OWASP's rule, written independently: the first character is =, +, -, @, tab, CR or
    LF, or white space comes first and is followed by one of those."""
    lead = text[: len(text) - len(text.lstrip())]
    return any(c in "\t\r\n" for c in lead) or text.lstrip()[:1] in ("=", "+", "-", "@")


def read_xlsx_column(data: bytes) -> list[tuple[object, str, bool]]:
    """(value, data type, quote prefix) of column A below the header, as openpyxl reads it
    (it leaves the OOXML escape of a carriage return, _x000D_, as it is)."""
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [(c.value.replace("_x000D_", "\r") if isinstance(c.value, str) else c.value,
             c.data_type, bool(c.quotePrefix)) for c in sheet["A"][1:]]


def check_round_trips(texts: list[str]) -> None:
    frame = pd.DataFrame({"a": pd.Series(texts, dtype="string"), "n": range(len(texts))})
    expected = ["'" + t if is_dangerous(t) else t for t in texts]
    excel = io.StringIO(to_excel_csv(frame).decode("utf-8-sig"), newline="")
    rows = list(csv.reader(excel, delimiter=";"))
    assert [r[0] for r in rows[1:]] == expected
    machine = io.BytesIO()
    to_machine_csv(frame, machine)
    rows = list(csv.reader(io.StringIO(machine.getvalue().decode("utf-8"), newline="")))
    assert [r[0] for r in rows[1:]] == expected
    cells = read_xlsx_column(to_xlsx(frame))
    assert [c[0] or "" for c in cells] == texts  # exactly as in the ERP
    assert all(c[1] == "s" for c, t in zip(cells, texts, strict=True) if t)
    assert [c[2] for c in cells] == [is_dangerous(t) for t in texts]


def test_dangerous_and_harmless_cells_read_back_from_csv_and_xlsx() -> None:
    check_round_trips(DANGEROUS + HARMLESS)


cell_text = st.text(st.sampled_from(list("=+-@\t\r\n a1'\"; ,\u00a0\u3000ç")), max_size=6)


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(cell_text, min_size=1, max_size=8))
def test_any_text_reads_back_neutralised_from_csv_and_as_is_from_xlsx(texts: list[str]) -> None:
    check_round_trips(texts)

"""The dashboard's exports: exactly the filtered rows, `;`-separated UTF-8 with BOM and decimal
comma for Excel in Portuguese, or .xlsx; formulas neutralised in both (an apostrophe in CSV,
text cells with Excel's quote prefix in .xlsx), read back with ``csv`` and ``openpyxl``."""

from __future__ import annotations

import csv
import datetime as dt
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
    assert frame["Em aberto sem aviso (R$)"].tolist() == ["99,90"]  # two decimals
    assert frame["1º vencimento sem aviso"].tolist() == ["10/03/2024"]


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
    cell = next(c for c in sheet["A"] if c.value == HYPERLINK_NAME)
    assert cell.data_type == "s"  # a string, never a formula
    assert cell.quotePrefix  # and stays text when edited in Excel
    amounts = [r[header.index("Em aberto sem aviso (R$)")] for r in body]
    assert all(isinstance(a, int | float) for a in amounts)


# ---- Formats ----------------------------------------------------------------------------------

FORMATS = pd.DataFrame({
    "id": pd.array([7, 1234], dtype="Int64"),
    "name": ["Ana", "Bia"],
    "amount": [299.9, 0.0],
    "interval": [2.0, 1.5],
    "due": pd.to_datetime(["2024-03-10", None]),
    "paid": [dt.date(2024, 3, 5), None],
    "ok": [True, False],
})
LABELS = {"id": "ID", "name": "Cliente", "amount": "Valor (R$)", "interval": "Intervalo (s)",
          "due": "Vencimento", "paid": "Pagamento", "ok": "Recebe"}


def test_excel_csv_has_two_decimals_pt_br_dates_and_words() -> None:
    data = to_excel_csv(FORMATS, LABELS)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows == [
        ["ID", "Cliente", "Valor (R$)", "Intervalo (s)", "Vencimento", "Pagamento", "Recebe"],
        ["7", "Ana", "299,90", "2,00", "10/03/2024", "05/03/2024", "sim"],
        ["1234", "Bia", "0,00", "1,50", "", "", "não"],
    ]


def test_machine_csv_keeps_iso_dates_and_plain_numbers() -> None:
    sink = io.BytesIO()
    to_machine_csv(FORMATS, sink)
    rows = list(csv.reader(io.StringIO(sink.getvalue().decode("utf-8"), newline="")))
    assert rows[0] == list(FORMATS.columns)
    assert rows[1][4:] == ["2024-03-10", "2024-03-05", "true"]
    assert float(rows[1][2]) == 299.9 and rows[2][4:6] == ["", ""]


def test_xlsx_has_number_formats_dates_filter_frozen_header_and_widths() -> None:
    long_name = "Distribuidora de Bebidas Estrela LTDA"
    frame = FORMATS.assign(name=["Ana", long_name])
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(frame, LABELS, money=["amount"]))).active
    header = [c.value for c in sheet[1]]
    assert header == list(LABELS.values())
    amount, interval, due, paid = (sheet.cell(2, header.index(h) + 1) for h in (
        "Valor (R$)", "Intervalo (s)", "Vencimento", "Pagamento"))
    assert amount.value == 299.9 and amount.number_format == '"R$" #,##0.00'
    assert interval.value == 2.0 and interval.number_format == "#,##0.00"
    assert due.value == dt.datetime(2024, 3, 10) and due.number_format == "dd/mm/yyyy"
    assert paid.value == dt.datetime(2024, 3, 5) and paid.number_format == "dd/mm/yyyy"
    assert sheet.cell(3, header.index("Vencimento") + 1).value is None
    assert sheet.cell(2, 1).value == 7 and sheet.cell(3, 1).value == 1234
    assert sheet.cell(2, header.index("Recebe") + 1).value == "sim"
    assert sheet.auto_filter.ref == "A1:G3"
    assert sheet.freeze_panes == "A2"
    name_width = sheet.column_dimensions["B"].width
    assert len(long_name) <= name_width <= 62
    assert sheet.column_dimensions["A"].width < name_width


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

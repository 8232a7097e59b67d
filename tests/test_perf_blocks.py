"""The memory-bounded paths of the 1M-customer audit give the answers of the whole-column
ones: address fields validated block by block (``carteiro.erp.emails.BLOCK_ROWS``), from a
column of several Arrow chunks, agree with the library field by field."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from carteiro.erp import emails
from carteiro.erp.emails import field_validity, library_accepts

FIELDS = [
    "fulano@gmail.com", "FULANO@GMAIL.COM", None, "", "naotem", "a@x.com; b@y.com",
    "lixo, beltrano@provedor.com.br", " a@b.co ", "a..b@x.com", "joão@provedor.com.br",
    "a@foo.test", "x@x", '"a b"@x.com', "a@x.com,", "ciclano@empresa.com.br", "a@@b.com",
]


def _expected(field: str | None) -> bool:
    """A field is valid when one of its addresses (split by , or ;, trimmed) is."""
    if field is None:
        return False
    parts = [p.strip() for p in field.replace(";", ",").split(",")]
    return any(p and library_accepts(p) for p in parts)


@pytest.mark.parametrize("block_rows", [1, 2, 3, 5, 1 << 16])
@pytest.mark.parametrize("chunks", [1, 4])
def test_field_validity_block_by_block(monkeypatch, block_rows, chunks):
    monkeypatch.setattr(emails, "BLOCK_ROWS", block_rows)
    fields = FIELDS * 3
    size = -(-len(fields) // chunks)
    array = pa.chunked_array([pa.array(fields[i:i + size], type=pa.string())
                              for i in range(0, len(fields), size)])
    column = pd.Series(pd.arrays.ArrowStringArray(array))
    got = field_validity(column)
    assert got.tolist() == [_expected(f) for f in fields]
    assert list(got.index) == list(column.index)


@pytest.mark.parametrize("block_rows", [1, 2, 3, 1 << 16])
@pytest.mark.parametrize("ahead", [1, 2, 3])
def test_machine_csv_block_by_block_keeps_the_rows_in_order(monkeypatch, block_rows, ahead):
    import csv
    import io

    from carteiro import export

    monkeypatch.setattr(export, "CSV_BLOCK_ROWS", block_rows)
    monkeypatch.setattr(export, "CSV_AHEAD", ahead)
    names = ["Ana", 'Bruno "B"', "Carla, C.", "=cmd", "Davi", "Eva\nNova", "Fábio"] * 2
    frame = pd.DataFrame({"id": range(1, len(names) + 1), "name": names,
                          "ok": [i % 3 == 0 for i in range(len(names))]})
    sink = io.BytesIO()
    export.to_machine_csv(frame, sink)
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(["id", "name", "ok"])
    for i, name in enumerate(names, start=1):
        writer.writerow([i, "'" + name if name.startswith("=") else name,
                         "true" if (i - 1) % 3 == 0 else "false"])
    assert sink.getvalue().decode("utf-8") == expected.getvalue()

"""The vectorised address validation agrees with email-validator, address by address: the fast
paths (``carteiro.erp.emails``) may only decide what the library decides the same way. Tables
of near-valid addresses and hypothesis over generated ones (Unicode dots, IDNA, quoted local
parts, lengths at the limits, hostile separators and spacing) hold them to it."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from idna import uts46data

from carteiro.erp.emails import DOTS, field_validity, library_accepts, validate_addresses

SAMPLES = [
    "fulano@gmail.com", "FULANO@GMAIL.COM", "a.b-c_d+e@empresa.com.br", "a@b.co", "a@gmail.c",
    "fulano@gmail", "fulano@@gmail.com", "fulano.gmail.com", "fulano@gmail..com", "a..b@x.com",
    ".a@x.com", "a.@x.com", "a@-x.com", "a@x-.com", "a@x_y.com", "a@ab--cd.com",
    "a@xn--bcher-kva.com", "a@foo.test", "a@foo.local", "a@localhost", "a@1.2.3.4",
    "a@[1.2.3.4]", "a@x.123", "joão@provedor.com.br", "a@ção.com.br", '"a b"@x.com',
    "a b@x.com", "naotem", "", "x@x", "a@x.c0m", "-a@x.com", "a@" + "x" * 64 + ".com",
    "a" * 65 + "@x.com", "a@" + ".".join(["abcdefghij"] * 25) + ".com", "user@sub.dominio.net",
    "a!#$%&*/=?^`{|}~@x.com", "a@x.com.", "a@.x.com", "@x.com", "a@", "a@x..com",
]


def test_fast_verdicts_match_the_library_on_known_cases():
    series = pd.Series(SAMPLES)
    ours = validate_addresses(series).tolist()
    theirs = [library_accepts(a) for a in SAMPLES]
    mismatches = [(a, o, t) for a, o, t in zip(SAMPLES, ours, theirs, strict=True) if o != t]
    assert mismatches == []


alphabet = st.sampled_from(list("abcxyz019.-_+@ çé\"[]!"))
parts = st.text(alphabet, min_size=0, max_size=12)
tlds = st.sampled_from(["com", "com.br", "br", "c", "test", "local", "1", "co", "museum", ""])


@settings(max_examples=400, deadline=None)
@given(local=parts, domain=parts, tld=tlds)
def test_fast_verdicts_match_the_library_on_random_addresses(local, domain, tld):
    address = f"{local}@{domain}.{tld}" if tld else f"{local}@{domain}"
    assert validate_addresses(pd.Series([address])).iloc[0] == library_accepts(address)


@pytest.mark.parametrize(("field", "valid"), [
    ("a@gmail.com", True), ("  a@gmail.com  ", True), ("x@x;a@gmail.com", True),
    ("a@gmail.com , lixo", True), ("lixo;;outro lixo", False), (";", False), (None, False),
    ("", False),
])
def test_field_validity(field, valid):
    result = field_validity(pd.Series([field, "ok@uol.com.br"], index=[10, 20]))
    assert result.tolist() == [valid, True]
    assert result.index.tolist() == [10, 20]


def test_each_distinct_address_goes_to_the_library_once(monkeypatch):
    calls: list[str] = []
    import carteiro.erp.emails as emails

    def counting(address: str) -> bool:
        calls.append(address)
        return library_accepts(address)

    monkeypatch.setattr(emails, "library_accepts", counting)
    field_validity(pd.Series(["joão@x.com.br"] * 50 + ["maria@ç.com; joão@x.com.br"] * 5))
    assert sorted(calls) == ["joão@x.com.br", "maria@ç.com"]


# The fast paths never decide otherwise than the library --------------------------------------
def test_every_character_uts46_maps_to_a_period_is_a_dot_of_the_fast_paths():
    """The certain-reject rule "no period after the last @" counts these as periods: every
    code point UTS-46 maps to text holding a period, read from idna's own table."""
    table = uts46data.uts46data
    mapped: set[str] = set()
    for row, following in zip(table, [*table[1:], (0x110000, "X")], strict=True):
        if len(row) == 3 and "." in row[2]:
            mapped.update(chr(c) for c in range(row[0], following[0]))
    assert mapped - {"."} and mapped <= set(DOTS)


def test_arrow_trims_the_white_space_python_strips():
    """Fields are trimmed by Arrow; the reference (``str.strip``) must agree on every
    character."""
    characters = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    trimmed = pc.utf8_trim_whitespace(pa.array(characters)).to_pylist()
    assert [c for c, t in zip(characters, trimmed, strict=True) if t != c.strip()] == []


KELVIN = "\u212a"  # lower-cases to an ASCII k, but takes three bytes
AGREEMENT_TABLE = [
    "ana@exemplo\u3002com", "ana@exemplo\uff0ecom", "ana@exemplo\uff61com", "ana@exemplo\u2024com",
    "ana@exemplo\ufe52com", "ana@exemplo\u3002\u3002com", "ana\u3002b@exemplo.com",
    "ana@" + KELVIN + "exemplo.com", KELVIN + "@exemplo.com",
    "a" * 60 + "@" + KELVIN + "b" * 60 + "." + KELVIN + "c" * 59 + "." + KELVIN + "d" * 59
    + "." + KELVIN + "e" * 4 + ".com",
    "ANA@EXEMPLO.COM", "ana@xn--bcher-kva.com", "ana@bücher.com", "ana@xn--zz.com",
    "ana@ab--cd.com", "ana@x--y.com", "ana@xn--p1ai", "ana@exemplo.xn--p1ai",
    '"ana"@x.com', '"a b"@x.com', '"a@b"@x.com', "Ana <ana@x.com>", "<ana@x.com>",
    "a" * 64 + "@x.com", "a" * 65 + "@x.com", "a@" + "b" * 63 + ".com", "a@" + "b" * 64 + ".com",
    "a" * 64 + "@" + ("b" * 62 + ".") * 3 + "c" * 58 + ".com",
    "a" * 64 + "@" + ("b" * 62 + ".") * 3 + "c" * 59 + ".com",
    "a" * 63 + "ç@" + ("b" * 62 + ".") * 3 + "c" * 57 + ".com",
    "ana@x.com.", "ana@.x.com", "ana@x.c", "ana@x.co", "ana@x.test", "ana@x.local",
    "ana@x.arpa", "ana@x.onion", "ana@localhost", "ana@x.123", "ana@[1.2.3.4]",
    "ana@ｅｘｅｍｐｌｏ.com", "ａｎａ@exemplo.com", "ana＠exemplo.com", "ana@exemplo.ＣＯＭ",
    "ana\u200b@x.com", "ana@x\u200b.com", "\u0301ana@x.com", "ana@x.com\u0301",
    "ana@x_y.com", "ana_@x.com", "a!#$%&'*+/=?^`{|}~@x.com", "", "@", "a@", "@x.com",
]


def test_fast_verdicts_agree_with_the_library_on_a_table_of_near_valid_addresses():
    ours = validate_addresses(pd.Series(AGREEMENT_TABLE, dtype=object)).tolist()
    theirs = [library_accepts(a) for a in AGREEMENT_TABLE]
    assert [(a, o) for a, o, t in zip(AGREEMENT_TABLE, ours, theirs, strict=True) if o != t] == []
    assert ours[0] and ours[1] and ours[2]  # ana@exemplo。com is valid (the library says so)


def _reference(field: object) -> bool:
    """The contract's definition, straight: split on , and ;, trim, any part the library
    accepts."""
    if not isinstance(field, str):
        return False
    return any(library_accepts(part.strip()) for part in re.split("[,;]", field))


SPACES = ["", "", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", " \t "]
HOSTILE_FIELDS = [
    " ana@x.com ", "\tana@x.com\n", "x ; ana@x.com", ";;ana@x.com,,", "ana@x.com\u00a0",
    "lixo,\u3000ana@exemplo\u3002com\t;", "ana@x.com;", ";", ",", " ; , ", "ana @x.com",
    "ana@x.com , ", '"a,b"@x.com', '"a;b"@x.com, ana@x.com', "a@b.c;d@e.f", "\n",
    "Ana <ana@x.com>; bia@y.com.br", "x\ud800@y.com; ana@x.com", "x\udc00@y.com",
]


def test_field_validity_agrees_with_the_definition_on_hostile_fields():
    fields = pd.Series(HOSTILE_FIELDS + [None, 5], dtype=object)
    assert field_validity(fields).tolist() == [_reference(f) for f in fields]


ascii_locals = st.text(st.sampled_from(list("abcz09._+-")), min_size=1, max_size=8)
odd_characters = st.sampled_from(["ç", "é", "ü", KELVIN, "İ", "ß", "\u0301", "\u200b", "ａ",
                                  "Ω", "\u3002", " ", "\u00a0", "!", "#"])
locals_ = st.one_of(
    ascii_locals,
    st.builds(lambda a, u, b: a + u + b, ascii_locals, odd_characters, ascii_locals),
    st.builds(lambda a: f'"{a}"', st.text(st.sampled_from(list('ab @,;\\"ç')), max_size=6)),
    st.sampled_from(["a" * 63, "a" * 64, "a" * 65, ".a", "a.", "a..b", "-", "", "A.B"]),
)
labels = st.one_of(
    st.text(st.sampled_from(list("abz09-")), min_size=1, max_size=10),
    st.sampled_from(["xn--bcher-kva", "xn--zz", "xn--", "ab--cd", "bücher", "ção", KELVIN + "a",
                     "b" * 63, "b" * 64, "ＥＸ", "例え", "-a", "a-", "1", "_a", "İx"]),
)
dots = st.sampled_from([".", ".", ".", "\u3002", "\uff0e", "\uff61", "\u2024", "..", "\ufe52"])
tlds = st.sampled_from(["com", "br", "com.br", "c", "test", "local", "onion", "arpa", "1",
                        "xn--p1ai", "co", "ＣＯＭ", "Com", "a1", "museum", ""])
ats = st.sampled_from(["@", "@", "@", "@@", "＠", ""])


def _padded(address: str, target: int) -> str:
    """``address`` with labels put in front of its domain until it is ``target`` UTF-8 bytes
    long (or one more, when only a lone period would be missing)."""
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    padding, need = "", target - len(address.encode())
    while need > 1:
        size = min(63, need - 1)
        padding, need = padding + "p" * size + ".", need - size - 1
    return f"{local}@{padding}{domain}"


@st.composite
def near_valid_addresses(draw: st.DrawFn) -> str:
    domain = "".join(draw(labels) + draw(dots) for _ in range(draw(st.integers(0, 3))))
    address = draw(locals_) + draw(ats) + domain + draw(tlds)
    target = draw(st.sampled_from([None, None, 253, 254, 255]))
    address = _padded(address, target) if target else address
    return address.upper() if draw(st.booleans()) and draw(st.booleans()) else address


@settings(max_examples=600, deadline=None)
@given(addresses=st.lists(near_valid_addresses(), min_size=1, max_size=12))
def test_fast_verdicts_agree_with_the_library_on_near_valid_addresses(addresses):
    ours = validate_addresses(pd.Series(addresses, dtype=object)).tolist()
    assert ours == [library_accepts(a) for a in addresses]


separators = st.sampled_from([",", ";", ";;", ",;", " , ", "; ", "\t;\n"])


@st.composite
def hostile_fields(draw: st.DrawFn) -> str | None:
    if draw(st.integers(0, 15)) == 0:
        return None
    parts = [draw(st.sampled_from(SPACES)) + draw(near_valid_addresses())
             + draw(st.sampled_from(SPACES)) for _ in range(draw(st.integers(1, 3)))]
    field = draw(separators).join(parts)
    return draw(st.sampled_from(["", "", ";", ", "])) + field + draw(
        st.sampled_from(["", "", ";", " ,"]))


@settings(max_examples=400, deadline=None)
@given(fields=st.lists(hostile_fields(), min_size=1, max_size=10))
def test_field_validity_agrees_with_the_definition_on_hostile_separators(fields):
    series = pd.Series(fields, dtype=object)
    assert field_validity(series).tolist() == [_reference(f) for f in fields]


def test_blob_addresses_are_read_as_text_like_the_library_would() -> None:
    """A BLOB e-mail column (bytes) is decoded as UTF-8, invalid bytes replaced; the verdict is
    the library's on that text, and the column shown is the same text."""
    from carteiro.erp.emails import text_column

    raw = pd.Series([b"ana@exemplo.com", b"\xff@", "bia@exemplo.com", None], dtype=object)
    text = text_column(raw)
    assert text.tolist()[:3] == ["ana@exemplo.com", "\ufffd@", "bia@exemplo.com"]
    assert text.isna().tolist() == [False, False, False, True]
    assert field_validity(raw).tolist() == [
        library_accepts("ana@exemplo.com"), library_accepts("\ufffd@"),
        library_accepts("bia@exemplo.com"), False]

"""The vectorised address validation agrees with email-validator, address by address."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carteiro.erp.emails import field_validity, library_accepts, validate_addresses

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

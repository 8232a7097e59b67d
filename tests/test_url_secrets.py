"""Database passwords never shown, logged or stored: one redaction (``redact_url``) behind the
dashboard's sidebar, the error messages and the state store's ``source_key``.

The URLs are parsed as SQLAlchemy parses them when it connects, so a password with a raw
``?``, ``#`` or ``/`` (which SQLAlchemy accepts) is hidden whole, and password-like query
parameters (``?password=``, ``?senha=``, …) are hidden too.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from carteiro.erp.failures import explain
from carteiro.erp.source import DataSource, redact_url
from carteiro.sender.history import TABLE_SENDER_TEST, StateStore, source_key
from tests.cli_helpers import assert_one_line_error, carteiro
from tests.test_state import result

# Passwords SQLAlchemy reads whole from a URL although they hold URL syntax.
SPECIAL_PASSWORDS = ["Seg?redo#X9/b", "abc#def?x=1", "s3/cr3t/?", "p#ss?wd&q=1", "x y%zz:w"]


@pytest.mark.parametrize("password", SPECIAL_PASSWORDS)
def test_password_with_url_characters_is_hidden_whole(password: str) -> None:
    url = f"postgresql+psycopg://erp:{password}@db.provedor:5432/hubsoft"
    assert redact_url(url) == "postgresql+psycopg://erp:***@db.provedor:5432/hubsoft"
    assert source_key(url) == "postgresql+psycopg://erp@db.provedor:5432/hubsoft"
    assert DataSource(url, "CARTEIRO_DB_URL").display == redact_url(url)


@pytest.mark.parametrize("key", ["password", "PASSWORD", "passwd", "pwd", "senha", "Senha",
                                 "sslpassword", "secret", "token"])
def test_password_like_query_parameters_are_hidden(key: str) -> None:
    url = f"postgresql+psycopg://erp@db/hubsoft?sslmode=require&{key}=Segredo123"
    shown = redact_url(url)
    assert "Segredo123" not in shown
    assert f"{key}=***" in shown and "sslmode=require" in shown
    assert source_key(url) == "postgresql+psycopg://erp@db/hubsoft?sslmode=require"


def test_password_in_both_places() -> None:
    url = "mysql+pymysql://leitura:a?b#c@db:3306/erp?charset=utf8mb4&password=outra"
    for text in (redact_url(url), source_key(url)):
        assert "a?b#c" not in text and "outra" not in text
    assert source_key(url) == "mysql+pymysql://leitura@db:3306/erp?charset=utf8mb4"


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://erp:p@ss@db/hubsoft",   # a raw '@' in the password
    "postgresql+psycopg://erp:p@ss/wo@db/hubsoft",
    "postgresql+psycopg://erp:p@ss:wo@db:5432/hubsoft",
])
def test_raw_at_sign_in_the_password_shows_no_part_of_it(url: str) -> None:
    for text in (redact_url(url), source_key(url)):
        assert "ss" not in text.replace("postgresql", ""), text
        assert "wo" not in text, text


def test_unparsable_url_shows_only_the_scheme() -> None:
    url = "postgresql+psycopg://erp:Segredo@db:porta/hubsoft"
    assert redact_url(url) == "postgresql+psycopg://…"
    assert "Segredo" not in source_key(url)


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://erp@db.provedor.com.br:5432/hubsoft",
    "postgresql://erp@db/hubsoft?sslmode=require&application_name=carteiro",
    "postgresql://db/hubsoft?options=-csearch_path%3Derp&sslmode=require",
    "mysql+pymysql://leitura@10.0.0.5:3306/hubsoft?charset=utf8mb4",
    "sqlite:////srv/erp/demo.sqlite",
    "sqlite:///relativo/erp.sqlite",
    "sqlite:////home/joão@empresa/erp.sqlite",
    "/srv/erp/demo.sqlite",
])
def test_url_without_secrets_is_kept_as_written(url: str) -> None:
    assert redact_url(url) == url
    assert source_key(url) == url
    assert source_key(f"  {url} ") == url


# Rows the previous version wrote (key made with urllib.parse) still match after the change.
OLD_ROWS = [
    ("postgresql+psycopg://erp:s3cret@db.provedor.com.br:5432/hubsoft",
     "postgresql+psycopg://erp@db.provedor.com.br:5432/hubsoft"),
    ("postgresql://erp@db/hubsoft?sslmode=require&application_name=carteiro",
     "postgresql://erp@db/hubsoft?sslmode=require&application_name=carteiro"),
    ("postgresql://db/hubsoft?sslmode=require&password=x", "postgresql://db/hubsoft?sslmode=require"),
    ("mysql+pymysql://leitura@10.0.0.5:3306/hubsoft?charset=utf8mb4",
     "mysql+pymysql://leitura@10.0.0.5:3306/hubsoft?charset=utf8mb4"),
    ("sqlite:////srv/erp/demo.sqlite", "sqlite:////srv/erp/demo.sqlite"),
]


@pytest.mark.parametrize(("url", "stored"), OLD_ROWS)
def test_history_rows_of_the_previous_version_still_match(tmp_path: Path, url: str,
                                                          stored: str) -> None:
    store = StateStore(tmp_path / "state.sqlite")
    with sqlite3.connect(store.path) as con:  # a row as the previous version wrote it
        con.execute(
            f"INSERT INTO {TABLE_SENDER_TEST} (tested_at, source, sender_id, host, port, "
            "security, from_addr, recipient, success, failed_stage, message) VALUES "
            "('2024-03-01T12:00:00.000000+00:00', ?, 7, 'smtp', 587, 'tls', 'a@b.c', "
            "'c@d.e', 0, 'auth', 'recusado')", (stored,))
    con.close()
    assert store.failing_since(url).keys() == {7}


@pytest.mark.parametrize("password", SPECIAL_PASSWORDS)
def test_state_file_never_holds_the_password(tmp_path: Path, password: str) -> None:
    store = StateStore(tmp_path / "state.sqlite")
    url = f"postgresql+psycopg://erp:{password}@db/hubsoft?senha=Outra{password}"
    store.record_sender_test(result(False), source=url, sender_id=3)
    data = (tmp_path / "state.sqlite").read_bytes()
    assert password.encode() not in data
    assert b"Outra" not in data
    assert store.failing_since(url).keys() == {3}


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://erp:Seg?redo#X9/b@127.0.0.1:9/hubsoft",        # refused port
    "postgresql+psycopg://erp:Seg?redo#X9/b@127.0.0.1:porta/hubsoft",    # port not a number
    "postgresql+psycopg://erp:Seg@redo@127.0.0.1:9/hubsoft",             # raw '@'
    "mysql+pymysql://erp:Seg?redo#X9@127.0.0.1:9/hubsoft?password=Seg?redo2",
    "nada+driver://erp:Seg?redo#X9@127.0.0.1/hubsoft",                   # unknown dialect
])
def test_cli_errors_never_print_the_password(url: str) -> None:
    line = assert_one_line_error(carteiro("audit", "--db", url, "--start", "2024-03-01"))
    for fragment in ("Seg?redo", "redo#X9", "Seg@redo", "redo@", "redo2"):
        assert fragment not in line, line


def test_a_driver_message_that_repeats_the_password_is_masked() -> None:
    password = "Seg?redo#X9/b"
    url = f"postgresql+psycopg://erp:{password}@db/hubsoft"
    line = str(explain(sqlite3.OperationalError(f"opção inválida perto de {password}"), url))
    assert password not in line
    assert "perto de ***" in line

"""tests/servers.py skips only when a server is not reachable; any other error fails."""

from __future__ import annotations

import sqlalchemy as sa

from tests import servers


def _error(url: str) -> BaseException:
    try:
        sa.create_engine(url, connect_args={"connect_timeout": 3}).connect()
    except Exception as err:  # the error is what is under test
        return err
    raise AssertionError(f"{url} connected")


def test_refused_connection_is_unreachable():
    # port 9 (discard) on the loopback: nothing listens, the kernel refuses at once
    assert servers._unreachable(_error("postgresql+psycopg://postgres@127.0.0.1:9/x"))


def test_refused_socket_error_is_unreachable():
    assert servers._unreachable(ConnectionRefusedError(111, "Connection refused"))
    assert servers._unreachable(TimeoutError("timed out"))


def test_other_errors_are_not_unreachable():
    assert not servers._unreachable(ImportError("No module named 'psycopg'"))
    assert not servers._unreachable(ValueError("bad port"))
    assert not servers._unreachable(sa.exc.OperationalError(
        "SELECT 1", {}, Exception('password authentication failed for user "postgres"')))

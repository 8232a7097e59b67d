"""Carteiro's own state store: a small SQLite file, never the ERP database.

For now it keeps the history of sender tests («Remetente de Email > Testar»). Condition 2 of
the audit (``sender_unavailable``) reads it through :meth:`StateStore.failing_since`.

Which tests count for condition 2 (the contract: a test speaks only for the sender, and from
its moment on):

* a **success** counts: it clears an earlier failure;
* a failure where the server **answered and refused** (``refused``: TLS certificate or
  handshake, banner, EHLO, STARTTLS, AUTH, MAIL FROM, RCPT TO, DATA) counts;
* a failure to **reach** the server at all (``unreachable``: the ``connect`` stage — name not
  found, connection refused, timed out, no route) may be the network of the machine that runs
  Carteiro: it is kept and shown, but counts only once the person who ran it confirms that it
  reflects the ERP's sender (``reach_confirmed``). A server that accepted the TCP connection
  and then closed it, stayed silent or refused the greeting has answered: that is ``refused``;
* a test of a server typed by hand (no ERP sender id) never counts.

Per sender, the **latest counting test decides** (by test time, then insertion): a failure
makes the sender fail condition 2 from the day it speaks from; a success clears. An
unconfirmed reach failure neither fails nor clears: what the latest counting test said still
holds. A sender never tested (or only with unconfirmed reach failures) is not failed.

The day a test speaks from is its date in the provider's time zone
(:mod:`carteiro.localtime`, ``CARTEIRO_TIMEZONE``), fixed when the test is recorded.

Location: the ``path`` argument, else the environment variable ``CARTEIRO_STATE_DB``, else
``state.sqlite`` in Carteiro's own folder (``.carteiro/`` of the checkout, git-ignored; see
:func:`carteiro.erp.source.home_dir`). The file is private and must be Carteiro's
(:mod:`carteiro.sender.state_file`); its schema is migrated on open
(:mod:`carteiro.sender.history_schema`).

Every call opens and closes its own connection, so one :class:`StateStore` can be shared by
Streamlit's threads; SQLite's busy timeout serialises concurrent writers. The SMTP password is
never stored: only what :class:`~carteiro.sender.smtp.SmtpTestResult` carries, whose texts are
already redacted. The ERP source is stored through :func:`source_key`, which drops the
database password from a URL.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from carteiro.erp.source import home_dir, redact_url
from carteiro.localtime import local_day
from carteiro.sender.history_schema import (
    COL_FAILED_STAGE,
    COL_FAILURE_KIND,
    COL_FROM,
    COL_HOST,
    COL_ID,
    COL_MESSAGE,
    COL_PORT,
    COL_REACH_CONFIRMED,
    COL_RECIPIENT,
    COL_SECURITY,
    COL_SENDER_ID,
    COL_SOURCE,
    COL_SPEAKS_FROM,
    COL_SUCCESS,
    COL_TESTED_AT,
    COUNTS_SQL,
    FAILURE_REFUSED,
    FAILURE_UNREACHABLE,
    SCHEMA_VERSION,
    SENDER_TEST_COLUMNS,
    TABLE_SENDER_TEST,
    failure_kind,
)
from carteiro.sender.state_file import STATE_DB_ENV, connect, open_state_file

if TYPE_CHECKING:
    from carteiro.sender.smtp import SmtpTestResult

__all__ = [
    "COL_FAILED_STAGE", "COL_FAILURE_KIND", "COL_FROM", "COL_HOST", "COL_ID", "COL_MESSAGE",
    "COL_PORT", "COL_REACH_CONFIRMED", "COL_RECIPIENT", "COL_SECURITY", "COL_SENDER_ID",
    "COL_SOURCE", "COL_SPEAKS_FROM", "COL_SUCCESS", "COL_TESTED_AT", "COL_COUNTS",
    "COL_DECIDES", "FAILURE_REFUSED", "FAILURE_UNREACHABLE", "HISTORY_COLUMNS",
    "SCHEMA_VERSION", "SENDER_TEST_COLUMNS", "STATE_DB_ENV", "StateStore", "RecordedTest",
    "failure_kind", "source_key",
]  # fmt: skip

# Derived columns of the history frame (not stored).
COL_COUNTS = "counts"  # the test counts for condition 2
COL_DECIDES = "decides"  # it is the latest counting test of its sender: it decides

HISTORY_COLUMNS: tuple[str, ...] = (COL_ID, *SENDER_TEST_COLUMNS, COL_COUNTS, COL_DECIDES)

def source_key(url: str) -> str:
    """Identify an ERP database without its password (how the history stores its source).

    ``postgresql+psycopg://erp:s3cret@db:5432/hubsoft`` becomes
    ``postgresql+psycopg://erp@db:5432/hubsoft``; password-like query parameters
    (``?password=...``, ``?senha=...``) and ``password=...`` pairs of key=value connection
    strings are dropped too. A URL without secrets is its own key, unchanged (trimmed), as
    earlier versions stored it. See :func:`carteiro.erp.source.redact_url`.
    """
    return redact_url(url, mask=False)


def _default_path() -> Path:
    env = os.environ.get(STATE_DB_ENV, "").strip()
    return Path(env) if env else home_dir() / "state.sqlite"


def _utc(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _utc_iso(text: str) -> str:
    """Normalise a timestamp to UTC ISO 8601 with microseconds, so text order is time order."""
    return _utc(text).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class RecordedTest:
    """One recorded test, as condition 2 reads it."""

    test_id: int
    sender_id: int | None
    ok: bool
    tested_at: dt.datetime  # UTC
    day: dt.date  # the day it speaks from (provider's time zone)
    failure_kind: str | None  # FAILURE_REFUSED, FAILURE_UNREACHABLE; None on success
    reach_confirmed: bool  # a reach failure confirmed as the ERP's sender's

    @property
    def unreachable(self) -> bool:
        return self.failure_kind == FAILURE_UNREACHABLE

    @property
    def counts(self) -> bool:
        """Whether it counts for condition 2 (see the module docstring)."""
        return self.sender_id is not None and (not self.unreachable or self.reach_confirmed)

    @property
    def awaits_confirmation(self) -> bool:
        """A reach failure of an ERP sender that nobody confirmed yet."""
        return self.sender_id is not None and self.unreachable and not self.reach_confirmed


_RECORD_COLUMNS = (COL_ID, COL_SENDER_ID, COL_SUCCESS, COL_TESTED_AT, COL_SPEAKS_FROM,
                   COL_FAILURE_KIND, COL_REACH_CONFIRMED)


def _record(row: tuple[object, ...]) -> RecordedTest:
    test_id, sender_id, success, tested_at, day, kind, confirmed = row
    moment = _utc(str(tested_at))
    return RecordedTest(
        test_id=int(test_id),  # type: ignore[call-overload]
        sender_id=None if sender_id is None else int(sender_id),  # type: ignore[call-overload]
        ok=bool(success),
        tested_at=moment,
        # a row without its day (written by an older Carteiro after the migration): compute it
        day=dt.date.fromisoformat(str(day)) if day else local_day(moment),
        failure_kind=None if success else str(kind or FAILURE_REFUSED),
        reach_confirmed=bool(confirmed),
    )


def _latest_sql(counting_only: bool, one_sender: bool) -> str:
    """The latest test per sender of one source (only counting tests, or any)."""
    where = f"{COL_SOURCE} = ? AND {COL_SENDER_ID} IS NOT NULL"
    if counting_only:
        where += f" AND {COUNTS_SQL}"
    if one_sender:
        where += f" AND {COL_SENDER_ID} = ?"
    columns = ", ".join(_RECORD_COLUMNS)
    return f"""
        SELECT {columns} FROM (
            SELECT {columns}, ROW_NUMBER() OVER (
                PARTITION BY {COL_SENDER_ID} ORDER BY {COL_TESTED_AT} DESC, {COL_ID} DESC
            ) AS position
            FROM {TABLE_SENDER_TEST} WHERE {where}
        ) WHERE position = 1
    """


class StateStore:
    """Carteiro's SQLite state file; see the module docstring for where it lives."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else _default_path()
        open_state_file(self.path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection per call (see :func:`carteiro.sender.state_file.connect`)."""
        with connect(self.path) as con:
            yield con

    def record_sender_test(self, result: SmtpTestResult, *, source: str, sender_id: int | None,
                           reach_confirmed: bool = False) -> RecordedTest:
        """Append one test result to the history (never the password: it is not in ``result``).

        ``reach_confirmed`` says the person who ran it confirms that a reach failure reflects
        the ERP's sender (ignored for any other result). Returns the record as condition 2
        reads it. Raises :class:`~carteiro.errors.CarteiroError` for an unknown
        ``CARTEIRO_TIMEZONE`` (nothing is written then).
        """
        kind = failure_kind(result)
        row = {
            COL_TESTED_AT: _utc_iso(result.started_at),
            COL_SOURCE: source_key(source),
            COL_SENDER_ID: sender_id,
            COL_HOST: result.host,
            COL_PORT: result.port,
            COL_SECURITY: result.security,
            COL_FROM: result.from_addr,
            COL_RECIPIENT: result.to_addr,
            COL_SUCCESS: int(result.ok),
            COL_FAILED_STAGE: result.failed_stage,
            COL_MESSAGE: result.message,
            COL_SPEAKS_FROM: local_day(_utc(result.started_at)).isoformat(),
            COL_FAILURE_KIND: kind,
            COL_REACH_CONFIRMED: (int(reach_confirmed) if kind == FAILURE_UNREACHABLE
                                  else None),
        }
        columns = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        with self._connect() as con:
            cursor = con.execute(
                f"INSERT INTO {TABLE_SENDER_TEST} ({columns}) VALUES ({marks})", row)
            test_id = cursor.lastrowid
        record = self.test(int(test_id or 0))
        assert record is not None
        return record

    def test(self, test_id: int) -> RecordedTest | None:
        """One recorded test by its id (None when there is none)."""
        sql = (f"SELECT {', '.join(_RECORD_COLUMNS)} FROM {TABLE_SENDER_TEST} "
               f"WHERE {COL_ID} = ?")
        with self._connect() as con:
            row = con.execute(sql, (int(test_id),)).fetchone()
        return None if row is None else _record(row)

    def confirm_reach_failure(self, test_id: int) -> RecordedTest | None:
        """Confirm that the reach failure ``test_id`` reflects the ERP's sender, so it counts
        for condition 2. Only an unconfirmed reach failure of an ERP sender changes; returns
        the record when it did, else None."""
        sql = (
            f"UPDATE {TABLE_SENDER_TEST} SET {COL_REACH_CONFIRMED} = 1 WHERE {COL_ID} = ? AND "
            f"{COL_SUCCESS} = 0 AND {COL_FAILURE_KIND} = '{FAILURE_UNREACHABLE}' AND "
            f"{COL_SENDER_ID} IS NOT NULL AND COALESCE({COL_REACH_CONFIRMED}, 0) = 0"
        )
        with self._connect() as con:
            changed = con.execute(sql, (int(test_id),)).rowcount
        return self.test(test_id) if changed else None

    def deciding_tests(self, source: str) -> dict[int, RecordedTest]:
        """Per sender of ``source``, its latest test that counts for condition 2."""
        with self._connect() as con:
            rows = con.execute(_latest_sql(True, False), (source_key(source),)).fetchall()
        return {int(row[1]): _record(row) for row in rows}

    def latest_test(self, source: str, sender_id: int) -> RecordedTest | None:
        """The latest test of one sender of ``source``, whether it counts or not."""
        with self._connect() as con:
            row = con.execute(_latest_sql(False, True),
                              (source_key(source), int(sender_id))).fetchone()
        return None if row is None else _record(row)

    def failing_since(self, source: str) -> dict[int, dt.date]:
        """Senders of ``source`` whose latest counting test failed, with the day it speaks
        from: condition 2 fails for their invoices with a firing send date on or after it.
        Never tested, or only unconfirmed reach failures: not failed."""
        return {sender: record.day for sender, record in self.deciding_tests(source).items()
                if not record.ok}

    def recent_sender_tests(
        self, source: str, sender_id: int | None = None, limit: int = 20
    ) -> pd.DataFrame:
        """The latest ``limit`` tests of ``source`` (of one sender if given), newest first.

        Columns :data:`HISTORY_COLUMNS`: ``tested_at`` is a UTC datetime, ``speaks_from`` a
        date, ``sender_id`` a nullable integer, ``success``, ``reach_confirmed``, ``counts``
        and ``decides`` bools.
        """
        key = source_key(source)
        where = f"{COL_SOURCE} = ?"
        params: list[object] = [key]
        if sender_id is not None:
            where += f" AND {COL_SENDER_ID} = ?"
            params.append(sender_id)
        counts = f"({COL_SENDER_ID} IS NOT NULL AND {COUNTS_SQL})"
        deciding = f"{COL_ID} IN (SELECT {COL_ID} FROM ({_latest_sql(True, False)}))"
        stored = ", ".join((COL_ID, *SENDER_TEST_COLUMNS))
        sql = (
            f"SELECT {stored}, {counts}, {deciding} FROM {TABLE_SENDER_TEST} WHERE {where} "
            f"ORDER BY {COL_TESTED_AT} DESC, {COL_ID} DESC LIMIT ?"
        )
        with self._connect() as con:
            rows = con.execute(sql, [key, *params, max(0, int(limit))]).fetchall()
        return _history_frame(rows)


def _history_frame(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=list(HISTORY_COLUMNS))
    return frame.assign(
        **{
            COL_ID: frame[COL_ID].astype("int64"),
            COL_TESTED_AT: pd.to_datetime(frame[COL_TESTED_AT], utc=True, format="ISO8601"),
            COL_SPEAKS_FROM: pd.to_datetime(frame[COL_SPEAKS_FROM], format="ISO8601").dt.date,
            COL_SENDER_ID: frame[COL_SENDER_ID].astype("Int64"),
            COL_PORT: frame[COL_PORT].astype("int64"),
            COL_SUCCESS: frame[COL_SUCCESS].astype(bool),
            COL_FAILURE_KIND: frame[COL_FAILURE_KIND].astype("string"),
            COL_REACH_CONFIRMED: frame[COL_REACH_CONFIRMED].fillna(0).astype(bool),
            COL_COUNTS: frame[COL_COUNTS].astype(bool),
            COL_DECIDES: frame[COL_DECIDES].astype(bool),
        }
    )

"""The provider's time zone: the day a moment falls on, as the provider's staff count days.

A sender test is stored with its UTC moment; the day it speaks from (condition 2) is that
moment's date in the provider's time zone, and the dashboard shows moments in it. Default
``America/Sao_Paulo``; another IANA name (``America/Manaus``, ``America/Rio_Branco``…) comes
from the environment variable ``CARTEIRO_TIMEZONE``. An unknown name is a
:class:`~carteiro.errors.CarteiroError` with one pt-BR line, never a silent fallback: a wrong
day would move what a failed test blocks.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from carteiro.errors import CarteiroError

TIMEZONE_ENV = "CARTEIRO_TIMEZONE"
DEFAULT_TIMEZONE = "America/Sao_Paulo"


def provider_timezone() -> ZoneInfo:
    """The provider's time zone (``CARTEIRO_TIMEZONE``, else ``America/Sao_Paulo``)."""
    name = os.environ.get(TIMEZONE_ENV, "").strip() or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise CarteiroError(
            f"Fuso horário desconhecido em {TIMEZONE_ENV}: {name!r}. Use um nome da base IANA, "
            f"como {DEFAULT_TIMEZONE}."
        ) from None


def _now() -> dt.datetime:
    """This moment, aware (UTC). One place, so tests can freeze the clock."""
    return dt.datetime.now(dt.UTC)


def provider_today() -> dt.date:
    """Today as the provider's staff count days (their time zone, not this machine's): the
    current month and the as-of date default to it. *Choice*: a server on UTC would otherwise
    show next month's period from 21:00 on the last day of a month in São Paulo."""
    return local_day(_now())


def local_day(moment: dt.datetime, zone: dt.tzinfo | None = None) -> dt.date:
    """The day ``moment`` falls on in the provider's time zone (a naive moment is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone or provider_timezone()).date()


def from_system_clock(moment: dt.datetime, zone: dt.tzinfo | None = None) -> dt.datetime:
    """A moment of this machine's clock (naive, as ``datetime.now()`` gives it) or an aware
    one, as the provider's wall clock (naive)."""
    return moment.astimezone(zone or provider_timezone()).replace(tzinfo=None)

"""The analysis period: both ends inclusive, the current calendar month by default."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from carteiro.errors import CarteiroError
from carteiro.localtime import provider_today

# The days a period may cover. Outside them the day after the end (``:end_exclusive``) or the
# period before (the dashboard's comparison) would not exist (``date.max`` is 9999-12-31), and
# no invoice of a running provider is due there anyway.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9998, 12, 31)


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        for what, day in (("início", self.start), ("fim", self.end)):
            check_day(day, f"período inválido: o {what}")
        if self.end < self.start:
            raise CarteiroError(
                f"período inválido: o fim ({self.end:%d/%m/%Y}) é anterior ao início "
                f"({self.start:%d/%m/%Y})"
            )

    @classmethod
    def month_of(cls, day: dt.date) -> Period:
        last = calendar.monthrange(day.year, day.month)[1]
        return cls(day.replace(day=1), day.replace(day=last))

    @classmethod
    def current_month(cls, today: dt.date | None = None) -> Period:
        return cls.month_of(today or provider_today())

    @property
    def end_exclusive(self) -> dt.date:
        return self.end + dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one (a whole month maps to the
        whole previous month, whatever its length); a one-line error when it would begin
        before :data:`FIRST_DAY`."""
        if self.start.day == 1 and self.end == Period.month_of(self.end).end:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
            year, month = divmod(self.start.year * 12 + self.start.month - 2 - months, 12)
            first_ordinal = (dt.date(year, month + 1, 1).toordinal()
                             if year >= FIRST_DAY.year else 0)
        else:
            first_ordinal = self.start.toordinal() - self.days
        if first_ordinal < FIRST_DAY.toordinal():
            raise CarteiroError(
                f"não há período anterior a {self.label()} dentro das datas aceitas (a partir "
                f"de {FIRST_DAY:%d/%m/%Y})"
            )
        return Period(dt.date.fromordinal(first_ordinal), self.start - dt.timedelta(days=1))

    def bind_parameters(self) -> dict[str, dt.date]:
        """The bind parameters every query receives (:start, :end, :end_exclusive)."""
        return {"start": self.start, "end": self.end, "end_exclusive": self.end_exclusive}

    def label(self) -> str:
        return f"{self.start:%d/%m/%Y} a {self.end:%d/%m/%Y}"


def check_day(day: dt.date, what: str) -> None:
    """Raise a one-line pt-BR error naming ``what`` when ``day`` is outside the days a period
    may cover (:data:`FIRST_DAY` to :data:`LAST_DAY`)."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise CarteiroError(
            f"{what} ({day.isoformat()}) está fora das datas aceitas, de "
            f"{FIRST_DAY:%d/%m/%Y} a {LAST_DAY:%d/%m/%Y}"
        )


def parse_day(text: str, what: str) -> dt.date:
    """Parse a YYYY-MM-DD argument, or raise a one-line pt-BR error naming ``what``."""
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise CarteiroError(
            f"{what}: data inválida {text!r} (use o formato AAAA-MM-DD, ex.: 2024-03-31)"
        ) from None
    check_day(day, f"{what}: a data")
    return day


def as_of_from_arg(text: str | None, today: dt.date | None = None) -> dt.date:
    """The as-of date of the send-log reconciliation: ``--as-of`` (YYYY-MM-DD), else today."""
    return parse_day(text, "--as-of") if text is not None else today or provider_today()


def period_from_args(start: str | None, end: str | None, today: dt.date | None = None) -> Period:
    """The period from optional start/end texts: a missing end is the end of the start's
    month; both missing is the current month."""
    if start is None and end is None:
        return Period.current_month(today)
    first = parse_day(start, "--start") if start is not None else None
    last = parse_day(end, "--end") if end is not None else None
    if first is None:
        assert last is not None
        first = last.replace(day=1)
    if last is None:
        last = Period.month_of(first).end
    return Period(first, last)

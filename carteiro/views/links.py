"""A dashboard view as a link: the URL query parameters that hold the period, the filters, the
search and the diagnosed customer, read back with one pt-BR warning per bad value.

Parameters (names and values people can read and edit):

* every page: ``inicio`` and ``fim`` (``AAAA-MM-DD``); a link with only ``inicio`` runs to the
  end of that day's month, one with only ``fim`` from the first day of that day's month.
  Accepted days: :data:`FIRST_DAY` to the end of the fifth year after today (the bounds of
  the period picker); anything else falls back to the current month with a warning.
* «Não recebem»: ``busca`` (text), ``motivo`` (condition numbers 1–9, repeated), ``forma``,
  ``status`` and ``cidade`` (the labels the filters show, repeated), ``situacao``
  (``parcial``, ``nao-coberto``) and ``combinacao`` (the exact set of reasons from «Motivos»,
  as condition numbers joined by ``-``: ``6-8``).
* «Diagnóstico»: ``cliente`` (id) and ``busca``.
* «Dados»: ``tipo`` (the problem kinds, repeated).
* «Entregas» and «Diagnóstico»: ``referencia`` (the as-of date, ``AAAA-MM-DD``; without it,
  today in the provider's time zone).

Values that need the data to be judged (a billing method, a city…) are checked by the page
against its options.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from carteiro.period import Period
from carteiro.rules.catalogue import REASON_BY_CODE, REASON_CODES, REASONS

START: Final = "inicio"
END: Final = "fim"
SEARCH: Final = "busca"
REASON: Final = "motivo"
METHOD: Final = "forma"
STATUS: Final = "status"
CITY: Final = "cidade"
COVERAGE: Final = "situacao"
COMBINATION: Final = "combinacao"
CUSTOMER: Final = "cliente"
KIND: Final = "tipo"
AS_OF: Final = "referencia"

FIRST_DAY: Final = dt.date(2000, 1, 1)
YEARS_AHEAD: Final = 5

COVERAGE_SLUGS: Final[dict[str, str]] = {"partial": "parcial", "not_covered": "nao-coberto"}
COMBINATION_SEPARATOR: Final = "-"
MAX_TEXT: Final = 200  # longest search kept from a link

MONTHS: Final = ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
                 "setembro", "outubro", "novembro", "dezembro")


def last_day(today: dt.date) -> dt.date:
    """The last day the period picker accepts."""
    return dt.date(today.year + YEARS_AHEAD, 12, 31)


def month_name(day: dt.date) -> str:
    """«outubro de 2026»."""
    return f"{MONTHS[day.month - 1]} de {day.year}"


def step_month(period: Period, months: int) -> Period:
    """The whole calendar month ``months`` away from the selected period: before its first
    month when stepping back, after its last month when stepping forward (a whole month
    steps to the whole previous or next month; a part of a month, or several months, step
    from their first or last month)."""
    anchor = period.start if months < 0 else period.end
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month = divmod(index, 12)
    return Period.month_of(dt.date(year, month + 1, 1))


def in_bounds(period: Period, today: dt.date) -> bool:
    return period.start >= FIRST_DAY and period.end <= last_day(today)


@dataclass(frozen=True)
class Parsed:
    """Values read from a link and what was wrong with it (one pt-BR line each)."""

    values: dict[str, object] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


_ISO_DAY: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day(text: str, name: str, warnings: list[str]) -> dt.date | None:
    """``AAAA-MM-DD`` exactly (not the other forms ``date.fromisoformat`` takes)."""
    try:
        if _ISO_DAY.fullmatch(text.strip()):
            return dt.date.fromisoformat(text.strip())
    except ValueError:
        pass
    warnings.append(f"«{name}={text[:40]}» não é uma data (use AAAA-MM-DD, ex.: 2024-03-01)")
    return None


def period_from_link(start: str | None, end: str | None, today: dt.date) -> Parsed:
    """The period of ``inicio``/``fim`` (``values["period"]``), or the current month and a
    warning when they are missing, unreadable, reversed or out of bounds."""
    current = Period.current_month(today)
    if not start and not end:
        return Parsed({"period": current})
    warnings: list[str] = []
    first = _day(start, START, warnings) if start else None
    last = _day(end, END, warnings) if end else None
    if not end and first is not None:
        last = dt.date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
    elif not start and last is not None:
        first = last.replace(day=1)
    period = None
    if first is not None and last is not None and not warnings:
        if last < first:
            warnings.append(f"«{END}» ({last:%d/%m/%Y}) é anterior a «{START}» "
                            f"({first:%d/%m/%Y})")
        elif first < FIRST_DAY or last > last_day(today):
            warnings.append(f"o período {first:%d/%m/%Y} a {last:%d/%m/%Y} está fora das datas "
                            f"aceitas ({FIRST_DAY:%d/%m/%Y} a {last_day(today):%d/%m/%Y})")
        else:
            period = Period(first, last)
    if period is None:
        warnings.append(f"mostrando o mês atual ({current.label()})")
        return Parsed({"period": current}, ("Período do link inválido: " + "; ".join(warnings)
                                            + ".",))
    return Parsed({"period": period})


def period_params(period: Period) -> dict[str, str]:
    return {START: period.start.isoformat(), END: period.end.isoformat()}


def reasons_from_link(values: Sequence[str]) -> Parsed:
    """Condition numbers (``6``) or codes (``service_status_excluded``) → codes."""
    codes: list[str] = []
    bad: list[str] = []
    by_number = {str(r.number): r.code for r in REASONS}
    for value in values:
        code = by_number.get(value.strip()) or (value if value in REASON_BY_CODE else None)
        if code is None:
            bad.append(value[:40])
        elif code not in codes:
            codes.append(code)
    warnings = (f"Motivo do link ignorado: {', '.join(f'«{b}»' for b in bad)} (use os números "
                f"das condições, de 1 a {len(REASONS)}).",) if bad else ()
    return Parsed({REASON: codes}, warnings)


def reason_params(codes: Iterable[str]) -> list[str]:
    return [str(REASON_BY_CODE[c].number) for c in REASON_CODES if c in set(codes)]


def coverage_from_link(values: Sequence[str]) -> Parsed:
    by_slug = {slug: code for code, slug in COVERAGE_SLUGS.items()}
    codes = [by_slug[v] for v in dict.fromkeys(values) if v in by_slug]
    bad = [v[:40] for v in values if v not in by_slug]
    warnings = (f"Situação do link ignorada: {', '.join(f'«{b}»' for b in bad)} (use "
                f"{' ou '.join(COVERAGE_SLUGS.values())}).",) if bad else ()
    return Parsed({COVERAGE: codes}, warnings)


def coverage_params(codes: Iterable[str]) -> list[str]:
    return [COVERAGE_SLUGS[c] for c in codes if c in COVERAGE_SLUGS]


def combination_from_link(value: str | None) -> Parsed:
    """``6-8`` → the reason mask of conditions 6 and 8."""
    if not value:
        return Parsed({COMBINATION: None})
    numbers = value.split(COMBINATION_SEPARATOR)
    by_number = {str(r.number): i for i, r in enumerate(REASONS)}
    if not all(n.strip() in by_number for n in numbers):
        return Parsed({COMBINATION: None}, (
            f"Combinação do link ignorada: «{value[:40]}» (use números de condições separados "
            f"por «{COMBINATION_SEPARATOR}», ex.: 6-8).",))
    mask = 0
    for number in numbers:
        mask |= 1 << by_number[number.strip()]
    return Parsed({COMBINATION: mask})


def combination_param(mask: int) -> str:
    return COMBINATION_SEPARATOR.join(str(r.number) for i, r in enumerate(REASONS)
                                      if int(mask) >> i & 1)


def as_of_from_link(value: str | None, today: dt.date) -> Parsed:
    """The as-of date of ``referencia`` (``values[AS_OF]``; None: today), with a warning when
    it is unreadable or out of the period picker's bounds."""
    if not value:
        return Parsed({AS_OF: None})
    warnings: list[str] = []
    day = _day(value, AS_OF, warnings)
    if day is not None and not FIRST_DAY <= day <= last_day(today):
        warnings.append(f"{day:%d/%m/%Y} está fora das datas aceitas ({FIRST_DAY:%d/%m/%Y} a "
                        f"{last_day(today):%d/%m/%Y})")
        day = None
    if warnings:
        line = ("Data de referência do link inválida: " + "; ".join(warnings)
                + f"; usando hoje ({today:%d/%m/%Y}).")
        return Parsed({AS_OF: None}, (line,))
    return Parsed({AS_OF: day})


def customer_from_link(value: str | None) -> Parsed:
    if not value:
        return Parsed({CUSTOMER: None})
    text = value.strip()
    if re.fullmatch(r"[0-9]{1,18}", text):
        return Parsed({CUSTOMER: int(text)})
    return Parsed({CUSTOMER: None}, (f"Cliente do link ignorado: «{value[:40]}» não é um id "
                                     "de cliente.",))


def search_from_link(value: str | None) -> str:
    return (value or "")[:MAX_TEXT]


def options_warning(what: str, dropped: Sequence[str], where: str) -> str:
    """One line for filter values that do not exist among the page's options."""
    listed = ", ".join(f"«{v[:60]}»" for v in dropped)
    return f"{what}: {listed} não aparece em {where}; filtro removido."


def same_params(current: Mapping[str, Sequence[str]],
                wanted: Mapping[str, Sequence[str]]) -> bool:
    """Whether two query dicts (values as lists) say the same."""
    keys = {k for k, v in current.items() if v} | {k for k, v in wanted.items() if v}
    return all(list(current.get(k, [])) == list(wanted.get(k, [])) for k in keys)

"""pt-BR formats: ``1.234``, ``1.234,56``, ``R$ 1.234,56``, ``31/03/2024``, ``12,5%``,
``31/03/2024 14:05``, and counted nouns (``1 cliente``, ``2 clientes``)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd


def _swap(text: str) -> str:
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def integer(value: float | int | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return _swap(f"{int(round(value)):,}")


def decimal(value: float | None, places: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return _swap(f"{value:,.{places}f}")


def number(value: float | None, places: int = 2) -> str:
    """Up to ``places`` decimals, without trailing zeros: ``2``, ``1,5``, ``1.234,56``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = decimal(value, places)
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return "0" if text in ("-0", "") else text


def money(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    sign = "-" if value < 0 else ""
    return f"{sign}R$ {decimal(abs(value))}"


def percent(value: float | None, places: int = 1) -> str:
    """``value`` is a fraction (0.125 → ``12,5%``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{decimal(value * 100, places)}%"


def date(value: dt.date | pd.Timestamp | None) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value:%d/%m/%Y}"


def signed_integer(value: float | int) -> str:
    return ("+" if value > 0 else "") + integer(value)


def moment(value: dt.datetime | pd.Timestamp | None) -> str:
    """``31/03/2024 14:05`` (the moment as given: convert it to the provider's time zone
    first, see :mod:`carteiro.localtime`)."""
    if value is None or pd.isna(value):
        return "—"
    return f"{value:%d/%m/%Y %H:%M}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """The counted noun, agreeing with ``count``: ``1 cliente``, ``0 clientes``,
    ``1.234 clientes`` (``plural_form`` when it is not the singular + "s": ``1 ação``,
    ``2 ações``)."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{integer(count)} {word}"

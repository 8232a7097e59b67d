"""pt-BR formats: ``1.234``, ``1.234,56``, ``R$ 1.234,56``, ``31/03/2024``, ``12,5%``."""

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
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return "—"
    return f"{value:%d/%m/%Y}"


def signed_integer(value: float | int) -> str:
    return ("+" if value > 0 else "") + integer(value)

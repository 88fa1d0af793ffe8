"""Dates, times, numbers and sizes the way the reader's language writes them (Babel)."""

from __future__ import annotations

import datetime as dt

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.units import format_unit

from .catalogs import current_locale


def date_text(value: dt.datetime | dt.date | None, form: str = "long") -> str:
    """'2026. december 4.' / 'December 4, 2026'."""
    if value is None:
        return ""
    return format_date(value, form, locale=current_locale())


def datetime_text(value: dt.datetime, form: str = "long") -> str:
    """The date and time in UTC for the current locale ('2026. december 4. 14:51 UTC')."""
    when = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return format_datetime(when, f"{_date_pattern(form)} HH:mm 'UTC'", tzinfo=dt.UTC,
                           locale=current_locale())


def _date_pattern(form: str) -> str:
    return str(Locale.parse(current_locale()).date_formats[form].pattern)


def number_text(value: float | int) -> str:
    """10 000 / 10,000."""
    return format_decimal(value, locale=current_locale())


def filesize_text(size: int) -> str:
    """'1,5 MB' / '1.5 MB': decimal units, the locale's separators."""
    for unit, factor in (("gigabyte", 10**9), ("megabyte", 10**6), ("kilobyte", 10**3)):
        if size >= factor:
            return format_unit(round(size / factor, 1), f"digital-{unit}", length="short",
                               locale=current_locale())
    return format_unit(size, "digital-byte", length="short", locale=current_locale())

"""The shipped catalogs and the locale the current code speaks in.

Inside a request the locale is Flask-Babel's (``pages.select_locale``); code that renders for
someone else (a subscriber's mail, rendered by the drain) names it with ``use_locale``."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "messages"
# The language the msgids are written in: it needs no catalog.
SOURCE_LOCALE = "en"
_TAG = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")
_active: ContextVar[str | None] = ContextVar("updatesrv_locale", default=None)


def N_(message: str) -> str:
    """Marks a literal for extraction; ``gettext`` translates it where it is shown."""
    return message


@cache
def shipped_locales() -> tuple[str, ...]:
    """The source language, then every locale with a catalog, e.g. ``("en", "hu")``."""
    catalogs = TRANSLATIONS_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
    found = sorted(p.parent.parent.name for p in catalogs)
    return (SOURCE_LOCALE, *(name for name in found if name != SOURCE_LOCALE))


@cache
def translations(locale: str) -> NullTranslations:
    if locale == SOURCE_LOCALE:
        return NullTranslations()
    folder = TRANSLATIONS_DIR / locale / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as compiled:
            return Translations(compiled, DOMAIN)
    if not po.is_file():
        return NullTranslations()
    # Installed without `make` (a plain pip install): compile the catalog in memory.
    with po.open("rb") as source:
        catalog = read_po(source, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, DOMAIN)


def language_tag(raw: str | None) -> str | None:
    """The shipped locale for a BCP 47 / POSIX tag (``hu-HU``, ``hu_HU.UTF-8``), else None."""
    if not raw:
        return None
    tag = raw.split(".")[0].split("@")[0].strip()
    if not _TAG.match(tag):
        return None
    try:
        parsed = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        parsed = None
    shipped = shipped_locales()
    for candidate in (str(parsed) if parsed else None,
                      parsed.language if parsed else tag.split("-")[0].split("_")[0].lower()):
        if candidate in shipped:
            return candidate
    return None


def current_locale() -> str:
    explicit = _active.get()
    if explicit:
        return explicit
    from flask import has_request_context

    if has_request_context():
        from flask_babel import get_locale

        found = get_locale()
        if found is not None:
            return str(found)
    return SOURCE_LOCALE


@contextlib.contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    """Speak ``locale`` (or the nearest shipped one, else English) inside the block."""
    chosen = language_tag(locale) or SOURCE_LOCALE
    token = _active.set(chosen)
    try:
        yield chosen
    finally:
        _active.reset(token)


def gettext(message: str, **variables: object) -> str:
    text = translations(current_locale()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: object) -> str:
    text = translations(current_locale()).ngettext(singular, plural, num)
    return text % {"num": num, **variables}


def template_gettext(message: str) -> str:
    """For Jinja's newstyle gettext, which formats the result itself."""
    return translations(current_locale()).gettext(message)


def template_ngettext(singular: str, plural: str, num: int) -> str:
    return translations(current_locale()).ngettext(singular, plural, num)

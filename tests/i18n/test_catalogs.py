"""Every string a person reads is in every shipped catalog, translated, with the same
placeholders, and nothing stale; Hungarian keeps its typography and the glossary's words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from updatesrv.i18n.catalogs import TRANSLATIONS_DIR, shipped_locales

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _extracted() -> set[str | tuple[str, str]]:
    """What `make i18n-extract` finds, straight from the sources (babel.cfg)."""
    method_map, options_map = parse_mapping_cfg((ROOT / "babel.cfg").open())
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / "updatesrv"), method_map, options_map, keywords=keywords):
        found.add(message if isinstance(message, str) else tuple(message))  # type: ignore[arg-type]
    return found


def _catalog(path: Path, locale: str | None = None):
    with path.open("rb") as source:
        return read_po(source, locale=locale)


@pytest.fixture(scope="module")
def extracted() -> set[str | tuple[str, str]]:
    return _extracted()


def test_hungarian_ships_and_english_is_the_source():
    assert shipped_locales()[0] == "en"
    assert "hu" in shipped_locales()


def test_the_committed_template_is_current(extracted):
    """`make i18n-extract` was run after the last string change."""
    template = {m.id for m in _catalog(TRANSLATIONS_DIR / "messages.pot") if m.id}
    assert extracted - template == set(), "new strings: run `make i18n-update`"
    assert template - extracted == set(), "strings no longer used: run `make i18n-update`"


@pytest.mark.parametrize("locale", [loc for loc in shipped_locales() if loc != "en"])
def test_every_locale_has_every_string_and_no_stale_one(extracted, locale):
    catalog = _catalog(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po", locale)
    ids = {m.id for m in catalog if m.id}
    assert sorted(map(str, extracted - ids)) == [], f"{locale} lacks these strings"
    assert sorted(map(str, ids - extracted)) == [], f"{locale} has stale strings"
    untranslated = [m.id for m in catalog if m.id and (
        not all(m.string) if isinstance(m.string, tuple) else not m.string)]
    assert untranslated == [], f"{locale} leaves these untranslated"
    assert [m.id for m in catalog if m.id and m.fuzzy] == [], "fuzzy entries need review"
    for message in catalog:
        if not message.id:
            continue
        wanted = set(PLACEHOLDER.findall("".join(message.id if isinstance(message.id, tuple)
                                                 else [message.id])))
        for text in (message.string if isinstance(message.string, tuple)
                     else (message.string,)):
            got = set(PLACEHOLDER.findall(text))
            # A translation may leave out %(num)s (a language may say "one" in words),
            # never invent a name the code does not pass, nor drop another.
            assert got <= wanted and wanted - got <= {"num"}, (message.id, text)
    problems = [(m.id, errors) for m, errors in catalog.check() if errors]
    assert problems == []


def test_hungarian_typography_and_glossary():
    catalog = _catalog(TRANSLATIONS_DIR / "hu" / "LC_MESSAGES" / "messages.po", "hu")
    hu = {m.id: m.string for m in catalog if m.id}
    for text in hu.values():
        for piece in (text if isinstance(text, tuple) else (text,)):
            assert "“" not in piece, f"Hungarian quotes are „…”: {piece}"
            assert not re.search(r"\b(te|neked|téged|kattints|válassz)\b", piece, re.I), (
                f"formal address (Ön) only: {piece}")
    glossary = {
        "Am I affected?": "Érinti ez Önt?",
        "What to do": "Teendők",
        "Timeline": "Előzmények",
        "Last updated": "Utoljára frissítve",
        "Technical details": "Technikai részletek",
        "Known issues": "Ismert hibák",
        "critical update": "kritikus frissítés",
        "Windows (64-bit)": "Windows (64 bites)",
        "critical": "kritikus", "major": "súlyos", "minor": "kisebb", "info": "tájékoztató",
        "investigating": "vizsgáljuk", "confirmed": "megerősítve",
        "workaround available": "átmeneti megoldás elérhető", "fixed": "javítva",
        "withdrawn": "visszavonva",
    }
    for english, hungarian in glossary.items():
        assert hu[english] == hungarian
    assert hu["I am affected (%(count)s)"].startswith("Engem is érint")
    assert hu["The workaround helped (%(count)s)"].startswith("Az átmeneti megoldás segített")
    assert hu["Still stuck? Contact support: <a href=\"%(url)s\">%(address)s</a>"].startswith(
        "Továbbra sem működik? Forduljon ügyfélszolgálatunkhoz")

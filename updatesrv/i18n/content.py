"""The vendor's text in several languages: locale tags, the fallback chain and the choice
of the text a reader gets. Pure functions, used by the check, the pages and the mails alike
(never re-spell "which language does this reader get?" elsewhere).

The chain for a request of ``hu-HU``: ``hu-HU`` → ``hu`` → the product's default locale."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from babel import Locale, UnknownLocaleError

from ..errors import InvalidInput

MAX_TAG = 35
MAX_OFFERED = 50
_LOOSE_TAG = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")
NOTICE_TEXT_FIELDS = ("title", "summary", "details", "workaround")


def normalise_tag(raw: object) -> str | None:
    """``hu_HU.UTF-8`` / ``HU-hu`` / ``hu-HU`` → ``hu-HU``; None when it is no language
    tag Babel knows (``C``, ``POSIX``, garbage)."""
    if not isinstance(raw, str) or not raw or len(raw) > MAX_TAG + 20:
        return None
    tag = raw.split(".")[0].split("@")[0].strip()
    if not _LOOSE_TAG.match(tag) or tag.upper() in ("C", "POSIX"):
        return None
    parts = tag.replace("_", "-").split("-")
    try:
        Locale.parse(parts[0].lower())
    except (ValueError, UnknownLocaleError):
        return None
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.upper() if len(part) == 2 else part.title() if len(part) == 4
                   else part.lower())
    normal = "-".join(out)
    return normal if len(normal) <= MAX_TAG else None


def parse_locale(value: object, field: str) -> str:
    """A vendor's locale tag, or a clear error."""
    tag = normalise_tag(value)
    if tag is None:
        raise InvalidInput(f"{field} must be a language tag such as 'en', 'hu' or 'de-CH'; "
                           f"got {value!r}", field=field)
    return tag


def parse_offered(value: object, default: str, field: str = "offered_locales") -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_OFFERED:
        raise InvalidInput(f"{field} must be a list of up to {MAX_OFFERED} language tags "
                           "such as [\"hu\", \"de\"]", field=field)
    tags = list(dict.fromkeys(parse_locale(v, field) for v in value))
    return [t for t in tags if t != default]


def chain(requested: str | None, default: str) -> list[str]:
    """``hu-HU`` → [``hu-HU``, ``hu``, default]: most specific first, the default last."""
    out: list[str] = []
    tag = normalise_tag(requested) if requested else None
    while tag:
        out.append(tag)
        tag = tag.rsplit("-", 1)[0] if "-" in tag else None
    out.append(default)
    return list(dict.fromkeys(out))


def best_locale(requested: str | None, available: Iterable[str], default: str) -> str:
    """The first locale of the chain that has text (the default always does)."""
    have = set(available)
    for tag in chain(requested, default):
        if tag == default or tag in have:
            return tag
    return default


def preferred_locale(candidates: Iterable[str | None], available: Iterable[str],
                     default: str) -> str:
    """The first candidate (in the reader's order of preference) the text exists in; the
    default when none does. For Accept-Language lists and ?lang= on pages."""
    have = set(available)
    for candidate in candidates:
        found = best_locale(candidate, have, default)
        if found != default or (normalise_tag(candidate) or "").split("-")[0] == \
                default.split("-")[0]:
            return found
    return default


def localized(base: Mapping[str, str], translations: Mapping[str, Mapping[str, str]],
              locale: str, default: str) -> tuple[dict[str, str], dict[str, str]]:
    """The text of each field in ``locale`` where translated, else the default's, with the
    locale each field is in (pages mark fallen-back blocks with their own ``lang``)."""
    own = translations.get(locale, {}) if locale != default else {}
    texts: dict[str, str] = {}
    langs: dict[str, str] = {}
    for name, value in base.items():
        if own.get(name):
            texts[name], langs[name] = own[name], locale
        else:
            texts[name], langs[name] = value, default
    return texts, langs


def parse_translations(value: object, fields: Mapping[str, Any], default: str,
                       field: str = "translations") -> dict[str, dict[str, str]]:
    """``{"hu": {"title": "…"}}`` checked: known locale tags (not the default, whose text
    is the object's own fields), known field names, each text through ``fields[name]``
    (the same check as the default's). ``{"hu": null}`` removes a locale."""
    if not isinstance(value, dict):
        raise InvalidInput(f'{field} must be an object such as {{"hu": {{"title": "…"}}}}',
                           field=field)
    out: dict[str, Any] = {}
    for raw_tag, texts in value.items():
        tag = parse_locale(raw_tag, field)
        if tag == default:
            raise InvalidInput(f"{field}: {tag} is the product's default locale; its text "
                               "is the notice's own fields", field=field)
        if texts is None:
            out[tag] = None
            continue
        if not isinstance(texts, dict):
            raise InvalidInput(f"{field}.{tag} must be an object of texts", field=field)
        unknown = set(texts) - set(fields)
        if unknown:
            raise InvalidInput(f"{field}.{tag}: unknown field(s) {', '.join(sorted(unknown))}"
                               f"; translatable: {', '.join(fields)}", field=field)
        out[tag] = {name: fields[name](texts[name], f"{field}.{tag}.{name}")
                    for name in texts}
    return out


def require_offered(tags: Iterable[str], offered: Iterable[str],
                    field: str = "translations") -> None:
    """Text only for locales the product offers (a typo would be text nobody is shown)."""
    offered = list(offered)
    strangers = sorted(set(tags) - set(offered))
    if strangers:
        choices = ", ".join(offered) or "none yet"
        raise InvalidInput(f"{field}: {', '.join(strangers)} is not among the product's "
                           f"offered locales ({choices}); add it in the product's settings "
                           "(offered_locales) first", field=field)


def merge_translations(current: Mapping[str, Mapping[str, str]],
                       changes: Mapping[str, Mapping[str, str] | None],
                       ) -> dict[str, dict[str, str]]:
    """A PATCH's translations over the stored ones: only the named locales and fields
    change; "" clears a field, None a whole locale, and an empty locale disappears."""
    merged = {tag: dict(texts) for tag, texts in current.items()}
    for tag, texts in changes.items():
        if texts is None:
            merged.pop(tag, None)
            continue
        own = merged.setdefault(tag, {})
        for name, text in texts.items():
            if text:
                own[name] = text
            else:
                own.pop(name, None)
        if not own:
            merged.pop(tag)
    return merged

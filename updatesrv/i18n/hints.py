"""What to tell a person whose version number was refused: the common slip of a decimal
comma (``2,0,0``, as Hungarian and German keyboards and habits suggest) gets the dotted
spelling back as a suggestion."""

from __future__ import annotations

import re

from .catalogs import gettext

_COMMA_VERSION = re.compile(r"^\s*[vV]?\d+(?:\s*[,.]\s*\d+)+\s*$")


def dotted(raw: str) -> str | None:
    """'2,0,0' → '2.0.0'; None when the text is not a version written with commas."""
    if "," not in raw or not _COMMA_VERSION.match(raw):
        return None
    return re.sub(r"\s*[,.]\s*", ".", raw.strip().lstrip("vV"))


def version_hint(raw: str) -> str:
    """The sentence shown next to a refused version field, in the reader's language."""
    suggestion = dotted(raw)
    if suggestion:
        return gettext("Version numbers are written with dots: did you mean %(suggestion)s?",
                       suggestion=suggestion)
    return gettext("“%(text)s” does not look like a version number. Version numbers look "
                   "like 2.0 or 2.0.1; you can find yours in the app's About window.",
                   text=raw[:64])

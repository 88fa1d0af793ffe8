"""The reader's language, as the check's ``locale`` (BCP 47, e.g. ``hu-HU``): the app's
choice, else the system's (``LC_ALL`` / ``LC_MESSAGES`` / ``LANG``, the Windows UI
language). ``C``/``POSIX`` and anything that is no language tag mean "no preference"."""

from __future__ import annotations

import locale as _locale
import os
import re
import sys

_TAG = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")


def to_bcp47(raw: str | None) -> str | None:
    """``hu_HU.UTF-8`` → ``hu-HU``; None for ``C``, ``POSIX`` or no tag at all."""
    if not raw:
        return None
    tag = raw.split(".")[0].split("@")[0].strip().replace("_", "-")
    if not _TAG.match(tag) or tag.upper() in ("C", "POSIX"):
        return None
    parts = tag.split("-")
    out = [parts[0].lower()] + [p.upper() if len(p) == 2 else p for p in parts[1:]]
    return "-".join(out)[:35]


def _windows_ui_language() -> str | None:
    try:
        import ctypes

        lcid = ctypes.windll.kernel32.GetUserDefaultUILanguage()  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return None
    return _locale.windows_locale.get(int(lcid))


def system_locale() -> str | None:
    """The language the user reads, from the environment (first set of LC_ALL,
    LC_MESSAGES, LANG), else the Windows UI language, else Python's default locale."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return to_bcp47(value)
    if sys.platform == "win32":
        found = to_bcp47(_windows_ui_language())
        if found:
            return found
    try:
        return to_bcp47(_locale.getlocale(_locale.LC_MESSAGES if hasattr(
            _locale, "LC_MESSAGES") else _locale.LC_CTYPE)[0])
    except (ValueError, TypeError):
        return None

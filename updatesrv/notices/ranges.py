"""Affected version ranges for people: in words, and the rule that a fix comes after them."""

from __future__ import annotations

from collections.abc import Callable

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from ..errors import InvalidInput
from ..i18n.catalogs import N_
from ..updates import rules


def check_fixed_in(affected: str, fixed_in: str | None) -> None:
    """A fix must come after the affected versions: inside the range it would still be
    affected, and below all of it the page would promise a fix that predates the bug."""
    if fixed_in is None:
        return
    spec = rules.affected_range(affected)
    fix = Version(fixed_in)
    if rules.version_affected(spec, fix):
        raise InvalidInput(
            f"fixed_in {fixed_in} is itself affected ({affected_in_words(affected)}): the "
            "fixing version must be outside the affected range (or narrow the range)",
            field="fixed_in")
    lowest = lower_bound(spec)
    if lowest is not None and fix < lowest:
        raise InvalidInput(
            f"fixed_in {fixed_in} is older than every affected version "
            f"({affected_in_words(affected)}): the fix must come after them", field="fixed_in")


def lower_bound(spec: SpecifierSet) -> Version | None:
    """The lowest version a specifier can match, or None when it has no lower bound."""
    bounds = []
    for clause in spec:
        if clause.operator in (">=", ">", "==", "===", "~="):
            text = clause.version[:-2] if clause.version.endswith(".*") else clause.version
            try:
                bounds.append(Version(text))
            except InvalidVersion:
                continue
    return max(bounds) if bounds else None


# Marked for the catalogs (N_ is the identity): pages and mails show them translated
# (i18n.words.affected_text); API errors and webhook payloads keep the English.
_WORDS = {">=": N_("%(v)s or later"), ">": N_("later than %(v)s"),
          "<=": N_("%(v)s or earlier"), "<": N_("before %(v)s"), "!=": N_("except %(v)s"),
          "===": N_("exactly %(v)s"), "==": N_("exactly %(v)s")}


def _compatible_words(version: str, translate: Callable[[str], str]) -> str:
    parts = version.split(".")
    series = ".".join(parts[:-1]) if len(parts) > 1 else version
    return translate(N_("%(v)s or later within %(series)s.x")) % {"v": version,
                                                                   "series": series}


def affected_in_words(specifier: str, translate: Callable[[str], str] = str) -> str:
    """'>=2.0,<2.0.1' → 'versions 2.0 or later and before 2.0.1' (``translate``: gettext
    for the reader's language)."""
    # Lower bounds first, then upper bounds, then exclusions: how people say ranges.
    order = {">": 0, ">=": 0, "~=": 0, "==": 1, "===": 1, "<": 2, "<=": 2, "!=": 3}
    parts = []
    clauses = rules.affected_range(specifier)
    for spec in sorted(clauses, key=lambda s: (order[s.operator], s.version)):
        version = spec.version
        if version.endswith(".*"):
            prefix = version[:-2]
            parts.append(translate(N_("except %(v)s")) % {"v": f"{prefix}.x"}
                         if spec.operator == "!=" else f"{prefix}.x")
        elif spec.operator == "~=":
            parts.append(_compatible_words(version, translate))
        else:
            parts.append(translate(_WORDS[spec.operator]) % {"v": version})
    return translate(N_("versions %(ranges)s")) % {
        "ranges": translate(N_(" and ")).join(parts)}

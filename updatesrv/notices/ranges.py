"""Affected version ranges for people: in words, and the rule that a fix comes after them."""

from __future__ import annotations

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from ..errors import InvalidInput
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


_WORDS = {">=": "{v} or later", ">": "later than {v}", "<=": "{v} or earlier",
          "<": "before {v}", "!=": "except {v}", "===": "exactly {v}", "==": "exactly {v}"}


def _compatible_words(version: str) -> str:
    parts = version.split(".")
    series = ".".join(parts[:-1]) if len(parts) > 1 else version
    return f"{version} or later within {series}.x"


def affected_in_words(specifier: str) -> str:
    """'>=2.0,<2.0.1' → 'versions 2.0 or later and before 2.0.1'."""
    # Lower bounds first, then upper bounds, then exclusions: how people say ranges.
    order = {">": 0, ">=": 0, "~=": 0, "==": 1, "===": 1, "<": 2, "<=": 2, "!=": 3}
    parts = []
    clauses = rules.affected_range(specifier)
    for spec in sorted(clauses, key=lambda s: (order[s.operator], s.version)):
        version = spec.version
        if version.endswith(".*"):
            prefix = version[:-2]
            parts.append(f"except {prefix}.x" if spec.operator == "!=" else f"{prefix}.x")
        elif spec.operator == "~=":
            parts.append(_compatible_words(version))
        else:
            parts.append(_WORDS[spec.operator].format(v=version))
    return "versions " + " and ".join(parts)

"""Every version, specifier, channel and platform string enters the system through here.
All ordering is PEP 440 via ``packaging``; nothing compares version strings by hand."""

from __future__ import annotations

import re

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion, Version

from .errors import InvalidInput
from .i18n.hints import dotted
from .updates.rules import range_can_match

PLATFORM_RE = re.compile(r"^[a-z0-9_-]{1,64}\Z")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")
CHANNEL_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}\Z")
# "2,0,0": a version typed with decimal commas, which the range syntax reads as clauses.
DECIMAL_COMMAS_RE = re.compile(r"^\s*\d+(?:\s*,\s*\d+)+\s*$")
DEFAULT_CHANNELS = ("stable", "beta", "nightly")


def parse_version(value: object, field: str = "version") -> Version:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} is required and must be a string such as '2.0.1'", field=field)
    if len(value) > 64:
        raise InvalidInput(f"{field} is longer than 64 characters", field=field)
    try:
        return Version(value.strip())
    except InvalidVersion:
        suggestion = dotted(value)
        if suggestion:
            # 2,0,0: a decimal comma, as many keyboards and languages write numbers.
            raise InvalidInput(f"{field} {value!r} is written with commas; version numbers "
                               f"are written with dots: did you mean {suggestion}?",
                               field=field, suggestion=suggestion) from None
        raise InvalidInput(
            f"{field} {value!r} is not a valid PEP 440 version "
            "(examples: 2.0, 2.0.1, 2.1rc1, 2.1.0.dev3, 2.0.post1)",
            field=field,
        ) from None


def version_key(version: Version) -> str:
    """The identity of a version under PEP 440 equality: 2.0 and 2.0.0 share a key."""
    return canonicalize_version(version)


def normalise_specifier(value: object, field: str = "affected") -> str:
    """A version range as vendors write it, made exact: clauses separated by commas, spaces
    anywhere (``< 2.1``), and a bare version (``2.0.0``, ``2.0.*``) meaning exactly that
    version or series. Returns the clauses in the vendor's order, e.g. ``>=2.0,<2.1``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} is required, e.g. '>=2.0, <2.0.1' or '2.0.0'", field=field)
    if len(value) > 500:
        raise InvalidInput(f"{field} is longer than 500 characters", field=field)
    clauses = []
    for raw in value.split(","):
        clause = re.sub(r"\s+", "", raw)
        if not clause:
            continue
        if clause[0].isdigit():
            clause = "==" + clause
        try:
            SpecifierSet(clause)
        except InvalidSpecifier:
            raise InvalidInput(
                f"{field}: {raw.strip()!r} is not a version or range. Write a version "
                "(2.0.0), a series (2.0.*), or bounds such as '>=2.0, <2.0.1'; separate "
                "clauses with commas", field=field) from None
        clauses.append(clause)
    if not clauses:
        raise InvalidInput(f"{field} must name at least one version, e.g. '>=2.0, <2.0.1'",
                           field=field)
    normal = ",".join(clauses)
    if not range_can_match(normal):
        raise InvalidInput(unsatisfiable_message(value, field), field=field)
    return normal


def unsatisfiable_message(value: str, field: str) -> str:
    """Why a range that matches no version is refused, with the likely intent when the
    vendor typed a version with decimal commas (``2,0,0`` for 2.0.0)."""
    if DECIMAL_COMMAS_RE.match(value):
        likely = re.sub(r"\s*,\s*", ".", value.strip())
        return (f"{field} {value.strip()!r} matches no version: commas separate clauses, so "
                f"it means 'exactly each of these at once'. Did you mean {likely!r}? Write "
                "versions with dots (2.0.0)")
    return (f"{field} {value.strip()!r} matches no version: its clauses contradict each other "
            "(for example two different exact versions, or a lower bound above the upper "
            "one), so the notice would reach nobody. Write one version (2.0.0), a series "
            "(2.0.*) or bounds such as '>=2.0, <2.0.1'")


def parse_specifier(value: object, field: str = "affected") -> SpecifierSet:
    return SpecifierSet(normalise_specifier(value, field))


def parse_platform(value: object, field: str = "platform") -> str:
    if not isinstance(value, str) or not PLATFORM_RE.match(value):
        raise InvalidInput(
            f"{field} must be 1-64 characters of a-z, 0-9, '_' or '-' "
            f"(e.g. windows-x86_64, macos-arm64, linux-x86_64, any); got {value!r}",
            field=field,
        )
    return value


def parse_slug(value: object, field: str = "slug") -> str:
    if not isinstance(value, str) or not SLUG_RE.match(value):
        raise InvalidInput(
            f"{field} must be 1-64 lowercase letters, digits or '-', starting and ending with "
            f"a letter or digit; got {value!r}",
            field=field,
        )
    return value


def parse_channel_name(value: object, field: str = "channel") -> str:
    if not isinstance(value, str) or not CHANNEL_RE.match(value):
        raise InvalidInput(f"{field} must be a channel name such as 'stable'; got {value!r}",
                           field=field)
    return value


SEMVER_PRE = {"a": "alpha", "b": "beta", "rc": "rc"}


def to_semver(version: Version) -> str | None:
    """The SemVer 2.0 spelling of a PEP 440 version, for updaters that compare SemVer
    (electron-updater, Tauri, Velopack): ``2.1rc1`` → ``2.1.0-rc.1``, ``2.0`` → ``2.0.0``.

    None when no SemVer form orders the same way: epochs, more than three release numbers,
    post-releases and dev-releases (SemVer would sort ``-dev`` after ``-beta`` and has no
    "after the release" suffix) and local versions. Such releases are left out of those
    feeds rather than offered in the wrong order. alpha < beta < rc holds in SemVer."""
    if (version.epoch or len(version.release) > 3 or version.post is not None
            or version.dev is not None or version.local is not None):
        return None
    major, minor, patch = (*version.release, 0, 0)[:3]
    text = f"{major}.{minor}.{patch}"
    if version.pre is not None:
        letter, number = version.pre
        text += f"-{SEMVER_PRE[letter]}.{number}"
    return text

"""Who is affected: the one set of matching rules every surface uses (in the spirit of
Balrog's ``rulematching``). The check, each compatible feed, the public pages and "Am I
affected?", OSV, notice/release links, reach counts, subscription mail, auto-halt and the
console's previews all call these small pure functions; none re-spells them, so the
answers cannot drift apart (tests/updates/test_one_rule.py greps for copies).

Nothing here knows Flask, the database or the clock: callers pass ``now``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Protocol, TypeVar

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

ANY_PLATFORM = "any"


class ReleaseFacts(Protocol):
    """What the rules read of a release (updates.catalog.CatalogRelease has it)."""

    @property
    def version(self) -> Version: ...
    @property
    def channel(self) -> str: ...
    @property
    def yanked(self) -> bool: ...
    @property
    def published_at(self) -> dt.datetime | None: ...
    @property
    def publish_at(self) -> dt.datetime | None: ...


R = TypeVar("R", bound=ReleaseFacts)
T = TypeVar("T")


@lru_cache(maxsize=4096)
def affected_range(affected: str) -> SpecifierSet:
    """A stored affected range (already normalised by versions.normalise_specifier)."""
    return SpecifierSet(affected)


def _range(affected: str | SpecifierSet) -> SpecifierSet:
    return affected if isinstance(affected, SpecifierSet) else affected_range(affected)


def installed_version(text: str | None) -> Version | None:
    """A version as installs report it; None for anything that is not PEP 440 (such an
    install matches no range, rather than failing a count)."""
    if not text:
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


def version_affected(affected: str | SpecifierSet, version: Version) -> bool:
    """The version lies in the affected range. Pre-releases count: a 2.1rc1 install with
    the bug is as affected as 2.1."""
    return _range(affected).contains(version, prereleases=True)


def notice_applies(affected: str | SpecifierSet, channels: Sequence[str],
                   platforms: Sequence[str], version: Version | None, channel: str | None,
                   platform: str | None) -> bool:
    """A notice applies to an install on (version, channel, platform). An empty channel or
    platform list means every one; a subscriber who did not name a version, channel or
    platform (``None``), like an install that sent no platform, is told: better told than
    missed. (The check never asks with ``version=None``: an install that does not say its
    version gets no notices; see decision.UpdateQuery.)"""
    if channels and channel is not None and channel not in channels:
        return False
    if platforms and platform and platform not in platforms:
        return False
    return version is None or version_affected(affected, version)


def notice_applies_to_release(affected: str | SpecifierSet, channels: Sequence[str],
                              platforms: Sequence[str], version: Version, channel: str,
                              release_platforms: Iterable[str]) -> bool:
    """A notice applies to a release (auto-halt, holds): its version in the range, its
    channel listed, and a file for one of the notice's platforms (or for any platform)."""
    if platforms and not ships_on_any(release_platforms, platforms):
        return False
    return notice_applies(affected, channels, (), version, channel, None)


def ships_on_any(release_platforms: Iterable[str], platforms: Iterable[str]) -> bool:
    """A release has a file for one of ``platforms``, or a file for any platform."""
    return bool(set(release_platforms) & {*platforms, ANY_PLATFORM})


def ships_on(release_version: str, release_platforms: Iterable[str], version: str,
             platform: str) -> bool:
    """A release ships ``version`` on ``platform``: the same version (by PEP 440, so 2.0
    is 2.0.0) with a file for that platform or for any platform (no platform: any file).
    Which rollouts a failure spike pauses."""
    if Version(release_version) != Version(version):
        return False
    return not platform or ships_on_any(release_platforms, (platform,))


def release_public(draft: bool, published_at: dt.datetime | None,
                   publish_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Anyone may see the release now: not a draft, published, and not scheduled later."""
    return (not draft and published_at is not None
            and (publish_at is None or publish_at <= now))


def offerable(release: ReleaseFacts, now: dt.datetime) -> bool:
    """Public now and not yanked: a release an install may be moved to."""
    return not release.yanked and release_public(False, release.published_at,
                                                 release.publish_at, now)


def fixed_by(affected: str | SpecifierSet, fixed_in: Version | None,
             version: Version) -> bool:
    """Moving to ``version`` leaves the issue behind: at or above its fix and outside the
    affected range."""
    return (fixed_in is not None and version >= fixed_in
            and not version_affected(affected, version))


def fixing_release(releases: Iterable[R], affected: str | SpecifierSet,
                   fixed_in: Version | None, now: dt.datetime) -> R | None:
    """The release that makes "fix available" true: the lowest offerable release that
    fixes the notice (a yanked or scheduled fix is no fix; a later release outside the
    range is). None while no such release is out."""
    if fixed_in is None:
        return None
    found = [r for r in releases if offerable(r, now) and fixed_by(affected, fixed_in,
                                                                    r.version)]
    return min(found, key=lambda r: r.version) if found else None


def releases_between(releases: Iterable[R], installed: Version, offered: Version,
                     channels: Iterable[str], now: dt.datetime) -> list[R]:
    """Releases an install crosses when it moves from ``installed`` to ``offered`` (above
    the one, up to and including the other), newest first: only those its own channels
    may see, public now and not yanked. A beta, draft or scheduled release is never
    named to a stable install this way."""
    allowed = frozenset(channels)
    return sorted((r for r in releases
                   if installed < r.version <= offered and r.channel in allowed
                   and offerable(r, now)), key=lambda r: r.version, reverse=True)


def affected_versions(affected: str | SpecifierSet,
                      versions: Iterable[tuple[T, Version]]) -> list[T]:
    """The items (in the given order) whose version lies in the affected range."""
    spec = _range(affected)
    return [item for item, version in versions if version_affected(spec, version)]


def _bound(text: str) -> Version | None:
    try:
        return Version(text[:-2] if text.endswith(".*") else text)
    except InvalidVersion:
        return None


def range_can_match(affected: str | SpecifierSet) -> bool:
    """Some version can lie in the range. False for contradictory exact versions
    (``==0,==0,==2``, what ``2,0,0`` typed with decimal commas becomes) and empty intervals
    (``>=2.0,<1.0``): such a notice would be published and reach nobody."""
    spec = _range(affected)
    exact = [_bound(c.version) for c in spec
             if c.operator in ("==", "===") and not c.version.endswith(".*")]
    if exact:
        # Every match equals each exact version, so testing those is the whole answer.
        return any(v is not None and version_affected(spec, v) for v in exact)
    lower: tuple[Version, bool] | None = None  # (version, inclusive)
    upper: tuple[Version, bool] | None = None
    for clause in spec:
        version = _bound(clause.version)
        if version is None:
            continue
        if clause.operator in (">=", "~=", "==", ">"):
            bound = (version, clause.operator != ">")
            if lower is None or bound[0] > lower[0] or (
                    bound[0] == lower[0] and not bound[1]):
                lower = bound
        elif clause.operator in ("<", "<="):
            bound = (version, clause.operator == "<=")
            if upper is None or bound[0] < upper[0] or (
                    bound[0] == upper[0] and not bound[1]):
                upper = bound
    if lower is None or upper is None:
        return True
    if lower[0] != upper[0]:
        return lower[0] < upper[0]
    return lower[1] and upper[1] and version_affected(spec, lower[0])

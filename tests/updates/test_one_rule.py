"""The one set of matching rules (updatesrv.updates.rules): a table per rule, and a grep
that no other module of the package re-spells them (issue 19)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.version import Version

from updatesrv.updates import rules

NOW = dt.datetime(2026, 6, 1, 12, 0)
PAST = NOW - dt.timedelta(days=1)
FUTURE = NOW + dt.timedelta(days=7)
V = Version


@dataclass(frozen=True)
class Rel:
    version: Version
    channel: str = "stable"
    yanked: bool = False
    published_at: dt.datetime | None = PAST
    publish_at: dt.datetime | None = None


@pytest.mark.parametrize(("affected", "channels", "platforms", "version", "channel",
                          "platform", "expected"), [
    (">=2.0,<2.1", (), (), "2.0.5", "stable", "windows-x86_64", True),
    (">=2.0,<2.1", (), (), "2.1", "stable", "windows-x86_64", False),
    (">=2.0,<2.1", (), (), "2.0rc1", "beta", None, False),  # 2.0rc1 < 2.0
    (">=2.0rc1,<2.1", (), (), "2.0rc1", "beta", None, True),  # pre-releases count
    ("<2.1", (), (), "2.1rc1", "beta", None, False),  # packaging: <2.1 excludes 2.1rc1
    ("==2.0.*", (), (), "2.0.9.post1", "stable", None, True),
    ("==2.0", (), (), "2.0.0", "stable", None, True),  # PEP 440 equality
    (">=2.0", ("beta",), (), "2.0", "stable", None, False),
    (">=2.0", ("beta",), (), "2.0", "beta", None, True),
    (">=2.0", ("beta",), (), "2.0", None, None, True),  # a subscriber names no channel
    (">=2.0", (), ("macos-arm64",), "2.0", "stable", "windows-x86_64", False),
    (">=2.0", (), ("macos-arm64",), "2.0", "stable", "macos-arm64", True),
    (">=2.0", (), ("macos-arm64",), "2.0", "stable", None, True),  # better told
    (">=2.0", (), ("macos-arm64",), "2.0", "stable", "", True),
    (">=2.0", (), (), None, "stable", None, True),  # a subscriber for every version
])
def test_notice_applies(affected: str, channels: tuple[str, ...], platforms: tuple[str, ...],
                        version: str | None, channel: str | None, platform: str | None,
                        expected: bool) -> None:
    parsed = Version(version) if version is not None else None
    assert rules.notice_applies(affected, channels, platforms, parsed, channel,
                                platform) is expected


@pytest.mark.parametrize(("platforms", "release_platforms", "channels", "channel", "expected"), [
    ((), ["windows-x86_64"], (), "stable", True),
    (("macos-arm64",), ["windows-x86_64"], (), "stable", False),
    (("macos-arm64",), ["windows-x86_64", "macos-arm64"], (), "stable", True),
    (("macos-arm64",), ["any"], (), "stable", True),
    ((), ["any"], ("beta",), "stable", False),
])
def test_notice_applies_to_release(platforms: tuple[str, ...], release_platforms: list[str],
                                   channels: tuple[str, ...], channel: str,
                                   expected: bool) -> None:
    assert rules.notice_applies_to_release(">=2.0", channels, platforms, V("2.0"), channel,
                                           release_platforms) is expected


@pytest.mark.parametrize(("release_version", "release_platforms", "version", "platform",
                          "expected"), [
    ("2.0.0", ["windows-x86_64"], "2.0", "windows-x86_64", True),  # 2.0 is 2.0.0
    ("2.0.0", ["windows-x86_64"], "2.0.1", "windows-x86_64", False),
    ("2.0.0", ["macos-arm64"], "2.0.0", "windows-x86_64", False),
    ("2.0.0", ["any"], "2.0.0", "windows-x86_64", True),
    ("2.0.0", ["macos-arm64"], "2.0.0", "", True),  # no platform: any file
])
def test_ships_on(release_version: str, release_platforms: list[str], version: str,
                  platform: str, expected: bool) -> None:
    assert rules.ships_on(release_version, release_platforms, version, platform) is expected


@pytest.mark.parametrize(("draft", "published_at", "publish_at", "expected"), [
    (False, PAST, None, True),
    (True, None, None, False),
    (True, PAST, None, False),
    (False, None, None, False),
    (False, FUTURE, FUTURE, False),  # scheduled for next week
    (False, NOW, NOW, True),  # its time has come
])
def test_release_public(draft: bool, published_at: dt.datetime | None,
                        publish_at: dt.datetime | None, expected: bool) -> None:
    assert rules.release_public(draft, published_at, publish_at, NOW) is expected


@pytest.mark.parametrize(("affected", "fixed_in", "version", "expected"), [
    ("<1.1", "1.1", "1.1", True),
    ("<1.1", "1.1", "1.2", True),
    ("<1.1", "1.1", "1.0", False),
    ("<1.1", None, "1.2", False),  # no fix named: nothing fixes it
    (">=1.0,!=1.1", "1.1", "1.2", False),  # 1.2 is affected again
    ("<1.1", "1.1", "1.1rc1", False),  # below the fix
])
def test_fixed_by(affected: str, fixed_in: str | None, version: str, expected: bool) -> None:
    fix = Version(fixed_in) if fixed_in else None
    assert rules.fixed_by(affected, fix, V(version)) is expected


@pytest.mark.parametrize(("releases", "expected"), [
    ([Rel(V("1.1"))], "1.1"),
    ([Rel(V("1.1"), yanked=True)], None),  # a yanked fix is no fix
    ([Rel(V("1.1"), yanked=True), Rel(V("1.2"))], "1.2"),  # a later one is
    ([Rel(V("1.1"), publish_at=FUTURE, published_at=FUTURE)], None),  # scheduled
    ([Rel(V("1.1"), published_at=None)], None),  # draft
    ([Rel(V("1.3")), Rel(V("1.2"))], "1.2"),  # the lowest that fixes it
    ([Rel(V("1.0"))], None),
])
def test_fixing_release(releases: list[Rel], expected: str | None) -> None:
    found = rules.fixing_release(releases, "<1.1", V("1.1"), NOW)
    assert (str(found.version) if found else None) == expected


def test_releases_between_names_only_what_the_install_may_see() -> None:
    catalog = [
        Rel(V("1.3")),  # above the offer
        Rel(V("1.2")),  # the offer
        Rel(V("1.1.9"), publish_at=FUTURE, published_at=FUTURE),  # scheduled next week
        Rel(V("1.1.5"), channel="beta"),  # a beta release
        Rel(V("1.1.2"), yanked=True),
        Rel(V("1.1.1"), published_at=None),  # draft
        Rel(V("1.1")),
        Rel(V("1.0")),  # installed
    ]
    between = rules.releases_between(catalog, V("1.0"), V("1.2"), {"stable"}, NOW)
    assert [str(r.version) for r in between] == ["1.2", "1.1"]
    beta = rules.releases_between(catalog, V("1.0"), V("1.2"), {"stable", "beta"}, NOW)
    assert [str(r.version) for r in beta] == ["1.2", "1.1.5", "1.1"]
    assert rules.releases_between(catalog, V("1.2"), V("1.2"), {"stable"}, NOW) == []


@pytest.mark.parametrize(("affected", "expected"), [
    (">=1.0,<1.2", ["1.0", "1.1"]),
    ("==1.1", ["1.1"]),
    ("==1.1.0", ["1.1"]),
    ("~=1.1", ["1.1", "1.2"]),
    ("<1.0", []),
])
def test_affected_versions(affected: str, expected: list[str]) -> None:
    versions = [(text, V(text)) for text in ("1.0", "1.1", "1.2")]
    assert rules.affected_versions(affected, versions) == expected


@pytest.mark.parametrize(("affected", "expected"), [
    ("==2,==0,==0", False),  # "2,0,0" typed with decimal commas
    ("==2.0,==2.0.0", True),  # the same version twice
    ("==2.0,!=2.0", False),
    (">=2.0,<1.0", False),
    (">=2.0,<2.0", False),
    (">2.0,<=2.0", False),
    (">=2.0,<=2.0", True),
    (">=2.0,<2.0.1", True),
    ("==2.0.*,<1", False),
    ("~=2.2,<2.0", False),
    ("~=2.2,<2.3", True),
    ("!=2.0", True),
    (">=1.0", True),
    ("==2.0,<2.1", True),
    ("==2.0,>=2.1", False),
])
def test_range_can_match(affected: str, expected: bool) -> None:
    assert rules.range_can_match(affected) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2.0", V("2.0")), ("", None), (None, None), ("not-a-version", None)])
def test_installed_version(text: str | None, expected: Version | None) -> None:
    assert rules.installed_version(text) == expected


PACKAGE = Path(rules.__file__).resolve().parents[1]
# Range matching and release visibility are spelled only in rules.py; versions.py only
# validates what vendors type (it parses clauses one by one).
COPIES = {
    "range matching": re.compile(r"\.contains\(|\bin\s+SpecifierSet\("),
    "range parsing": re.compile(r"\bSpecifierSet\("),
    "visibility": re.compile(r"publish_at\s*<=\s*now|publish_at\s*>\s*now"),
}
ALLOWED = {"range parsing": {"updates/rules.py", "versions.py"}}


@pytest.mark.parametrize("rule", sorted(COPIES))
def test_no_second_copy_of_the_rules(rule: str) -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative == "updates/rules.py" or relative in ALLOWED.get(rule, ()) \
                or relative.startswith("migrations/"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if COPIES[rule].search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], ("call updatesrv.updates.rules instead of re-spelling "
                             f"{rule}:\n" + "\n".join(offenders))

"""The update decision as a table: each row is (catalog, install) → expected answer."""

from __future__ import annotations

import datetime as dt

import pytest
from packaging.version import Version

from updatesrv.updates.decision import UpdateQuery, decide

from .catalog_builder import T0, catalog, rel

NOW = T0 + dt.timedelta(days=1)
WIN = "windows-x86_64"


def ask(cat, version, channel="stable", platform=WIN, now=NOW):
    return decide(UpdateQuery(version=Version(version), channel=channel, platform=platform,
                              now=now), cat)


def offered(cat, version, **kw):
    d = ask(cat, version, **kw)
    return None if d.update is None else d.update.release.version_text


BASIC = catalog(rel("1.0"), rel("1.1"), rel("2.0"), rel("2.0.1"))

# (description, catalog, installed, kwargs, expected offer)
TABLE = [
    ("newest is offered", BASIC, "1.0", {}, "2.0.1"),
    ("up to date", BASIC, "2.0.1", {}, None),
    ("2.0 == 2.0.0 is up to date with 2.0 only", catalog(rel("2.0")), "2.0.0", {}, None),
    ("unknown newer install gets nothing", BASIC, "9.0", {}, None),
    ("unknown older install gets newest", BASIC, "0.1", {}, "2.0.1"),
    ("yanked newest is skipped", catalog(rel("1.0"), rel("2.0"), rel("2.1", yanked=True)),
     "1.0", {}, "2.0"),
    ("yanked install is offered a downgrade",
     catalog(rel("1.0"), rel("2.0", yanked=True)), "2.0", {}, "1.0"),
    ("yanked install gets newest when newer exists",
     catalog(rel("1.0"), rel("2.0", yanked=True), rel("2.1")), "2.0", {}, "2.1"),
    ("stable install does not see beta", catalog(rel("1.0"), rel("1.1b1", "beta")),
     "1.0", {}, None),
    ("beta install sees beta", catalog(rel("1.0"), rel("1.1b1", "beta")),
     "1.0", {"channel": "beta"}, "1.1b1"),
    ("beta install sees newer stable", catalog(rel("1.1b1", "beta"), rel("1.1")),
     "1.0", {"channel": "beta"}, "1.1"),
    ("nightly sees beta and stable",
     catalog(rel("1.1"), rel("1.2b1", "beta"), rel("1.2.0.dev5", "nightly")),
     "1.0", {"channel": "nightly"}, "1.2b1"),
    ("dev build sorts below beta (PEP 440)",
     catalog(rel("2.1.0b1", "beta"), rel("2.1.0.dev9", "nightly")),
     "2.1.0.dev9", {"channel": "nightly"}, "2.1.0b1"),
    ("rc on stable is offered to stable", catalog(rel("2.0"), rel("2.1rc1")), "2.0", {},
     "2.1rc1"),
    ("post-release is newer", catalog(rel("2.0"), rel("2.0.post1")), "2.0", {}, "2.0.post1"),
    ("final is newer than its rc", catalog(rel("2.1rc1"), rel("2.1")), "2.1rc1", {}, "2.1"),
    ("platform without artifact is skipped",
     catalog(rel("1.0"), rel("1.1"), rel("1.2", platforms=("macos-arm64",))), "1.0", {}, "1.1"),
    ("'any' artifact serves every platform",
     catalog(rel("1.0"), rel("1.1", platforms=("any",))), "1.0", {}, "1.1"),
    ("no platform: only 'any' counts",
     catalog(rel("1.0"), rel("1.1", platforms=("any",)), rel("1.2")), "1.0",
     {"platform": None}, "1.1"),
    ("no platform and no 'any' artifact", BASIC, "1.0", {"platform": None}, None),
    ("below minimum supported is never offered",
     catalog(rel("1.0"), rel("1.5"), minimum="2.0"), "1.0", {}, None),
    ("minimum supported: offered at or above it",
     catalog(rel("1.5"), rel("2.0"), rel("2.1"), minimum="2.0"), "1.0", {}, "2.1"),
    ("scheduled release invisible before its time",
     catalog(rel("1.0"), rel("1.1", publish_at=NOW + dt.timedelta(hours=1))), "1.0", {}, None),
    ("scheduled release visible at its time",
     catalog(rel("1.0"), rel("1.1", publish_at=NOW)), "1.0", {}, "1.1"),
    ("yanked install never offered below minimum",
     catalog(rel("1.0"), rel("2.0", yanked=True), minimum="1.5"), "2.0", {}, None),
]


@pytest.mark.parametrize(("catalog_", "installed", "kwargs", "expected"),
                         [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_offer(catalog_, installed, kwargs, expected):
    assert offered(catalog_, installed, **kwargs) == expected


CRITICAL_TABLE = [
    ("no critical release", BASIC, "1.0", {}, False),
    ("offered release is critical", catalog(rel("1.0"), rel("1.1", critical=True)), "1.0", {},
     True),
    ("skipped critical release makes the jump critical",
     catalog(rel("1.0"), rel("1.1", critical=True), rel("1.2")), "1.0", {}, True),
    ("critical release at or below installed does not count",
     catalog(rel("1.0", critical=True), rel("1.1")), "1.0", {}, False),
    ("critical on another channel does not count",
     catalog(rel("1.0"), rel("1.1b1", "beta", critical=True), rel("1.2")), "1.0", {}, False),
    ("critical without an artifact for this platform does not count",
     catalog(rel("1.0"), rel("1.1", critical=True, platforms=("macos-arm64",)), rel("1.2")),
     "1.0", {}, False),
    ("yanked installed version makes the offer critical",
     catalog(rel("1.0"), rel("1.1", yanked=True), rel("1.2")), "1.1", {}, True),
    ("unsupported installed version makes the offer critical",
     catalog(rel("2.0"), minimum="2.0"), "1.0", {}, True),
    ("yanked critical release does not count",
     catalog(rel("1.0"), rel("1.1", critical=True, yanked=True), rel("1.2")), "1.0", {}, False),
]


@pytest.mark.parametrize(("catalog_", "installed", "kwargs", "expected"),
                         [row[1:] for row in CRITICAL_TABLE], ids=[r[0] for r in CRITICAL_TABLE])
def test_critical(catalog_, installed, kwargs, expected):
    decision = ask(catalog_, installed, **kwargs)
    assert decision.update is not None
    assert decision.update.critical is expected


@pytest.mark.parametrize(("cat", "installed", "known", "yanked", "supported"), [
    (BASIC, "2.0", True, False, True),
    (BASIC, "2.0.0", True, False, True),
    (BASIC, "3.0", False, False, True),
    (catalog(rel("2.0", yanked=True)), "2.0", True, True, True),
    (catalog(rel("2.0"), minimum="2.0"), "1.9", False, False, False),
    (catalog(rel("2.0"), minimum="2.0"), "2.0rc1", False, False, False),
    (catalog(rel("2.0", publish_at=NOW + dt.timedelta(days=1))), "2.0", False, False, True),
])
def test_installed_status(cat, installed, known, yanked, supported):
    status = ask(cat, installed).installed
    assert (status.known, status.yanked, status.supported) == (known, yanked, supported)


def test_pep440_ordering_of_the_catalog():
    versions = ["1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.0.1", "1.10",
                "1.9"]
    cat = catalog(*(rel(v) for v in versions))
    assert [r.version_text for r in cat.releases] == [
        "1.10", "1.9", "1.0.1", "1.0.post1", "1.0", "1.0rc1", "1.0b2", "1.0a1", "1.0.dev1"]
    assert offered(cat, "1.9") == "1.10"


def test_decision_scans_only_the_top_of_a_large_catalog():
    """10,000 releases: the decision stops at the first eligible newer release."""
    releases = [rel(f"1.{i}") for i in range(10_000)]
    cat = catalog(*releases)
    assert offered(cat, "1.9998") == "1.9999"
    assert offered(cat, "1.0") == "1.9999"

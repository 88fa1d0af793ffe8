"""Rollout rules of the pure decision: stickiness, fallbacks, bypasses, pauses, stops,
stepping stones and holds."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import uuid

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from updatesrv.updates.catalog import CatalogNotice
from updatesrv.updates.decision import UpdateQuery, decide, in_rollout, rollout_bucket

from .catalog_builder import T0, catalog, rel

NOW = T0 + dt.timedelta(days=1)
WIN = "windows-x86_64"


def offered(cat, version, install_id="install-1", platform=WIN, channel="stable"):
    d = decide(UpdateQuery(version=Version(version), channel=channel, platform=platform,
                           now=NOW, install_id=install_id), cat)
    return None if d.update is None else d.update.release.version_text


def ids(n=10_000, seed=7):
    rng = random.Random(seed)
    return [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(n)]


def notice(**kw):
    base = dict(public_id="LEDG-2026-0001", revision=1, title="t", summary="", severity="major",
                status="confirmed", specifier=SpecifierSet(">=1.0"), platforms=(),
                channels=(), workaround="", fixed_in=None, fixed_in_text=None, updated_at=T0)
    base.update(kw)
    return CatalogNotice(**base)


def test_bucket_is_the_documented_formula():
    import hashlib

    expected = int(hashlib.sha256(b"abc:ledgerly:2.1").hexdigest()[:8], 16) % 10000
    assert rollout_bucket("abc", "ledgerly", "2.1") == expected


def test_distribution_and_stickiness_when_widening():
    release25 = rel("2.1", rollout_percent=25)
    release50 = dataclasses.replace(release25, rollout_percent=50)
    population = ids()
    in25 = {i for i in population if in_rollout(i, "ledgerly", release25)}
    in50 = {i for i in population if in_rollout(i, "ledgerly", release50)}
    assert 2300 <= len(in25) <= 2700  # 25 ± 2 %
    assert 4800 <= len(in50) <= 5200
    assert in25 <= in50  # widening never drops anyone


def test_each_release_samples_a_different_first_group():
    population = ids()
    a = {i for i in population if in_rollout(i, "ledgerly", rel("2.1", rollout_percent=25))}
    b = {i for i in population if in_rollout(i, "ledgerly", rel("2.2", rollout_percent=25))}
    overlap = len(a & b) / len(population)
    assert 0.04 < overlap < 0.09  # independent samples overlap ~6.25 %, not 25 %


def test_outside_the_rollout_gets_the_best_older_release():
    cat = catalog(rel("1.0"), rel("1.1"), rel("1.2", rollout_percent=10))
    population = ids(2000)
    offers = {offered(cat, "1.0", i) for i in population}
    assert offers == {"1.1", "1.2"}
    outside = next(i for i in population if offered(cat, "1.0", i) == "1.1")
    assert offered(cat, "1.1", outside) is None  # nothing newer it qualifies for


def test_no_install_id_only_gets_full_rollouts():
    cat = catalog(rel("1.0"), rel("1.1"), rel("1.2", rollout_percent=99))
    assert offered(cat, "1.0", install_id=None) == "1.1"


def test_zero_percent_offers_nothing_new():
    cat = catalog(rel("1.0"), rel("1.1", rollout_percent=0))
    assert {offered(cat, "1.0", i) for i in ids(500)} == {None}


def test_bypasses_of_the_percentage():
    outside = next(i for i in ids() if rollout_bucket(i, "ledgerly", "1.1") >= 100)
    base = [rel("1.0"), rel("1.1", rollout_percent=1)]
    assert offered(catalog(*base), "1.0", outside) is None
    critical = catalog(rel("1.0"), rel("1.1", rollout_percent=1, critical=True))
    assert offered(critical, "1.0", outside) == "1.1"
    yanked = catalog(rel("0.9"), rel("1.0", yanked=True), rel("1.1", rollout_percent=1))
    assert offered(yanked, "1.0", outside) == "1.1"
    unsupported = catalog(*base, minimum="1.0")
    assert offered(unsupported, "0.5", outside) == "1.1"
    fixing_notice = notice(severity="critical", specifier=SpecifierSet("<1.1"),
                           fixed_in=Version("1.1"), fixed_in_text="1.1")
    noticed = catalog(*base, notices=(fixing_notice,))
    assert offered(noticed, "1.0", outside) == "1.1"
    major_notice = catalog(*base, notices=(dataclasses.replace(fixing_notice, severity="major"),))
    assert offered(major_notice, "1.0", outside) is None


def test_pause_stop_hold_and_stepping_stone_always_win():
    paused = catalog(rel("1.0"), rel("1.1", critical=True, paused=True))
    assert offered(paused, "1.0") is None
    assert offered(catalog(rel("1.0"), rel("1.1"), rel("1.2", paused=True)), "1.0") == "1.1"
    stopped = catalog(rel("0.9"), rel("1.0", yanked=True), rel("1.1", critical=True),
                      stopped_channels=frozenset({"stable"}))
    decision = decide(UpdateQuery(version=Version("1.0"), channel="stable", platform=WIN,
                                  now=NOW, install_id="x"), dataclasses.replace(
        stopped, notices=(notice(),)))
    assert decision.update is None and decision.stopped and len(decision.notices) == 1
    # Another channel is not stopped.
    assert offered(stopped, "1.0", channel="beta") == "1.1"
    held = catalog(rel("2.0"), rel("2.0.1"), rel("2.1", critical=True), rel("2.2"),
                   notices=(notice(specifier=SpecifierSet("<2.1"), platforms=(WIN,),
                                   hold_release=Version("2.1")),))
    assert offered(held, "2.0") == "2.0.1"  # neither 2.1 nor anything above it
    assert offered(held, "2.0", platform="macos-arm64") is None  # no mac artifacts here
    fixed = dataclasses.replace(held, notices=(dataclasses.replace(
        held.notices[0], status="fixed"),))
    assert offered(fixed, "2.0") == "2.2"
    stone = catalog(rel("1.0"), rel("2.0", critical=True, min_upgrade_from=Version("1.5")))
    assert offered(stone, "1.0") is None


def test_three_hop_stepping_stones():
    cat = catalog(rel("1.0"), rel("1.5"), rel("2.0", min_upgrade_from=Version("1.5")),
                  rel("3.0", min_upgrade_from=Version("2.0")))
    path, version = [], "1.0"
    while (nxt := offered(cat, version)) is not None:
        path.append(nxt)
        version = nxt
    assert path == ["1.5", "2.0", "3.0"]


def test_scheduled_publish_at_fixed_times():
    at = NOW + dt.timedelta(hours=3)
    cat = catalog(rel("1.0"), rel("1.1", publish_at=at))

    def at_time(now):
        return decide(UpdateQuery(version=Version("1.0"), channel="stable", platform=WIN,
                                  now=now, install_id="x"), cat).update

    assert at_time(at - dt.timedelta(seconds=1)) is None
    assert at_time(at).release.version_text == "1.1"

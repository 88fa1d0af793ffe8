"""Every surface tells the same installs as the check (issue 19). A fleet of simulated
installs (versions released and not, pre-releases, two channels, three platforms and
"did not say") checks a real app; then each surface is asked the same question with the
same catalog: the public notices API, "Am I affected?", every compatible feed (the notes
of the release it offers: Squirrel.Mac, electron-updater, Tauri, Velopack, Sparkle), the
reach count, the console's preview count, subscription mail filters, OSV and the notice
pages' affected releases, the release pages' known issues and the auto-halt of rolling-out
releases. Each must name exactly the check's affected set, and each feed offers an update
to exactly the installs the check offers one to.
Database-backed: SQLite, and PostgreSQL with UPDATESRV_TEST_DATABASE_URL (25-35 s on
two shared cores)."""

from __future__ import annotations

import base64
import json
import random
import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace
from typing import Any

import pytest
from packaging.version import Version

from updatesrv import runtime
from updatesrv.console.notices import _reach as console_preview_count
from updatesrv.db import db, utcnow
from updatesrv.notices.models import Notice
from updatesrv.notices.services import halt_rollouts
from updatesrv.products.models import Product
from updatesrv.reach.services import affected_installs
from updatesrv.releases.models import Release
from updatesrv.subscriptions.fanout import matches as mail_matches
from updatesrv.updates.catalog import catalog_notice

from ..conftest import artifact

INSTALLS = 2000
PLATFORMS = ("windows-x86_64", "macos-arm64", "linux-x86_64", None)
CHANNELS = ("stable", "beta")
RELEASED = ("1.0", "1.1", "2.0", "2.0.1")
VERSIONS = (*RELEASED, "1.5", "2.0.0", "2.1rc1", "2.1.dev1", "0.9")
NOTICES = [
    {"title": "Sync stalls", "affected": ">=2.0,<2.0.1",
     "platforms": ["windows-x86_64", "macos-arm64"]},
    {"title": "Old crash", "affected": "<1.1"},
    {"title": "Beta crash", "affected": ">=2.1rc1", "channels": ["beta"]},
    {"title": "Linux font", "affected": "==1.1", "platforms": ["linux-x86_64"],
     "channels": ["stable"]},
    {"title": "Everything but 2.0", "affected": ">=1.0,!=2.0"},
]
Combo = tuple[str, str, str | None]
# A well-formed minisign signature file (Tauri's feed serves it; nothing verifies it here).
MINISIGN = "\n".join([
    "untrusted comment: signature from minisign secret key",
    base64.b64encode(b"Ed" + bytes(range(8)) + bytes(64)).decode(),
    "trusted comment: timestamp:0\tfile:ledgerly",
    base64.b64encode(bytes(64)).decode()]) + "\n"
NOTICE_LINK = re.compile(r"/known-issues/([A-Z0-9]+-[0-9]+-[0-9]+)")


def _feed_notes(kind: str, response: Any) -> set[str] | None:
    """The notices a feed's answer names in the notes of the release it offers; None when
    it offers nothing."""
    if response.status_code == 204:
        return None
    assert response.status_code == 200, (kind, response.data)
    if kind == "electron":
        if b"files: []" in response.data:
            return None
        return set(NOTICE_LINK.findall(response.data.decode()))
    if kind == "velopack":
        assets = response.json["Assets"]
        return set(NOTICE_LINK.findall(assets[0]["NotesMarkdown"])) if assets else None
    if kind == "sparkle":
        items = ET.fromstring(response.data).findall("./channel/item")
        if not items:
            return None
        return set(NOTICE_LINK.findall(items[0].findtext("description") or ""))
    return set(NOTICE_LINK.findall(json.loads(response.data)["notes"]))


FEEDS = {
    "squirrel": "/u/ledgerly/squirrel/{platform}/{version}?channel={channel}",
    "electron": "/u/ledgerly/electron/{channel}.yml?version={version}&platform={platform}",
    "tauri": "/u/ledgerly/tauri/linux/x86_64/{version}?channel={channel}&platform={platform}",
    "velopack": ("/u/ledgerly/velopack/releases.{channel}.json?localVersion={version}"
                 "&platform={platform}"),
    "sparkle": ("/u/ledgerly/sparkle/appcast.xml?version={version}&channel={channel}"
                "&platform={platform}"),
}


@pytest.fixture
def fleet(api: Any, product: str) -> dict[str, Any]:
    assert api.patch("/api/v1/products/ledgerly",
                     json={"feed_formats": list(FEEDS)}).status_code == 200
    # What every feed needs of a file (electron sha512, Velopack SHA1, Tauri's signature).
    all_files = [artifact(p, i, sha512=f"{i + 1:0128x}", sha1=f"{i + 1:040x}",
                          minisign_signature=MINISIGN) for i, p in enumerate(PLATFORMS[:3])]
    for version in RELEASED:
        assert api.post("/api/v1/products/ledgerly/releases", json={
            "version": version, "artifacts": all_files}).status_code == 201
    assert api.post("/api/v1/products/ledgerly/releases", json={
        "version": "2.1rc1", "channel": "beta", "artifacts": all_files}).status_code == 201
    ids = []
    for body in NOTICES:
        response = api.post("/api/v1/products/ledgerly/notices",
                            json={"severity": "major", **body})
        assert response.status_code == 201, response.json
        ids.append(response.json["id"])
    rng = random.Random(19)
    installs = [(f"install-{i}", rng.choice(VERSIONS), rng.choice(CHANNELS),
                 rng.choice(PLATFORMS)) for i in range(INSTALLS)]
    return {"ids": ids, "installs": installs}


def _query(version: str, channel: str, platform: str | None) -> str:
    return f"version={version}&channel={channel}" + (f"&platform={platform}" if platform else "")


def test_every_surface_tells_the_installs_the_check_tells(app, api, client, fleet) -> None:
    ids: list[str] = fleet["ids"]
    installs = fleet["installs"]
    # The check, install by install (recorded, as installs are).
    told: dict[str, set[str]] = {n: set() for n in ids}
    by_combo: dict[Combo, set[str]] = {}
    updates: dict[Combo, str | None] = {}
    for install_id, version, channel, platform in installs:
        body = client.get(f"/api/v1/products/ledgerly/check?{_query(version, channel, platform)}"
                          f"&install_id={install_id}").json
        names = {n["id"] for n in body["notices"]}
        by_combo.setdefault((version, channel, platform), names)
        updates[(version, channel, platform)] = (body["update"] or {}).get("version")
        assert by_combo[(version, channel, platform)] == names  # one answer per combo
        for notice_id in names:
            told[notice_id].add(install_id)
    assert all(told[n] for n in ids), "every notice reaches someone in this fleet"

    def spread(answers: dict[Combo, set[str]]) -> dict[str, set[str]]:
        """A per-combo answer as the set of installs told of each notice."""
        out: dict[str, set[str]] = {n: set() for n in ids}
        for install_id, version, channel, platform in installs:
            for notice_id in answers[(version, channel, platform)]:
                out[notice_id].add(install_id)
        return out

    # The public notices API and "Am I affected?".
    api_answers: dict[Combo, set[str]] = {}
    page_answers: dict[Combo, set[str]] = {}
    feed_answers: dict[str, dict[Combo, set[str] | None]] = {kind: {} for kind in FEEDS}
    for combo in by_combo:
        query = _query(*combo)
        api_answers[combo] = {n["id"] for n in client.get(
            f"/api/v1/products/ledgerly/notices?{query}").json["notices"]}
        page = client.get(f"/p/ledgerly/known-issues/?{query}").text
        listed = re.search(r'<ul class="affected-list">(.*?)</ul>', page, re.S)
        page_answers[combo] = set(re.findall(r"/known-issues/([A-Z0-9-]+)\"",
                                             listed.group(1))) if listed else set()
        version, channel, platform = combo
        if platform is None:
            continue  # an updater always says its OS
        # Each feed carries the notices in the offered release's notes.
        for kind, url in FEEDS.items():
            feed_answers[kind][combo] = _feed_notes(kind, client.get(
                url.format(platform=platform, version=version, channel=channel)))
    assert spread(api_answers) == told
    assert spread(page_answers) == told
    for kind, answers in feed_answers.items():
        offered = {c: a for c, a in answers.items() if a is not None}
        assert offered, f"some installs are offered an update through the {kind} feed"
        assert set(offered) == {c for c in answers if updates[c]}, kind
        assert all(offered[c] == by_combo[c] for c in offered), kind

    runtime(app).recorder.flush()
    with app.test_request_context():
        product = db.session.query(Product).filter_by(slug="ledgerly").one()
        catalog = runtime(app).catalogs.get("ledgerly", fresh=True)
        assert catalog is not None
        for notice_id in ids:
            notice = db.session.query(Notice).filter_by(public_id=notice_id).one()
            # Reach: distinct affected installs; the console's preview of the same notice.
            assert affected_installs(db.session, notice, utcnow()) == len(told[notice_id])
            assert console_preview_count(product, catalog_notice(notice)) == len(
                told[notice_id]), notice_id
            # Subscribers name a version and platform, never a channel: told of every
            # install the check tells (and of other channels', better told than missed).
            payload = {"affected": notice.affected, "platforms": notice.platforms}
            for install_id, version, channel, platform in installs:
                sub = SimpleNamespace(notice_id=None, version=version, platform=platform)
                mailed = mail_matches(sub, payload, notice.id)  # type: ignore[arg-type]
                if install_id in told[notice_id]:
                    assert mailed, (notice_id, version, platform)
                elif not notice.channels or channel in notice.channels:
                    assert not mailed, (notice_id, version, channel, platform)
            # OSV and the notice page list the released versions the check tells on.
            channel = notice.channels[0] if notice.channels else "stable"
            expected = [v for v in sorted((*RELEASED, "2.1rc1"), key=Version)
                        if notice_id in by_combo_or_ask(client, by_combo, v, channel)]
            osv = client.get(f"/p/ledgerly/known-issues/{notice_id}.osv.json").json
            assert osv["affected"][0]["versions"] == expected, notice_id
            page = client.get(f"/p/ledgerly/known-issues/{notice_id}").text
            linked = re.findall(r'<a href="/p/ledgerly/releases/([^"]+)">',
                                re.search(r"<dt>Affected</dt><dd>(.*?)</dd>", page,
                                          re.S).group(1))
            assert sorted(linked, key=Version) == expected, notice_id
        assert catalog.revision > 0

    # A release page lists the notices the check tells some install of that version of
    # (on some channel and platform).
    releases = {"2.1rc1": "beta", **dict.fromkeys(RELEASED, "stable")}
    for version in releases:
        told_here = set().union(*(ask(client, by_combo, (version, ch, p))
                                  for ch in CHANNELS for p in PLATFORMS))
        page = client.get(f"/p/ledgerly/releases/{version}").text
        section = re.search(r'<section class="card" aria-labelledby="rn-h">(.*?)</section>',
                            page, re.S)
        listed = set(NOTICE_LINK.findall(section.group(1).split("Fixed in")[0])) \
            if section else set()
        assert listed == told_here, version
        assert version != "1.0" or listed, "1.0 has known issues"

    # Auto-halt: a critical notice pauses exactly the rolling-out releases whose version,
    # channel and platforms the check tells of it (in one transaction, rolled back).
    with app.test_request_context():
        rows = db.session.query(Release).join(Product).filter(Product.slug == "ledgerly").all()
        for row in rows:
            row.rollout_percent = 50
        db.session.flush()
        for notice_id in ids:
            notice = db.session.query(Notice).filter_by(public_id=notice_id).one()
            halted = set(halt_rollouts(db.session, notice))
            expected_halt = {v for v, ch in releases.items()
                             if any(notice_id in ask(client, by_combo, (v, ch, p))
                                    for p in PLATFORMS[:3])}
            assert halted == expected_halt, notice_id
            assert notice_id != ids[1] or halted == {"1.0"}  # "Old crash": <1.1
            for row in rows:
                row.paused = False
            db.session.flush()
        db.session.rollback()


def ask(client: Any, by_combo: dict[Combo, set[str]], combo: Combo) -> set[str]:
    """The check's notices for one (version, channel, platform)."""
    if combo not in by_combo:
        by_combo[combo] = {n["id"] for n in client.get(
            f"/api/v1/products/ledgerly/check?{_query(*combo)}").json["notices"]}
    return by_combo[combo]


def by_combo_or_ask(client: Any, by_combo: dict[Combo, set[str]], version: str,
                    channel: str) -> set[str]:
    """The check's answer for (version, channel, no platform)."""
    return ask(client, by_combo, (version, channel, None))

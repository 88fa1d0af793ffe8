"""No /u/ feed names a draft, scheduled, held or other-channel release to a stable install
(issue 19): the Velopack delta chain handed a stable 1.0.0 install offered 1.2.0 the deltas
of a beta release and of one scheduled for next week. Every feed URL is asked, with and
without the installed version."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conftest import Api
from tests.feeds.conftest import release_with_files

HIDDEN = ("1.0.7", "1.0.8", "7.7.7")  # beta, scheduled next week, draft named by a hold
LINUX = "linux-x86_64"


def _with_delta(version: str) -> dict[str, str]:
    return {LINUX: f"ledgerly-{version}-full.nupkg",
            f"{LINUX}:delta": f"ledgerly-{version}-delta.nupkg"}


def test_no_feed_names_a_hidden_release(api: Api, feed_product: str, client: Any) -> None:
    api.patch(f"/api/v1/products/{feed_product}", json={"channels": ["stable", "beta"]})
    release_with_files(api, feed_product, "1.0", {LINUX: "ledgerly-1.0.0-full.nupkg"})
    release_with_files(api, feed_product, "1.0.5", _with_delta("1.0.5"))
    release_with_files(api, feed_product, "1.0.7", _with_delta("1.0.7"), channel="beta")
    next_week = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    release_with_files(api, feed_product, "1.0.8", _with_delta("1.0.8"), publish_at=next_week)
    release_with_files(api, feed_product, "1.2", _with_delta("1.2.0"))
    assert api.post(f"/api/v1/products/{feed_product}/releases",
                    json={"version": "7.7.7", "draft": True}).status_code == 201
    held = api.post(f"/api/v1/products/{feed_product}/notices", json={
        "title": "Sync stalls", "severity": "major", "affected": ">=1.0,<1.0.5",
        "hold_release": "7.7.7", "fixed_in": "1.0.5"})
    assert held.status_code == 201, held.json

    velopack = client.get(f"/u/{feed_product}/velopack/releases.linux.json"
                          "?localVersion=1.0.0&id=ledgerly").json
    # The stable chain: the offer and the stable releases crossed, nothing else.
    assert [(a["Type"], a["Version"]) for a in velopack["Assets"]] == [
        ("Full", "1.2.0"), ("Delta", "1.2.0"), ("Delta", "1.0.5")]

    urls = [
        f"/u/{feed_product}/velopack/releases.{name}.json{query}"
        for name in ("linux", "stable-linux", "stable")
        for query in ("", "?localVersion=1.0.0", "?localVersion=1.0.5&stagingId=abc")
    ] + [
        f"/u/{feed_product}/electron/latest-linux.yml{query}"
        for query in ("", "?version=1.0.0", "?version=1.0.5")
    ] + [
        f"/u/{feed_product}/squirrel/{LINUX}/1.0.0",
        f"/u/{feed_product}/squirrel/{LINUX}/1.0.5",
        f"/u/{feed_product}/tauri/linux/x86_64/1.0.0",
        f"/u/{feed_product}/tauri/linux/x86_64/1.0.5",
        f"/u/{feed_product}/sparkle/appcast.xml?platform={LINUX}",
        f"/u/{feed_product}/sparkle/appcast.xml?platform={LINUX}&version=1.0.0",
        f"/u/{feed_product}/sparkle/appcast.xml?platform={LINUX}&version=1.0.5",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 204), (url, response.status_code, response.text)
        for version in HIDDEN:
            assert version not in response.text, (url, version, response.text)
    # A beta install may see the beta release (not the scheduled or held one).
    beta = client.get(f"/u/{feed_product}/velopack/releases.beta-linux.json"
                      "?localVersion=1.0.0").json
    assert [(a["Type"], a["Version"]) for a in beta["Assets"]] == [
        ("Full", "1.2.0"), ("Delta", "1.2.0"), ("Delta", "1.0.7"), ("Delta", "1.0.5")]
    # Nor is a hidden release's file downloadable by name through the feed.
    assert client.get(f"/u/{feed_product}/velopack/ledgerly-1.0.8-delta.nupkg"
                      ).status_code == 404

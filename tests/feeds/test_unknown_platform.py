"""Every compatible feed reads the updater's OS/arch with the check's rule (issue 19): a
platform with files first (as real updaters need), else the one registered platform the
OS/arch names, else 400 problem+json naming the part of the URL that said it and listing
the known ids; never a silent fall back to the 'any' files and the wrong notices. A refused
id is listed on the vendor's dashboard, as the check's are.
Database-backed: SQLite, and PostgreSQL with UPDATESRV_TEST_DATABASE_URL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from updatesrv import runtime
from updatesrv.db import db
from updatesrv.stats.rejected import rejected_platforms

from ..conftest import artifact, publish

FEEDS = ["sparkle", "electron", "squirrel", "tauri", "velopack"]
OWN = ["macos-arm64", "macos-x86_64", "windows-x86_64"]


@pytest.fixture
def catalog(api: Any, product: str) -> str:
    assert api.patch("/api/v1/products/ledgerly",
                     json={"feed_formats": FEEDS}).status_code == 200
    for n, version in enumerate(("1.0.0", "1.1.0")):
        publish(api, product, version, artifacts=[
            artifact(p, 10 * n + i, sha512="ab" * 64, sha1="cd" * 20)
            for i, p in enumerate(OWN)])
    notice = api.post("/api/v1/products/ledgerly/notices", json={
        "title": "Crash on start", "severity": "critical", "affected": "<1.1",
        "platforms": ["windows-x86_64"]})
    assert notice.status_code == 201
    return product


def refused(response: Any, field: str) -> dict[str, Any]:
    assert response.status_code == 400, response.data
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json
    assert body["field"] == field
    assert body["known_platforms"] == OWN
    return body


@pytest.mark.parametrize(("url", "field", "candidates"), [
    # electron-updater on Linux x64 asks latest-linux.yml: the product has no Linux.
    ("/u/ledgerly/electron/latest-linux.yml?version=1.0.0", "filename",
     ["linux-aarch64", "linux-arm64", "linux-x86_64"]),
    ("/u/ledgerly/velopack/releases.linux.json?localVersion=1.0.0", "channel",
     ["linux-aarch64", "linux-arm64", "linux-x86_64"]),
    ("/u/ledgerly/tauri/linux/armv7/1.0.0", "target", None),
    ("/u/ledgerly/squirrel/darwin-x65/1.0.0", "platform", None),
    ("/u/ledgerly/squirrel/wndows/1.0.0", "platform", None),
    ("/u/ledgerly/sparkle/appcast.xml?platform=macosx&version=1.0.0", "platform", None),
    ("/u/ledgerly/electron/latest.yml?version=1.0.0&platform=darwin", "platform",
     ["macos-arm64", "macos-x86_64"]),
    ("/u/ledgerly/tauri/windows/x86_64/1.0.0?platform=wndows-x86_64", "platform", None),
])
def test_an_os_arch_the_product_cannot_place_is_refused(client: Any, catalog: str, url: str,
                                                        field: str,
                                                        candidates: list[str] | None) -> None:
    body = refused(client.get(url), field)
    assert body.get("candidates") == candidates


@pytest.mark.parametrize(("url", "expect"), [
    # Files first: what the real updaters send keeps working.
    ("/u/ledgerly/electron/latest.yml?version=1.0.0", b"windows-x86_64-12.zip"),
    ("/u/ledgerly/electron/latest-mac.yml?version=1.0.0", b"macos-x86_64-11.zip"),
    ("/u/ledgerly/electron/latest-mac-arm64.yml?version=1.0.0", b"macos-arm64-10.zip"),
    ("/u/ledgerly/tauri/darwin/aarch64/1.0.0", None),  # no minisign signature: 204
    ("/u/ledgerly/squirrel/win32-x64/1.0.0", b"windows-x86_64-12.zip"),
    ("/u/ledgerly/velopack/releases.win.json?localVersion=1.0.0", b"windows-x86_64-12.zip"),
    # An alias of exactly one platform in ?platform=, as the check takes it.
    ("/u/ledgerly/electron/latest-linux.yml?version=1.0.0&platform=win64",
     b"windows-x86_64-12.zip"),
    # A registered platform the vendor has no file for yet is a valid install.
    ("/u/ledgerly/electron/latest-linux-arm64.yml?version=1.0.0", b'version: "1.0.0"'),
    ("/u/ledgerly/tauri/linux/x86_64/1.0.0", None),
    ("/u/ledgerly/tauri/linux/aarch64/1.0.0", None),
])
def test_what_updaters_send_still_works(client: Any, catalog: str, url: str,
                                        expect: bytes | None) -> None:
    response = client.get(url)
    if expect is None:
        assert response.status_code == 204, response.data
    else:
        assert response.status_code == 200, response.data
        assert expect in response.data


def test_a_declared_platform_without_files_is_that_platform(api: Any, client: Any,
                                                             catalog: str) -> None:
    # Declared linux-x86_64: the one Linux platform of the product, so latest-linux.yml
    # is that install, not a refusal (and not the 'any' files of nobody's platform).
    declared = [{"id": p} for p in (*OWN, "linux-x86_64")]
    assert api.patch("/api/v1/products/ledgerly",
                     json={"platforms": declared}).status_code == 200
    linux = api.post("/api/v1/products/ledgerly/notices", json={
        "title": "Fonts on Linux", "severity": "major", "affected": "<1.1",
        "platforms": ["linux-x86_64"]})
    assert linux.status_code == 201, linux.json
    response = client.get("/u/ledgerly/electron/latest-linux.yml?version=1.0.0")
    assert response.status_code == 200, response.data
    assert b'version: "1.0.0"' in response.data
    velopack = client.get("/u/ledgerly/velopack/releases.linux.json?localVersion=1.0.0")
    assert velopack.status_code == 200 and velopack.json == {"Assets": []}


def test_a_product_without_platforms_serves_its_any_files(api: Any, client: Any,
                                                          product: str) -> None:
    assert api.patch("/api/v1/products/ledgerly",
                     json={"feed_formats": FEEDS}).status_code == 200
    for n, version in enumerate(("1.0.0", "1.1.0")):
        publish(api, product, version, artifacts=[artifact("any", n, sha512="ab" * 64)])
    response = client.get("/u/ledgerly/electron/latest-linux.yml?version=1.0.0")
    assert response.status_code == 200 and b'version: "1.1.0"' in response.data
    assert b"any-1.zip" in response.data


def test_feed_refusals_reach_the_dashboard_list(app: Any, client: Any, catalog: str) -> None:
    for _ in range(2):
        assert client.get("/u/ledgerly/electron/latest-linux.yml").status_code == 400
    assert client.get("/u/ledgerly/tauri/linux/armv7/1.0.0").status_code == 400
    assert client.get("/u/ledgerly/squirrel/wndows/1.0.0").status_code == 400
    assert client.get("/u/ledgerly/sparkle/appcast.xml?platform=darwin").status_code == 400
    assert client.get("/u/ledgerly/squirrel/bad%20id!/1.0.0").status_code == 400
    assert client.get("/u/ledgerly/tauri/linux/x86_64/1.0.0").status_code == 204
    assert api_check(client, "wndows").status_code == 400
    runtime(app).recorder.flush()
    with app.app_context():
        product_id = runtime(app).catalogs.get("ledgerly").product_id
        rows = rejected_platforms(db.session, product_id,
                                  dt.date.today() - dt.timedelta(days=30))
    assert rows == [("linux", 2), ("wndows", 2), ("darwin", 1), ("linux-armv7", 1)]


def api_check(client: Any, platform: str) -> Any:
    return client.get(f"/api/v1/products/ledgerly/check?version=1.0.0&platform={platform}")

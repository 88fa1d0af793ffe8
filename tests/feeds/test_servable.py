"""Feeds that speak SemVer decide over the releases they can serve (issue 19): publishing
1.1.0.post1 (valid PEP 440, no SemVer form) or a newest release whose file lacks what a
feed needs (sha512, Velopack's SHA1, Tauri's minisign signature) must not stop the
critical 1.1.0 from reaching a 1.0.0 install."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import Api, artifact
from tests.feeds.conftest import FEEDS, payload, release_with_files
from tests.feeds.test_tauri_squirrel import minisign_key, signed

__all__ = ["minisign_key"]  # a fixture, used by name

LINUX = "linux-x86_64"


def offered(client: Any, product: str) -> dict[str, str | None]:
    """What each feed offers a 1.0.0 install on Linux."""
    electron = client.get(f"/u/{product}/electron/latest-linux.yml?version=1.0.0").text
    velopack = client.get(f"/u/{product}/velopack/releases.linux.json?localVersion=1.0.0").json
    tauri = client.get(f"/u/{product}/tauri/linux/x86_64/1.0.0")
    squirrel = client.get(f"/u/{product}/squirrel/{LINUX}/1.0.0")
    full = [a["Version"] for a in velopack["Assets"] if a["Type"] == "Full"]
    return {
        "electron": electron.split("\n", 1)[0].removeprefix("version: ").strip('"'),
        "velopack": full[0] if full else None,
        "tauri": tauri.json["version"] if tauri.status_code == 200 else None,
        "squirrel": squirrel.json["name"] if squirrel.status_code == 200 else None,
    }


def test_each_feed_still_offers_the_release_it_can_serve(
        api: Api, feed_product: str, client: Any, minisign_key: Path) -> None:
    def release(version: str) -> None:
        name = f"ledgerly-{version}-full.nupkg"
        form = {LINUX: {"minisign_signature": signed(minisign_key, payload(version, LINUX),
                                                     f"{version}.bin")}}
        release_with_files(api, feed_product, version, {LINUX: name}, form=form,
                           critical=version == "1.1")

    release("1.0")
    release("1.1")
    assert offered(client, feed_product) == {"electron": "1.1.0", "velopack": "1.1.0",
                                             "tauri": "1.1.0", "squirrel": "1.1"}
    release("1.1.0.post1")  # no SemVer form: the SemVer feeds skip it
    assert offered(client, feed_product) == {"electron": "1.1.0", "velopack": "1.1.0",
                                             "tauri": "1.1.0", "squirrel": "1.1.0.post1"}
    # A newer release whose (external) file has no sha512, SHA1 or minisign signature,
    # published before the electron feed was switched on (uploads are refused without
    # sha512 while it is on).
    formats = FEEDS
    api.patch(f"/api/v1/products/{feed_product}",
              json={"feed_formats": [f for f in formats if f != "electron"]})
    response = api.post(f"/api/v1/products/{feed_product}/releases",
                        json={"version": "1.2", "artifacts": [artifact(LINUX)]})
    assert response.status_code == 201, response.json
    assert api.patch(f"/api/v1/products/{feed_product}",
                     json={"feed_formats": formats}).status_code == 200
    assert offered(client, feed_product) == {"electron": "1.1.0", "velopack": "1.1.0",
                                             "tauri": "1.1.0", "squirrel": "1.2"}
    # The critical flag travels with the release each feed offers.
    velopack = client.get(f"/u/{feed_product}/velopack/releases.linux.json"
                          "?localVersion=1.0.0").json
    assert [a["FileName"] for a in velopack["Assets"] if a["Type"] == "Full"] == [
        "ledgerly-1.1-full.nupkg"]

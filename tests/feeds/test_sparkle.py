"""The Sparkle appcast: well-formed RSS 2.0, parsed by feedparser, each sparkle: element
checked against its meaning in Sparkle's sources (SUAppcastItem / SPUAppcastItemStateResolver:
criticalUpdate's sparkle:version is "critical when the host is older", informationalUpdate's
sparkle:version lists host versions for which the item is information only, channel items
only reach apps that allow that channel), and the enclosure's sparkle:edSignature verifies
with the product's Ed25519 key over the downloaded file."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import feedparser
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask.testing import FlaskClient

from tests.conftest import Api
from tests.feeds.conftest import payload, release_with_files

NS = {"sparkle": "http://www.andymatuschak.org/xml-namespaces/sparkle"}
MAC = {"macos-arm64": "Ledgerly-{v}.zip"}


def mac(version: str) -> dict[str, str]:
    return {p: n.format(v=version) for p, n in MAC.items()}


def items(client: FlaskClient, url: str) -> list[ET.Element]:
    response = client.get(url)
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/rss+xml"
    root = ET.fromstring(response.data)  # well-formed
    assert root.tag == "rss" and root.get("version") == "2.0"
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.bozo_exception
    return root.findall("./channel/item")


def text(item: ET.Element, name: str) -> str | None:
    found = item.find(name, NS)
    return found.text if found is not None else None


def test_appcast_lists_what_an_unknown_install_may_take(api: Api, feed_product: str,
                                                         client: FlaskClient) -> None:
    key = Ed25519PrivateKey.generate()
    public = base64.b64encode(key.public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)).decode()
    assert api.patch(f"/api/v1/products/{feed_product}", json={
        "signing_keys": [public], "minimum_supported_version": "1.0"}).status_code == 200

    def sig(version: str) -> dict[str, dict[str, str]]:
        signature = key.sign(payload(version, "macos-arm64"))
        return {"macos-arm64": {"signature": base64.b64encode(signature).decode()}}

    release_with_files(api, feed_product, "1.0", mac("1.0"), form=sig("1.0"))
    release_with_files(api, feed_product, "1.1", mac("1.1"), form=sig("1.1"), notes="**Fast**")
    release_with_files(api, feed_product, "1.2", mac("1.2"), form=sig("1.2"), critical=True)
    release_with_files(api, feed_product, "2.0", mac("2.0"), form=sig("2.0"),
                       min_upgrade_from="1.2")
    release_with_files(api, feed_product, "2.1b1", mac("2.1b1"), form=sig("2.1b1"),
                       channel="beta")
    release_with_files(api, feed_product, "2.2", mac("2.2"), form=sig("2.2"),
                       rollout_percent=10)
    release_with_files(api, feed_product, "1.3", mac("1.3"), form=sig("1.3"))
    api.patch(f"/api/v1/products/{feed_product}/releases/1.3",
              json={"yanked": True, "yank_reason": "bad"})

    stable = items(client, f"/u/{feed_product}/sparkle/appcast.xml")
    versions = [text(i, "sparkle:version") for i in stable]
    # Yanked 1.3 and the 10 % rollout of 2.2 are left out; the beta only on its channel.
    assert versions == ["2.0", "1.2", "1.1", "1.0"]
    by_version = dict(zip(versions, stable, strict=True))

    one_one = by_version["1.1"]
    assert text(one_one, "sparkle:shortVersionString") == "1.1"
    assert text(one_one, "sparkle:releaseNotesLink").endswith("/p/ledgerly/releases/1.1")
    assert "<strong>Fast</strong>" in (text(one_one, "description") or "")
    assert one_one.find("pubDate") is not None
    # Critical only for hosts below the minimum supported version.
    critical = one_one.find("sparkle:criticalUpdate", NS)
    assert critical is not None and critical.get(f"{{{NS['sparkle']}}}version") == "1.0"
    # A critical release is critical from every version: no sparkle:version attribute.
    critical = by_version["1.2"].find("sparkle:criticalUpdate", NS)
    assert critical is not None and critical.get(f"{{{NS['sparkle']}}}version") is None
    # The stepping stone: hosts below 1.2 cannot take 2.0 (nor auto-install it).
    assert text(by_version["2.0"], "sparkle:minimumUpdateVersion") == "1.2"
    assert text(by_version["2.0"], "sparkle:minimumAutoupdateVersion") == "1.2"
    assert by_version["2.0"].find("sparkle:channel", NS) is None

    enclosure = by_version["1.1"].find("enclosure")
    assert enclosure is not None
    assert enclosure.get("length") == str(len(payload("1.1", "macos-arm64")))
    assert enclosure.get(f"{{{NS['sparkle']}}}os") == "macos"
    downloaded = client.get(enclosure.get("url", "").replace("http://localhost", ""))
    assert downloaded.status_code == 200
    signature = base64.b64decode(enclosure.get(f"{{{NS['sparkle']}}}edSignature", ""))
    Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(
        signature, downloaded.data)  # raises if it does not verify

    beta = items(client, f"/u/{feed_product}/sparkle/appcast.xml?channel=beta")
    beta_item = next(i for i in beta if text(i, "sparkle:version") == "2.1b1")
    assert text(beta_item, "sparkle:channel") == "beta"


def test_per_install_appcast_carries_the_decision_and_notices(
        api: Api, feed_product: str, client: FlaskClient) -> None:
    release_with_files(api, feed_product, "1.0", mac("1.0"))
    release_with_files(api, feed_product, "1.1", mac("1.1"))
    api.patch(f"/api/v1/products/{feed_product}/releases/1.1",
              json={"yanked": True, "yank_reason": "data loss"})
    moved = items(client, f"/u/{feed_product}/sparkle/appcast.xml?version=1.1")
    assert [text(i, "sparkle:version") for i in moved] == ["1.0"]
    assert moved[0].find("sparkle:criticalUpdate", NS) is not None

    response = api.post(f"/api/v1/products/{feed_product}/notices", json={
        "title": "Exports lose the last row", "summary": "CSV exports drop a row.",
        "severity": "major", "affected": "==1.0", "fixed_in": "1.2"})
    assert response.status_code == 201, response.json
    notice_id = response.json["id"]
    info = items(client, f"/u/{feed_product}/sparkle/appcast.xml?version=1.0")
    assert len(info) == 1
    item = info[0]
    # Information only for this host version; links the notice page.
    versions = item.find("sparkle:informationalUpdate", NS)
    assert versions is not None
    assert [v.text for v in versions.findall("sparkle:version", NS)] == ["1.0"]
    assert item.find("enclosure") is None
    assert (text(item, "link") or "").endswith(f"/p/ledgerly/known-issues/{notice_id}")
    assert text(item, "sparkle:version") == "1.2"

    release_with_files(api, feed_product, "1.2", mac("1.2"), notes="Fixes exports.")
    fixed = items(client, f"/u/{feed_product}/sparkle/appcast.xml?version=1.0")
    assert [text(i, "sparkle:version") for i in fixed] == ["1.2"]
    description = text(fixed[0], "description") or ""
    assert "Exports lose the last row" in description and "this update fixes it" in description


def test_emergency_stop_empties_the_appcast(api: Api, feed_product: str,
                                            client: FlaskClient) -> None:
    release_with_files(api, feed_product, "1.0", mac("1.0"))
    api.post(f"/api/v1/products/{feed_product}/channels/stable/stop", json={"reason": "x"})
    assert items(client, f"/u/{feed_product}/sparkle/appcast.xml") == []



"""Lost updates (issue 8.5): concurrent edits all apply, If-Match guards against editing
from a stale read, and every editable resource answers a versioned ETag. Races run on
SQLite and, with UPDATESRV_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask

from .conftest import Api, artifact, publish

NOTICE_URL = "/api/v1/products/ledgerly/notices"


def _notice(api: Api) -> dict[str, Any]:
    response = api.post(NOTICE_URL, json={"title": "Crash on start", "severity": "major",
                                          "affected": ">=1.0"})
    assert response.status_code == 201, response.json
    assert response.headers["ETag"]
    return dict(response.json)


def _parallel(app: Flask, token: str, calls: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, method: str, url: str, body: dict[str, Any]) -> None:
        client = Api(app.test_client(), token)
        barrier.wait()
        results[i] = getattr(client, method)(url, json=body)

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_ten_concurrent_patches_of_one_notice_all_count(app: Flask, api: Api,
                                                        product: str) -> None:
    notice = _notice(api)
    url = f"{NOTICE_URL}/{notice['id']}"
    results = _parallel(app, str(api.token), [
        ("patch", url, {"title": f"Crash on start (edit {i})"}) for i in range(10)])
    assert [r.status_code for r in results] == [200] * 10, [r.json for r in results]
    final = api.get(url).json
    assert final["revision"] == 11
    assert final["title"] in {f"Crash on start (edit {i})" for i in range(10)}
    etag = api.get(url).headers["ETag"]
    assert etag.startswith('"11-')


def test_concurrent_messages_all_land_in_the_timeline(app: Flask, api: Api,
                                                      product: str) -> None:
    notice = _notice(api)
    url = f"{NOTICE_URL}/{notice['id']}"
    results = _parallel(app, str(api.token), [
        ("patch", url, {"message": f"update {i}"}) for i in range(6)])
    assert all(r.status_code == 200 for r in results)
    timeline = api.get(url).json["timeline"]
    assert sorted(e["message"] for e in timeline[1:]) == [f"update {i}" for i in range(6)]


def test_if_match_refuses_an_edit_from_a_stale_read(api: Api, product: str) -> None:
    notice = _notice(api)
    url = f"{NOTICE_URL}/{notice['id']}"
    first_read = api.get(url)
    etag = first_read.headers["ETag"]
    # Editor A saves from that read: fine, and gets the new ETag back.
    saved = api.patch(url, json={"status": "confirmed"}, headers={"If-Match": etag})
    assert saved.status_code == 200
    assert saved.headers["ETag"] != etag
    # Editor B, who read at the same time, would overwrite A's change: 412.
    stale = api.patch(url, json={"status": "investigating", "title": "B's title"},
                      headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.mimetype == "application/problem+json"
    assert stale.json["current_version"] == 2
    assert "GET it again" in stale.json["detail"]
    current = api.get(url).json
    assert current["status"] == "confirmed" and current["title"] == "Crash on start"
    # The new ETag works; so do `*` and no If-Match at all (scripts keep working).
    assert api.patch(url, json={"title": "B's title"},
                     headers={"If-Match": saved.headers["ETag"]}).status_code == 200
    assert api.patch(url, json={"severity": "minor"}, headers={"If-Match": "*"}).status_code == 200
    assert api.patch(url, json={"severity": "info"}).status_code == 200
    # A weak or foreign tag never matches.
    current_etag = api.get(url).headers["ETag"]
    assert api.patch(url, json={"severity": "major"},
                     headers={"If-Match": f"W/{current_etag}"}).status_code == 412
    assert api.patch(url, json={"severity": "major"},
                     headers={"If-Match": '"garbage"'}).status_code == 412


def test_product_etag_and_if_match(api: Api, product: str) -> None:
    url = "/api/v1/products/ledgerly"
    etag = api.client.get(url).headers["ETag"]
    assert etag.startswith('"1-')
    changed = api.patch(url, json={"name": "Ledgerly Pro"}, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"].startswith('"2-')
    stale = api.patch(url, json={"name": "Ledgerly Classic"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert api.client.get(url).json["name"] == "Ledgerly Pro"
    # A change to the signing keys is a change of the product.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from updatesrv.publish import public_key_b64

    key = public_key_b64(Ed25519PrivateKey.generate())
    before = api.client.get(url).headers["ETag"]
    assert api.patch(url, json={"signing_keys": [key]}).status_code == 200
    assert api.patch(url, json={"name": "x"}, headers={"If-Match": before}).status_code == 412


def test_release_etag_follows_its_files(api: Api, product: str) -> None:
    publish(api, product, "1.0", draft=True, artifacts=[])
    url = "/api/v1/products/ledgerly/releases/1.0"
    etag = api.get(url).headers["ETag"]
    added = api.post(f"{url}/artifacts", json=artifact("macos-arm64", 7))
    assert added.status_code == 201
    stale = api.patch(url, json={"notes": "from a stale page"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    fresh = api.get(url).headers["ETag"]
    published = api.patch(url, json={"draft": False}, headers={"If-Match": fresh})
    assert published.status_code == 200, published.json


def test_concurrent_release_patches_keep_every_field(app: Flask, api: Api,
                                                     product: str) -> None:
    publish(api, product, "1.0")
    url = "/api/v1/products/ledgerly/releases/1.0"
    results = _parallel(app, str(api.token), [
        ("patch", url, {"notes": "new notes"}), ("patch", url, {"critical": True}),
        ("patch", url, {"rollout_percent": 40})])
    assert all(r.status_code == 200 for r in results), [r.json for r in results]
    release = api.get(url)
    assert release.json["notes"] == "new notes" and release.json["critical"] is True
    assert release.json["rollout_percent"] == 40
    assert release.headers["ETag"].startswith('"4-')


def test_a_malformed_if_match_is_a_precondition_that_matches_nothing(api, product):
    """Found by schemathesis: a header that parses to a missing tag was a 500."""
    from updatesrv.versioning import parse_if_match

    assert parse_if_match([None, "", "3-abc"], False) == {3}  # type: ignore[list-item]
    response = api.patch("/api/v1/products/ledgerly", json={"name": "X"},
                         headers={"If-Match": 'W/""'})
    assert response.status_code in (200, 412)

from __future__ import annotations

import base64
import hashlib
import io
import threading

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..conftest import Api, artifact, make_vendor, publish


def check(api: Api, product: str, version: str, **params):
    query = "&".join(f"{k}={v}" for k, v in {"version": version, **params}.items())
    return api.client.get(f"/api/v1/products/{product}/check?{query}")


def test_publish_and_check(api, product):
    publish(api, product, "2.0.0", notes="Hello **world**")
    publish(api, product, "2.0.1", critical=True)
    response = check(api, product, "2.0.0", platform="windows-x86_64")
    assert response.status_code == 200
    body = response.json
    assert body["installed"] == {"version": "2.0.0", "known": True, "yanked": False,
                                 "supported": True}
    update = body["update"]
    assert update["version"] == "2.0.1" and update["critical"] is True
    assert update["notes_url"] == "http://localhost/p/ledgerly/releases/2.0.1"
    assert update["download"] == {"url": "https://cdn.example/windows-x86_64-1.zip",
                                  "size": 1001, "sha256": f"{1:064x}", "signature": None}
    assert update["published_at"].endswith("Z")
    assert body["notices"] == [] and body["check_again_after"] == 86400
    assert response.headers["Cache-Control"].startswith("public, max-age=")


def test_check_etag_and_304(api, product):
    publish(api, product, "1.0")
    url = "/api/v1/products/ledgerly/check?version=1.0&platform=windows-x86_64"
    etag = api.client.get(url).headers["ETag"]
    again = api.client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    publish(api, product, "1.1")
    changed = api.client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json["update"]["version"] == "1.1"


def test_base_url_setting_makes_absolute_urls(app, api, product):
    app.config["BASE_URL"] = "https://updates.example.com/"
    publish(api, product, "1.0")
    body = check(api, product, "0.9", platform="windows-x86_64").json
    assert body["update"]["notes_url"] == "https://updates.example.com/p/ledgerly/releases/1.0"


@pytest.mark.parametrize(("query", "status", "field"), [
    ("version=banana", 400, "version"),
    ("", 400, "version"),
    ("version=1.0&channel=weekly", 400, "channel"),
    ("version=1.0&platform=Windows%20X", 400, "platform"),
    ("version=1.0&install_id=%3Cscript%3E", 400, "install_id"),
])
def test_check_bad_input_is_problem_json(api, product, query, status, field):
    response = api.client.get(f"/api/v1/products/ledgerly/check?{query}")
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == status and response.json["field"] == field
    assert response.json["detail"]


def test_unknown_product_is_404_problem(client):
    response = client.get("/api/v1/products/nope/check?version=1.0")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_unknown_api_route_and_wrong_method_are_problem_json(client):
    assert client.get("/api/v1/nothing").mimetype == "application/problem+json"
    response = client.delete("/api/v1/products")
    assert response.status_code == 405 and response.mimetype == "application/problem+json"


def test_invalid_version_on_publish(api, product):
    response = api.post("/api/v1/products/ledgerly/releases",
                        json={"version": "2.0-final!", "artifacts": [artifact()]})
    assert response.status_code == 400
    assert "PEP 440" in response.json["detail"]


@pytest.mark.parametrize("body", [
    {"version": "1.0", "artifacts": "nope"},
    {"version": "1.0", "artifacts": [{"platform": "win", "url": "ftp://x", "size": 1,
                                      "sha256": "0" * 64}]},
    {"version": "1.0", "artifacts": [{"platform": "win", "url": "https://x/y", "size": -1,
                                      "sha256": "0" * 64}]},
    {"version": "1.0", "artifacts": [{"platform": "win", "url": "https://x/y", "size": 1,
                                      "sha256": "xyz"}]},
    {"version": "1.0", "artifacts": [artifact(), artifact()]},
    {"version": "1.0", "artifacts": [artifact()], "critical": "yes"},
    {"version": "1.0", "artifacts": [artifact()], "channel": "weekly"},
    {"version": "1.0", "artifacts": [artifact()], "colour": "red"},
    {"version": "1.0"},
    {"version": "1.0", "artifacts": [artifact()], "notes": "x" * 100_001},
    {"version": "1.0", "artifacts": [artifact()], "publish_at": "tomorrow"},
    {"version": ["1.0"]},
])
def test_bad_release_bodies(api, product, body):
    response = api.post("/api/v1/products/ledgerly/releases", json=body)
    assert response.status_code == 400, response.json
    assert response.mimetype == "application/problem+json"


def test_non_json_body(api, product):
    response = api.post("/api/v1/products/ledgerly/releases", data="version=1.0")
    assert response.status_code == 400
    response = api.post("/api/v1/products/ledgerly/releases", data="[1,",
                        content_type="application/json")
    assert response.status_code == 400


def test_duplicate_version_is_409_with_pep440_equality(api, product):
    publish(api, product, "2.0", notes="first")
    response = api.post("/api/v1/products/ledgerly/releases",
                        json={"version": "2.0.0", "notes": "second", "artifacts": [artifact()]})
    assert response.status_code == 409
    assert "same version" in response.json["detail"]


def test_identical_retry_is_200(api, product):
    body = {"version": "2.0", "notes": "n", "artifacts": [artifact()]}
    first = api.post("/api/v1/products/ledgerly/releases", json=body)
    assert first.status_code == 201
    retry = api.post("/api/v1/products/ledgerly/releases", json=body)
    assert retry.status_code == 200
    assert retry.json == first.json


def test_concurrent_creates_of_one_version(app, api, product):
    """Two CI jobs racing: one creates, the other gets 200 (identical) — never a 500."""
    body = {"version": "3.0", "notes": "same", "artifacts": [artifact()]}
    results: list[int] = []
    barrier = threading.Barrier(4)

    def worker():
        barrier.wait()
        results.append(app.test_client().post(
            "/api/v1/products/ledgerly/releases", json=body,
            headers={"Authorization": f"Bearer {api.token}"}).status_code)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 200, 200, 201]


def test_drafts_are_invisible_until_published(api, product):
    publish(api, product, "1.0")
    api.post("/api/v1/products/ledgerly/releases",
             json={"version": "1.1", "draft": True, "artifacts": [artifact()]})
    assert check(api, product, "1.0", platform="windows-x86_64").json["update"] is None
    assert api.client.get("/api/v1/products/ledgerly").json["latest"]["stable"] == "1.0"
    public = api.client.get("/api/v1/products/ledgerly/releases").json
    assert [r["version"] for r in public["items"]] == ["1.0"]
    assert api.client.get("/p/ledgerly/releases/1.1").status_code == 404
    assert "1.1" not in api.client.get("/p/ledgerly/releases/").get_data(as_text=True)
    assert api.client.get("/api/v1/products/ledgerly/releases/1.1").status_code == 404
    # ...but its vendor sees it.
    assert api.get("/api/v1/products/ledgerly/releases/1.1").json["draft"] is True
    assert len(api.get("/api/v1/products/ledgerly/releases").json["items"]) == 2

    response = api.patch("/api/v1/products/ledgerly/releases/1.1", json={"draft": False})
    assert response.status_code == 200 and response.json["published_at"]
    assert check(api, product, "1.0", platform="windows-x86_64").json["update"]["version"] == "1.1"
    assert api.client.get("/p/ledgerly/releases/1.1").status_code == 200


def test_publishing_needs_an_artifact(api, product):
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    response = api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": False})
    assert response.status_code == 400
    assert api.patch("/api/v1/products/ledgerly/releases/1.0",
                     json={"draft": True}).status_code == 200


def test_published_release_cannot_return_to_draft(api, product):
    publish(api, product, "1.0")
    response = api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": True})
    assert response.status_code == 400 and "yank" in response.json["detail"]


def test_yank_and_unyank(api, product):
    publish(api, product, "1.0")
    publish(api, product, "1.1")
    response = api.patch("/api/v1/products/ledgerly/releases/1.1",
                         json={"yanked": True, "yank_reason": "corrupts invoices"})
    assert response.json["yanked"] is True and response.json["yank_reason"] == "corrupts invoices"
    body = check(api, product, "1.1", platform="windows-x86_64").json
    assert body["installed"]["yanked"] is True
    assert body["update"]["version"] == "1.0" and body["update"]["critical"] is True
    assert check(api, product, "1.0", platform="windows-x86_64").json["update"] is None
    api.patch("/api/v1/products/ledgerly/releases/1.1", json={"yanked": False})
    assert check(api, product, "1.0", platform="windows-x86_64").json["update"]["version"] == "1.1"


def test_minimum_supported_version(api, product):
    publish(api, product, "1.0")
    publish(api, product, "2.0")
    api.patch("/api/v1/products/ledgerly", json={"minimum_supported_version": "2.0"})
    body = check(api, product, "1.0", platform="windows-x86_64").json
    assert body["installed"]["supported"] is False
    assert body["update"]["version"] == "2.0" and body["update"]["critical"] is True
    bad = api.patch("/api/v1/products/ledgerly", json={"minimum_supported_version": "two"})
    assert bad.status_code == 400


def test_published_artifacts_are_immutable(api, product):
    publish(api, product, "1.0")
    url = "/api/v1/products/ledgerly/releases/1.0/artifacts"
    swapped = api.post(url, json=artifact(n=2))
    assert swapped.status_code == 409
    same = api.post(url, json=artifact())
    assert same.status_code == 200
    added = api.post(url, json=artifact("macos-arm64", 3))
    assert added.status_code == 201
    upload = api.post(url, data={"platform": "windows-x86_64",
                                 "file": (io.BytesIO(b"evil"), "x.exe")})
    assert upload.status_code == 409
    release = api.get("/api/v1/products/ledgerly/releases/1.0").json
    assert {a["platform"]: a["sha256"] for a in release["artifacts"]} == {
        "windows-x86_64": f"{1:064x}", "macos-arm64": f"{3:064x}"}


def test_draft_artifacts_can_be_replaced(api, product):
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    url = "/api/v1/products/ledgerly/releases/1.0/artifacts"
    assert api.post(url, data={"platform": "any", "file": (io.BytesIO(b"one"), "a.bin")}
                    ).status_code == 201
    assert api.post(url, data={"platform": "any", "file": (io.BytesIO(b"two"), "a.bin")}
                    ).status_code == 201
    release = api.get("/api/v1/products/ledgerly/releases/1.0").json
    assert [a["sha256"] for a in release["artifacts"]] == [hashlib.sha256(b"two").hexdigest()]


def test_upload_integrity_and_range(app, api, product):
    payload = bytes(range(256)) * 4000
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    response = api.post("/api/v1/products/ledgerly/releases/1.0/artifacts",
                        data={"platform": "linux-x86_64",
                              "file": (io.BytesIO(payload), "ledgerly 1.0.tar.gz")})
    assert response.status_code == 201
    meta = response.json
    assert meta["size"] == len(payload)
    assert meta["sha256"] == hashlib.sha256(payload).hexdigest()
    path = meta["url"].removeprefix("http://localhost")
    # Hidden while the release is a draft.
    assert api.client.get(path).status_code == 404
    api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": False})
    served = api.client.get(path)
    assert served.status_code == 200 and served.data == payload
    assert hashlib.sha256(served.data).hexdigest() == meta["sha256"]
    assert "attachment" in served.headers["Content-Disposition"]
    part = api.client.get(path, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.data == payload[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(payload)}"


def test_upload_size_limit(app, api, product):
    app.config["MAX_UPLOAD_BYTES"] = 100
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    response = api.post("/api/v1/products/ledgerly/releases/1.0/artifacts",
                        data={"platform": "any", "file": (io.BytesIO(b"x" * 101), "a.bin")})
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    store = app.extensions["updatesrv"].store
    assert not any(p.is_file() for p in store.root.rglob("*"))


def _keypair():
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    return key, base64.b64encode(public).decode()


def test_signed_uploads(api, product):
    _old_key, old_public = _keypair()
    key, public = _keypair()
    response = api.patch("/api/v1/products/ledgerly", json={"signing_keys": [old_public, public]})
    assert response.status_code == 200 and response.json["signing_keys"] == [old_public, public]
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    url = "/api/v1/products/ledgerly/releases/1.0/artifacts"
    payload = b"signed bytes" * 100
    unsigned = api.post(url, data={"platform": "any", "file": (io.BytesIO(payload), "a.bin")})
    assert unsigned.status_code == 400 and "signature" in unsigned.json["detail"]
    wrong = base64.b64encode(key.sign(b"other bytes")).decode()
    bad = api.post(url, data={"platform": "any", "signature": wrong,
                              "file": (io.BytesIO(payload), "a.bin")})
    assert bad.status_code == 400 and "does not verify" in bad.json["detail"]
    garbage = api.post(url, data={"platform": "any", "signature": "bm90IGEgc2ln",
                                  "file": (io.BytesIO(payload), "a.bin")})
    assert garbage.status_code == 400
    good = base64.b64encode(key.sign(payload)).decode()
    ok = api.post(url, data={"platform": "any", "signature": good,
                             "file": (io.BytesIO(payload), "a.bin")})
    assert ok.status_code == 201 and ok.json["signature"] == good
    # Retire the old key; the new one still verifies.
    api.patch("/api/v1/products/ledgerly", json={"signing_keys": [public]})
    ok2 = api.post(url, data={"platform": "linux-x86_64",
                              "signature": base64.b64encode(key.sign(payload)).decode(),
                              "file": (io.BytesIO(payload), "a.bin")})
    assert ok2.status_code == 201
    # External URLs must carry a (stored, client-checked) signature.
    ext = api.post(url, json=artifact("macos-arm64"))
    assert ext.status_code == 400
    ext = api.post(url, json=artifact("macos-arm64", signature=good))
    assert ext.status_code == 201


def test_bad_signing_keys(api, product):
    for keys in (["abc"], "notalist", [base64.b64encode(b"x" * 31).decode()]):
        response = api.patch("/api/v1/products/ledgerly", json={"signing_keys": keys})
        assert response.status_code == 400


def test_token_scoping_across_vendors(app, api, product):
    publish(api, product, "1.0")
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.1", "draft": True})
    _, other_token = make_vendor(app, "globex")
    other = Api(api.client, other_token)
    for method, url, kwargs in [
        ("patch", "/api/v1/products/ledgerly", {"json": {"name": "pwned"}}),
        ("post", "/api/v1/products/ledgerly/releases", {"json": {"version": "9.0",
                                                                 "artifacts": [artifact()]}}),
        ("patch", "/api/v1/products/ledgerly/releases/1.0", {"json": {"yanked": True}}),
        ("post", "/api/v1/products/ledgerly/releases/1.0/artifacts",
         {"json": artifact("macos-arm64")}),
        ("get", "/api/v1/products/ledgerly/stats", {}),
    ]:
        response = getattr(other, method)(url, **kwargs)
        assert response.status_code == 404, (method, url)
        assert "ledgerly" not in str(response.json.get("detail", "")).replace(
            "no product 'ledgerly'", "")
    assert other.get("/api/v1/products/ledgerly/releases/1.1").status_code == 404
    # Another vendor cannot take the slug either.
    assert other.post("/api/v1/products", json={"slug": "ledgerly", "name": "x"}
                      ).status_code == 409


def test_missing_and_bad_tokens(client, product):
    assert client.post("/api/v1/products", json={}).status_code == 401
    response = client.post("/api/v1/products", json={},
                           headers={"Authorization": "Bearer us_nope"})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


def test_roles(app, client, product):
    _, viewer = make_vendor(app, "initech", role="viewer")
    viewer_api = Api(client, viewer)
    assert viewer_api.post("/api/v1/products", json={"slug": "tps", "name": "TPS"}
                           ).status_code == 403
    _, publisher = make_vendor(app, "hooli", role="publisher")
    pub = Api(client, publisher)
    assert pub.post("/api/v1/products", json={"slug": "nucleus", "name": "N"}).status_code == 403


def test_audit_log_records_changes(api, product):
    publish(api, product, "1.0")
    api.patch("/api/v1/products/ledgerly/releases/1.0", json={"yanked": True,
                                                              "yank_reason": "bad"})
    events = api.get("/api/v1/audit").json["items"]
    actions = [e["action"] for e in events]
    assert actions[:3] == ["release.yank", "release.create", "product.create"]
    yank = events[0]
    assert yank["actor"].startswith("token:test")
    assert yank["before"] == {"yanked": False, "yank_reason": None}
    assert yank["after"] == {"yanked": True, "yank_reason": "bad"}


def test_public_release_listing_is_paginated(api, product):
    for i in range(25):
        publish(api, product, f"1.{i}")
    page1 = api.client.get("/api/v1/products/ledgerly/releases?per_page=10").json
    assert page1["total"] == 25 and page1["pages"] == 3
    assert page1["items"][0]["version"] == "1.24"
    page3 = api.client.get(page1["next"].replace("http://localhost", "").replace(
        "page=2", "page=3")).json
    assert [r["version"] for r in page3["items"]] == ["1.4", "1.3", "1.2", "1.1", "1.0"]
    assert api.client.get("/api/v1/products/ledgerly/releases?per_page=1000").status_code == 400


def test_public_release_page_renders_markdown_safely(api, product):
    publish(api, product, "1.0",
            notes="# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**")
    html = api.client.get("/p/ledgerly/releases/1.0").get_data(as_text=True)
    assert "<strong>bold</strong>" in html
    from ..web.test_public_pages import active_content

    assert active_content(html) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, inert

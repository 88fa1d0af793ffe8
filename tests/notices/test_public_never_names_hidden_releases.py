"""A safeguard hold may name a draft or scheduled release: no public answer (API, pages,
feeds, OSV) may name it (issue 8.14)."""

from __future__ import annotations

from ..conftest import artifact, publish

SECRET = "7.7.7"


def test_hold_release_of_a_draft_is_never_public(api, product, client):
    publish(api, product, "2.0")
    api.post("/api/v1/products/ledgerly/releases", json={"version": SECRET, "draft": True})
    api.post("/api/v1/products/ledgerly/releases",
             json={"version": "7.7.8", "artifacts": [artifact()],
                   "publish_at": "2099-01-01T00:00:00Z"})
    created = api.post("/api/v1/products/ledgerly/notices",
                       json={"title": "Crash", "severity": "major", "affected": ">=2.0",
                             "hold_release": SECRET})
    assert created.status_code == 201 and created.json["hold_release"] == SECRET
    notice_id = created.json["id"]
    public_urls = [
        f"/api/v1/products/ledgerly/notices/{notice_id}",
        "/api/v1/products/ledgerly/notices", "/api/v1/products/ledgerly/notices?version=2.0",
        "/api/v1/products/ledgerly/check?version=2.0", "/api/v1/products/ledgerly",
        "/api/v1/products/ledgerly/releases", "/p/ledgerly/", "/p/ledgerly/releases/",
        "/p/ledgerly/known-issues/", f"/p/ledgerly/known-issues/{notice_id}",
        f"/p/ledgerly/known-issues/{notice_id}.osv.json", "/p/ledgerly/known-issues.osv.json",
        "/p/ledgerly/known-issues.atom", "/p/ledgerly/releases.atom",
        "/p/ledgerly/known-issues/?version=2.0",
    ]
    for url in public_urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert SECRET not in response.text and "7.7.8" not in response.text, url
        assert "hold_release" not in response.text, url
    # The owner still reads it, uncached.
    owner = api.get(f"/api/v1/products/ledgerly/notices/{notice_id}")
    assert owner.json["hold_release"] == SECRET
    assert owner.headers["Cache-Control"] == "no-store"

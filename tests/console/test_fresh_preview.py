"""The vendor's own pages read what they just wrote, even when the public check may serve a
catalog up to CATALOG_REVALIDATE_SECONDS old."""

from __future__ import annotations

from updatesrv import runtime

from ..conftest import Api, make_app, make_vendor, publish
from .conftest import login


def test_preview_after_post_update_is_never_stale(tmp_path, pg_schema, monkeypatch):
    monkeypatch.setenv("UPDATESRV_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, pg_schema, CATALOG_REVALIDATE_SECONDS=600,
                   WTF_CSRF_ENABLED=False)
    try:
        client = app.test_client()
        _, token = make_vendor(app)
        api = Api(client, token)
        api.post("/api/v1/products", json={"slug": "ledgerly", "name": "Ledgerly"})
        publish(api, "ledgerly", "2.0.0")
        notice = api.post("/api/v1/products/ledgerly/notices", json={
            "title": "Licence", "severity": "major", "affected": "2.0.0"}).json
        assert login(client, "owner@acme.example").status_code == 302
        url = f"/console/acme/p/ledgerly/notices/{notice['id']}"
        assert "(investigating)" in client.get(url).text  # the catalog is now cached
        posted = client.post(url + "/update", data={
            "upd-status": "workaround", "upd-message": "Restart it."})
        assert posted.status_code == 302
        assert "(workaround)" in client.get(url).text
        # The public check may still answer from its cache for a moment, by design.
        cached = runtime(app).catalogs.get("ledgerly")
        assert cached is not None
    finally:
        runtime(app).recorder.stop()


def test_draft_preview_follows_each_edit(owner, api, product):
    publish(api, product, "2.0.0")
    draft = api.post("/api/v1/products/ledgerly/notices", json={
        "title": "Licence", "severity": "major", "affected": "2.0.0", "draft": True}).json
    url = f"/console/acme/p/ledgerly/notices/{draft['id']}"
    assert "[Major] Licence" in owner.get(url).text
    api.patch(f"/api/v1/products/ledgerly/notices/{draft['id']}",
              json={"title": "Licence expired"})
    assert "[Major] Licence expired" in owner.get(url).text

"""With DOWNLOADS_ACCEL_REDIRECT set, the web process decides and names the file; the bytes
are nginx's to send (tests/deploy runs it through a real nginx)."""

from __future__ import annotations

import io


def _upload(api, payload: bytes, name: str = "ledgerly 1.0.tar.gz",
            publish: bool = True) -> str:
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    meta = api.post("/api/v1/products/ledgerly/releases/1.0/artifacts",
                    data={"platform": "linux-x86_64", "file": (io.BytesIO(payload), name)}).json
    if publish:
        api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": False})
    return str(meta["url"]).removeprefix("http://localhost")


def test_download_is_handed_to_nginx(app, api, product):
    app.config["DOWNLOADS_ACCEL_REDIRECT"] = "/_updatesrv_artifacts/"
    path = _upload(api, b"payload bytes")
    answer = api.client.get(path)
    assert answer.status_code == 200 and answer.data == b""
    target = answer.headers["X-Accel-Redirect"]
    assert target.startswith("/_updatesrv_artifacts/ledgerly/")
    assert target.endswith("/linux-x86_64/" + target.rsplit("/", 2)[1] + "/ledgerly_1.0.tar.gz")
    assert answer.headers["Content-Disposition"].startswith(
        'attachment; filename="ledgerly_1.0.tar.gz"')
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.headers["Digest"].startswith("sha-256=")


def test_hidden_or_missing_files_are_not_handed_over(app, api, product, tmp_path):
    app.config["DOWNLOADS_ACCEL_REDIRECT"] = "/_updatesrv_artifacts/"
    path = _upload(api, b"payload bytes", publish=False)
    hidden = api.client.get(path)
    assert hidden.status_code == 404 and "X-Accel-Redirect" not in hidden.headers
    api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": False})
    for stored in (tmp_path / "artifacts").rglob("*.tar.gz"):
        stored.unlink()
    missing = api.client.get(path)
    assert missing.status_code == 404 and "X-Accel-Redirect" not in missing.headers
    assert missing.headers["Content-Type"] == "application/problem+json"

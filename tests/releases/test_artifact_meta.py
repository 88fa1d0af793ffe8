"""Artifact kinds, digests and minisign signatures: uploads get sha512/sha1 computed,
external URLs state them, bad values get a clear error."""

from __future__ import annotations

import base64
import hashlib
import io

from tests.conftest import Api, artifact

MINISIG = (
    "untrusted comment: signature from minisign secret key\n"
    + base64.b64encode(b"ED" + b"k" * 8 + b"s" * 64).decode() + "\n"
    "trusted comment: timestamp:1700000000\tfile:app.tar.gz\n"
    + base64.b64encode(b"g" * 64).decode() + "\n")


def test_upload_computes_sha512_and_sha1(api: Api, product: str) -> None:
    api.post(f"/api/v1/products/{product}/releases", json={"version": "1.0", "draft": True})
    data = b"x" * 5000
    response = api.post(f"/api/v1/products/{product}/releases/1.0/artifacts",
                        data={"platform": "linux-x86_64", "kind": "full",
                              "minisign_signature": MINISIG,
                              "file": (io.BytesIO(data), "app.tar.gz")},
                        content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["sha512"] == hashlib.sha512(data).hexdigest()
    assert body["sha1"] == hashlib.sha1(data).hexdigest()
    assert body["kind"] == "full"
    # Stored in the form Tauri reads: base64 of the .minisig text.
    assert base64.b64decode(body["minisign_signature"]).decode() == MINISIG


def test_a_delta_and_a_full_file_share_a_platform(api: Api, product: str) -> None:
    response = api.post(f"/api/v1/products/{product}/releases", json={
        "version": "1.0", "artifacts": [
            artifact("windows-x86_64", 1),
            artifact("windows-x86_64", 2, kind="delta", sha1="a" * 40)]})
    assert response.status_code == 201, response.json
    kinds = sorted(a["kind"] for a in response.json["artifacts"])
    assert kinds == ["delta", "full"]


def test_bad_values_get_clear_errors(api: Api, product: str) -> None:
    for extra, field in (({"kind": "patch"}, "kind"), ({"sha512": "zz"}, "sha512"),
                         ({"sha1": "1234"}, "sha1"),
                         ({"minisign_signature": "not a signature"}, "minisign_signature")):
        response = api.post(f"/api/v1/products/{product}/releases", json={
            "version": "1.0", "artifacts": [artifact(**extra)]})
        assert response.status_code == 400, response.json
        assert field in response.json["detail"]


def test_external_url_needs_sha512_once_the_electron_feed_is_on(api: Api,
                                                                product: str) -> None:
    assert api.patch(f"/api/v1/products/{product}",
                     json={"feed_formats": ["electron"]}).status_code == 200
    response = api.post(f"/api/v1/products/{product}/releases", json={
        "version": "1.0", "artifacts": [artifact()]})
    assert response.status_code == 400
    assert response.json["field"] == "sha512"
    # electron-builder prints sha512 in base64; either spelling is accepted.
    digest = hashlib.sha512(b"app").digest()
    response = api.post(f"/api/v1/products/{product}/releases", json={
        "version": "1.0", "artifacts": [artifact(sha512=base64.b64encode(digest).decode())]})
    assert response.status_code == 201, response.json
    assert response.json["artifacts"][0]["sha512"] == digest.hex()


def test_feed_formats_are_validated(api: Api, product: str) -> None:
    response = api.patch(f"/api/v1/products/{product}", json={"feed_formats": ["omaha"]})
    assert response.status_code == 400
    assert response.json["field"] == "feed_formats"

"""Direct uploads into the bucket (presigned multipart) from CI: `updatesrv publish` uses
them when the server stores files in a bucket; the server verifies size and sha256 before a
file becomes an artifact, and an upload it cannot verify is deleted, never published."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from updatesrv import runtime
from updatesrv.cli import main
from updatesrv.db import db
from updatesrv.releases.models import Artifact
from updatesrv.storage import DirectoryStorage

from .conftest import objects

RELEASE = "/api/v1/products/ledgerly/releases/1.0"


def begin(api: Any, payload: bytes, **fields: Any) -> Any:
    return api.post(RELEASE + "/uploads", json={
        "platform": "linux-x86_64", "filename": "ledgerly.tar.gz", "size": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(), **fields})


def put_parts(plan: dict[str, Any], payload: bytes) -> list[dict[str, Any]]:
    parts = []
    for part in plan["parts"]:
        start = (part["part_number"] - 1) * plan["part_size"]
        response = requests.put(part["url"], data=payload[start:start + plan["part_size"]],
                                timeout=30)
        assert response.status_code == 200, response.text
        parts.append({"part_number": part["part_number"], "etag": response.headers["ETag"]})
    return parts


def count_artifacts(app: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(Artifact)) or 0)


def test_publish_sends_big_files_straight_to_the_bucket(app, api, product, seaweed, bucket,
                                                        live_server, tmp_path):
    key = Ed25519PrivateKey.generate()
    key_file = tmp_path / "signing.key"
    key_file.write_text(base64.b64encode(key.private_bytes_raw()).decode())
    public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    api.patch("/api/v1/products/ledgerly", json={"signing_keys": [public]})
    build = tmp_path / "ledgerly-2.0.tar.gz"
    build.write_bytes(bytes(range(256)) * (17 * 4096 + 3))  # 17 MiB and a bit: two parts
    result = CliRunner().invoke(main, [
        "publish", "--server", live_server.url, "--token", api.token, "--product", "ledgerly",
        "--version", "2.0", "--artifact", f"linux-x86_64={build}",
        "--signing-key", str(key_file)], env={"CI": "true"})
    assert result.exit_code == 0, result.output
    sha256 = hashlib.sha256(build.read_bytes()).hexdigest()
    assert objects(seaweed, bucket) == {f"updates/sha256/{sha256}": build.read_bytes()}
    (stored,) = api.get("/api/v1/products/ledgerly/releases/2.0").json["artifacts"]
    assert stored["sha256"] == sha256 and stored["size"] == build.stat().st_size
    assert stored["sha512"] == hashlib.sha512(build.read_bytes()).hexdigest()
    assert stored["manifest_signature"] and stored["signature"]
    fetched = requests.get(live_server.url + "/downloads/ledgerly/2.0/linux-x86_64/"
                           "ledgerly-2.0.tar.gz", timeout=30)
    assert fetched.content == build.read_bytes()
    assert not any(runtime(app).store.staging.iterdir())
    # A CI re-run finds the file already there.
    rerun = CliRunner().invoke(main, [
        "publish", "--server", live_server.url, "--token", api.token, "--product", "ledgerly",
        "--version", "2.0", "--artifact", f"linux-x86_64={build}",
        "--signing-key", str(key_file)], env={"CI": "true"})
    assert rerun.exit_code == 0, rerun.output


def test_an_upload_that_does_not_verify_is_never_published(app, api, product, seaweed, bucket):
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    declared = b"the build CI meant to send"
    plan = begin(api, declared).json
    parts = put_parts(plan, b"something else entirely!!")  # different bytes
    done = api.post(RELEASE + "/uploads/complete", json={"token": plan["token"],
                                                         "parts": parts})
    assert done.status_code == 400
    assert done.json["field"] == "sha256"
    assert "could not be verified" in done.json["detail"]
    assert count_artifacts(app) == 0
    assert objects(seaweed, bucket) == {}


def test_completion_is_checked(app, api, product, seaweed, bucket):
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.1", "draft": True})
    payload = b"a build" * 100
    plan = begin(api, payload).json
    assert len(plan["parts"]) == 1 and plan["parts"][0]["url"].startswith(seaweed.endpoint)
    forged = api.post(RELEASE + "/uploads/complete",
                      json={"token": plan["token"] + "x", "parts": []})
    assert forged.status_code == 400 and forged.json["field"] == "token"
    elsewhere = api.post("/api/v1/products/ledgerly/releases/1.1/uploads/complete",
                         json={"token": plan["token"], "parts": []})
    assert elsewhere.status_code == 400 and "another release" in elsewhere.json["detail"]
    # Nothing was sent yet: the bucket refuses to assemble it.
    early = api.post(RELEASE + "/uploads/complete", json={
        "token": plan["token"], "parts": [{"part_number": 1, "etag": '"0"'}]})
    assert early.status_code == 400 and early.json["field"] == "parts"
    parts = put_parts(plan, payload)
    done = api.post(RELEASE + "/uploads/complete", json={"token": plan["token"],
                                                         "parts": parts})
    assert done.status_code == 201, done.json
    assert count_artifacts(app) == 1
    # The same completion again: that upload is gone, nothing changes.
    again = api.post(RELEASE + "/uploads/complete", json={"token": plan["token"],
                                                          "parts": parts})
    assert again.status_code == 400 and count_artifacts(app) == 1
    too_big = begin(api, payload, size=10**15)
    assert too_big.status_code == 400 and too_big.json["field"] == "size"


def test_a_server_without_a_bucket_says_so(app, api, product, tmp_path: Path):
    runtime(app).store = DirectoryStorage(tmp_path / "files")
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    refused = begin(api, b"x")
    assert refused.status_code == 409
    assert refused.json["type"].endswith("/direct-upload-unsupported")

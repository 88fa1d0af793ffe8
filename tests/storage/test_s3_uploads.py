"""Uploads through the server into a real S3 server (SeaweedFS): the bytes end up in the
private bucket under their sha256, the local staging copy is gone, a bucket that cannot be
reached answers 503 problem+json and nothing is published or lost."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import requests
import sqlalchemy as sa

from updatesrv import runtime
from updatesrv.db import db
from updatesrv.releases.models import Artifact
from updatesrv.storage import open_storage

from ..conftest import run_together
from .conftest import objects

UPLOAD = "/api/v1/products/ledgerly/releases/1.0/artifacts"
PAYLOAD = bytes(range(256)) * 9000  # 2.3 MB: boto3 sends it in one part


def draft(api: Any) -> None:
    assert api.post("/api/v1/products/ledgerly/releases",
                    json={"version": "1.0", "draft": True}).status_code == 201


def test_an_upload_is_stored_in_the_bucket_under_its_sha256(app, api, product, seaweed,
                                                               bucket, live_server):
    draft(api)
    response = requests.post(live_server.url + UPLOAD,
                             headers={"Authorization": f"Bearer {api.token}"},
                             data={"platform": "windows-x86_64"},
                             files={"file": ("setup.exe", PAYLOAD)}, timeout=60)
    assert response.status_code == 201, response.text
    sha256 = hashlib.sha256(PAYLOAD).hexdigest()
    assert response.json()["sha256"] == sha256
    assert response.json()["sha512"] == hashlib.sha512(PAYLOAD).hexdigest()
    assert objects(seaweed, bucket) == {f"updates/sha256/{sha256}": PAYLOAD}
    with app.app_context():
        assert db.session.scalar(sa.select(Artifact.storage_path)) == f"sha256/{sha256}"
    store = runtime(app).store
    assert not any(store.staging.iterdir())  # the local copy is removed
    # An identical retry answers 200 and keeps the one object.
    again = api.post(UPLOAD, data={"platform": "windows-x86_64",
                                   "file": (io.BytesIO(PAYLOAD), "setup.exe")})
    assert again.status_code == 200
    assert list(objects(seaweed, bucket)) == [f"updates/sha256/{sha256}"]


def test_the_bucket_is_private(app, api, product, seaweed, bucket):
    draft(api)
    api.post(UPLOAD, data={"platform": "any", "file": (io.BytesIO(PAYLOAD), "a.bin")})
    key = f"updates/sha256/{hashlib.sha256(PAYLOAD).hexdigest()}"
    assert requests.get(f"{seaweed.endpoint}/{bucket.name}/{bucket.key(key)}",
                        timeout=10).status_code == 403
    wrong = seaweed.client(secret="not-the-secret")
    try:
        wrong.head_object(Bucket=bucket.name, Key=bucket.key(key))
    except Exception as exc:  # botocore's ClientError
        assert "403" in str(exc)
    else:
        raise AssertionError("a wrongly signed request was answered")


def test_an_unreachable_bucket_answers_503_and_publishes_nothing(app, api, product, seaweed,
                                                                 bucket):
    draft(api)
    real = runtime(app).store
    runtime(app).store = open_storage(
        {**app.config, "S3_ENDPOINT_URL": "http://127.0.0.1:9"}, app.instance_path)
    try:
        failed = api.post(UPLOAD, data={"platform": "any", "file": (io.BytesIO(PAYLOAD),
                                                                    "a.bin")})
        assert failed.status_code == 503
        assert failed.mimetype == "application/problem+json"
        assert failed.json["type"].endswith("/storage-unavailable")
        assert "try again" in failed.json["detail"]
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Artifact)) == 0
        assert not any(runtime(app).store.staging.iterdir())
    finally:
        runtime(app).store = real
    # Nothing was lost: the same request succeeds once the bucket is back.
    again = api.post(UPLOAD, data={"platform": "any", "file": (io.BytesIO(PAYLOAD), "a.bin")})
    assert again.status_code == 201
    assert list(objects(seaweed, bucket)) == [
        f"updates/sha256/{hashlib.sha256(PAYLOAD).hexdigest()}"]


def test_a_replaced_draft_file_is_removed_from_the_bucket(app, api, product, seaweed, bucket):
    draft(api)
    api.post(UPLOAD, data={"platform": "any", "file": (io.BytesIO(b"first build"), "a.bin")})
    api.post(UPLOAD, data={"platform": "any", "file": (io.BytesIO(b"second build"), "a.bin")})
    assert list(objects(seaweed, bucket).values()) == [b"second build"]


def test_identical_parallel_uploads_store_one_object(app, api, product, seaweed, bucket,
                                                     live_server):
    draft(api)

    def upload() -> int:
        return requests.post(live_server.url + UPLOAD,
                             headers={"Authorization": f"Bearer {api.token}"},
                             data={"platform": "any"}, files={"file": ("a.bin", PAYLOAD)},
                             timeout=60).status_code

    statuses = run_together(6, upload)
    assert sorted(statuses) == [200] * 5 + [201], statuses
    assert objects(seaweed, bucket) == {
        f"updates/sha256/{hashlib.sha256(PAYLOAD).hexdigest()}": PAYLOAD}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Artifact)) == 1

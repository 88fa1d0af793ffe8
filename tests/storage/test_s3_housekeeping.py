"""Housekeeping and `updatesrv storage migrate` against a real bucket: only objects no row
names are removed; an existing directory deployment moves into the bucket, verified, resumable,
and a failure changes nothing."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from updatesrv import runtime
from updatesrv.db import db
from updatesrv.releases.models import Artifact
from updatesrv.scheduling.jobs import remove_unreferenced_files
from updatesrv.storage import DirectoryStorage, open_storage

from .conftest import objects

UPLOAD = "/api/v1/products/ledgerly/releases/1.0/artifacts"


def test_housekeeping_removes_only_objects_no_row_names(app, api, product, seaweed, bucket):
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    kept = api.post(UPLOAD, data={"platform": "any", "file": (io.BytesIO(b"kept"), "a.bin")})
    assert kept.status_code == 201
    client = seaweed.client()
    client.put_object(Bucket=bucket.name, Key=bucket.key("updates/sha256/" + "0" * 64),
                      Body=b"orphan")
    client.put_object(Bucket=bucket.name, Key=bucket.key("elsewhere/not-ours"),
                      Body=b"another prefix")
    client.put_object(Bucket=bucket.name, Key=bucket.key("updates/backups/db.dump"),
                      Body=b"not written by updatesrv, in its prefix")
    _, maker = app.extensions["updatesrv.db"]
    store = runtime(app).store
    now = dt.datetime.now(dt.UTC)
    assert remove_unreferenced_files(maker, store, now) == 0  # young: an upload in flight
    assert remove_unreferenced_files(maker, store, now + dt.timedelta(hours=7)) == 1
    assert sorted(objects(seaweed, bucket)) == [
        "elsewhere/not-ours", "updates/backups/db.dump",
        f"updates/sha256/{kept.json['sha256']}"]


def _directory_deployment(app: Any, api: Any, folder: Path) -> dict[str, bytes]:
    """Three uploaded files in a directory, as a deployment before the move has them."""
    s3 = runtime(app).store
    runtime(app).store = DirectoryStorage(folder)
    try:
        api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
        files = {"windows-x86_64": b"windows build " * 1000, "linux-x86_64": b"linux " * 999,
                 "macos-arm64": b"mac build " * 777}
        for platform, payload in files.items():
            response = api.post(UPLOAD, data={"platform": platform,
                                              "file": (io.BytesIO(payload), f"{platform}.bin")})
            assert response.status_code == 201, response.json
        api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": False})
    finally:
        runtime(app).store = s3
    with app.app_context():
        keys = dict(db.session.execute(sa.select(Artifact.platform, Artifact.storage_path)).all())
    return {keys[platform]: payload for platform, payload in files.items()}


def test_migrate_copies_every_file_and_resumes(app, api, product, seaweed, bucket, tmp_path,
                                               live_server):
    folder = tmp_path / "old-artifacts"
    stored = _directory_deployment(app, api, folder)
    broken = sorted(stored)[0]
    good = (folder / broken).read_bytes()
    (folder / broken).write_bytes(b"bit rot")
    runner = app.test_cli_runner()

    first = runner.invoke(args=["storage", "migrate", "--source", str(folder)])
    assert first.exit_code == 1, first.output
    assert f"{broken}: the file in {folder}" in first.output
    assert "2 copied, 0 already in the bucket, 1 not copied" in first.output
    assert objects(seaweed, bucket) == {f"updates/{k}": v for k, v in stored.items()
                                        if k != broken}

    (folder / broken).write_bytes(good)  # the operator restores it from a backup
    second = runner.invoke(args=["storage", "migrate", "--source", str(folder)])
    assert second.exit_code == 0, second.output
    assert "1 copied, 2 already in the bucket, 0 not copied" in second.output
    assert objects(seaweed, bucket) == {f"updates/{k}": v for k, v in stored.items()}
    # The rows never changed; downloads now come from the bucket.
    for key, payload in stored.items():
        platform, name = key.split("/")[2], key.split("/")[-1]
        fetched = requests.get(f"{live_server.url}/downloads/ledgerly/1.0/{platform}/{name}",
                               timeout=10)
        assert fetched.content == payload


def test_migrate_to_an_unreachable_bucket_changes_nothing(app, api, product, seaweed, bucket,
                                                          tmp_path):
    folder = tmp_path / "old-artifacts"
    stored = _directory_deployment(app, api, folder)
    runtime(app).store = open_storage({**app.config, "S3_ENDPOINT_URL": "http://127.0.0.1:9"},
                                      app.instance_path)
    result = app.test_cli_runner().invoke(args=["storage", "migrate", "--source", str(folder)])
    assert result.exit_code == 1
    assert "could not" in result.output and "try again" in result.output
    assert objects(seaweed, bucket) == {}
    assert all((folder / key).read_bytes() == payload for key, payload in stored.items())


def test_migrate_needs_a_bucket(app, tmp_path):
    runtime(app).store = DirectoryStorage(tmp_path / "a")
    result = app.test_cli_runner().invoke(args=["storage", "migrate"])
    assert result.exit_code == 1
    assert "set it to s3://BUCKET/PREFIX" in result.output

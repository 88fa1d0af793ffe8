"""A web process killed (SIGKILL) in the middle of an upload publishes nothing: no row, no
object in the bucket; what it left on the way (a staging file, an unfinished multipart
upload) is cleared by housekeeping."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import sqlalchemy as sa

from updatesrv import runtime
from updatesrv.db import db
from updatesrv.releases.models import Artifact
from updatesrv.scheduling.jobs import remove_stale_uploads

from ..deploy.conftest import free_port, wait_up
from .conftest import objects

UPLOAD = "/api/v1/products/ledgerly/releases/1.0/artifacts"


def test_a_server_killed_mid_upload_publishes_nothing(app, api, product, seaweed, bucket,
                                                      tmp_path):
    assert api.post("/api/v1/products/ledgerly/releases",
                    json={"version": "1.0", "draft": True}).status_code == 201
    port = free_port()
    env = {**os.environ, **seaweed.credentials_env(),
           "UPDATESRV_DATABASE_URL": app.config["DATABASE_URL"], "UPDATESRV_SECRET_KEY": "k",
           "UPDATESRV_INSTANCE_PATH": str(tmp_path / "host"),
           "UPDATESRV_ARTIFACT_STORAGE": app.config["ARTIFACT_STORAGE"],
           "UPDATESRV_S3_ENDPOINT_URL": seaweed.endpoint, "UPDATESRV_S3_REGION": "us-east-1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "updatesrv.cli", "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--no-scheduler"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_up(f"http://127.0.0.1:{port}/healthz", server)
        boundary = "updatesrvboundary"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"platform\"\r\n\r\n"
                f"any\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                ).encode()
        total = 8 * 1024 * 1024
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall((f"POST {UPLOAD} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Authorization: Bearer {api.token}\r\n"
                          f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                          f"Content-Length: {len(head) + total + 40}\r\n\r\n").encode() + head)
            for _ in range(total // 2 // 65536):  # half the file, then the host dies
                conn.sendall(b"x" * 65536)
            time.sleep(1)  # the server is reading the body (Werkzeug spools it to disk)
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Artifact)) == 0
    assert objects(seaweed, bucket) == {}
    staging = tmp_path / "host" / "upload-staging"
    assert not (staging.is_dir() and any(staging.iterdir()))


def test_housekeeping_aborts_multipart_uploads_never_completed(app, seaweed, bucket):
    client: Any = seaweed.client()
    started = client.create_multipart_upload(Bucket=bucket.name,
                                             Key=bucket.key("updates/sha256/" + "a" * 64))
    client.upload_part(Bucket=bucket.name, Key=bucket.key("updates/sha256/" + "a" * 64),
                       PartNumber=1,
                       UploadId=started["UploadId"], Body=b"x" * 1024)
    store = runtime(app).store
    assert remove_stale_uploads(store, dt.datetime.now(dt.UTC)) == 0  # still young
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    assert remove_stale_uploads(store, later) == 1
    assert client.list_multipart_uploads(Bucket=bucket.name,
                                         Prefix=bucket.root + "/").get("Uploads", []) == []
    assert objects(seaweed, bucket) == {}

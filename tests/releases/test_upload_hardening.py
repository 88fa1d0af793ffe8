"""Uploads under races, stalls and hostile input (issue 8.1, 8.3, 8.10; issue 9.8): an
identical retry never deletes the file the winner's row points at, a slow upload never
holds the write lock, and bad files get a clear 400."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import socket
import time

import requests
import sqlalchemy as sa

from updatesrv import runtime
from updatesrv.db import db
from updatesrv.releases.models import Artifact
from updatesrv.scheduling.jobs import remove_unreferenced_files

from ..conftest import make_vendor, run_together

UPLOAD = "/api/v1/products/ledgerly/releases/1.0/artifacts"
PAYLOAD = b"ledgerly installer " * 5000


def _draft(api):
    assert api.post("/api/v1/products/ledgerly/releases",
                    json={"version": "1.0", "draft": True}).status_code == 201


def _stored_path(app):
    with app.app_context():
        relative = db.session.scalar(sa.select(Artifact.storage_path))
        return runtime(app).store.path_for(relative)


def test_identical_parallel_uploads_keep_the_published_file(app, api, product, live_server):
    _draft(api)

    def upload() -> int:
        return requests.post(
            live_server.url + UPLOAD, headers={"Authorization": f"Bearer {api.token}"},
            data={"platform": "windows-x86_64"}, files={"file": ("setup.exe", PAYLOAD)},
            timeout=60).status_code

    statuses = run_together(8, upload)
    assert sorted(statuses) == [200] * 7 + [201], statuses
    assert api.patch("/api/v1/products/ledgerly/releases/1.0",
                     json={"draft": False}).status_code == 200
    url = "/downloads/ledgerly/1.0/windows-x86_64/setup.exe"
    served = api.client.get(url)
    assert served.status_code == 200 and served.data == PAYLOAD
    check = api.client.get("/api/v1/products/ledgerly/check?version=0.9"
                           "&platform=windows-x86_64").json
    assert check["update"]["download"]["sha256"] == hashlib.sha256(PAYLOAD).hexdigest()


def test_identical_reupload_restores_a_missing_file(app, api, product):
    _draft(api)
    first = api.post(UPLOAD, data={"platform": "any", "file": (io.BytesIO(PAYLOAD), "a.bin")})
    assert first.status_code == 201
    api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": False})
    path = _stored_path(app)
    path.unlink()
    assert api.client.get("/downloads/ledgerly/1.0/any/a.bin").status_code == 404
    again = api.post(UPLOAD, data={"platform": "any", "file": (io.BytesIO(PAYLOAD), "a.bin")})
    assert again.status_code == 200
    served = api.client.get("/downloads/ledgerly/1.0/any/a.bin")
    assert served.status_code == 200 and served.data == PAYLOAD


def test_housekeeping_removes_only_unreferenced_old_files(app, api, product):
    _draft(api)
    api.post(UPLOAD, data={"platform": "any", "file": (io.BytesIO(PAYLOAD), "a.bin")})
    referenced = _stored_path(app)
    store = runtime(app).store
    orphan = store.root / "ledgerly" / "x" / "any" / "0123" / "lost.bin"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"lost")
    young = store.root / "ledgerly" / "y.bin"
    young.write_bytes(b"in flight")
    old = time.time() - 7 * 3600
    for path in (referenced, orphan):
        os.utime(path, (old, old))
    maker = app.extensions["updatesrv.db"][1]
    assert remove_unreferenced_files(maker, store.root, dt.datetime.now(dt.UTC)) == 1
    assert referenced.is_file() and young.is_file() and not orphan.exists()
    assert not orphan.parent.exists(), "empty folders go too"


def test_empty_file_is_refused(app, api, product):
    _draft(api)
    response = api.post(UPLOAD, data={"platform": "any", "file": (io.BytesIO(b""), "a.bin")})
    assert response.status_code == 400 and "empty" in response.json["detail"]
    assert response.json["field"] == "file"
    store = runtime(app).store
    assert not any(p.is_file() for p in store.root.rglob("*"))


def test_over_long_file_name_is_a_clear_400_and_leaves_nothing(app, api, product):
    _draft(api)
    name = "a" * 300 + ".exe"
    response = api.post(UPLOAD, data={"platform": "any", "file": (io.BytesIO(PAYLOAD), name)})
    assert response.status_code == 400, response.json
    assert "file name" in response.json["detail"] and "200" in response.json["detail"]
    store = runtime(app).store
    assert not any(p for p in store.root.rglob("*") if p.name != ".staging")


def test_console_refuses_empty_and_long_named_files(app, client, api, product):
    app.config["WTF_CSRF_ENABLED"] = False
    _draft(api)
    client.post("/console/login", data={"email": "owner@acme.example",
                                        "password": "correct horse battery"})
    url = "/console/acme/p/ledgerly/releases/1.0/upload"
    empty = client.post(url, data={"up-platform": "any", "up-file": (io.BytesIO(b""), "a")},
                        content_type="multipart/form-data")
    assert empty.status_code == 400 and "empty" in empty.text
    long = client.post(url, data={"up-platform": "any",
                                  "up-file": (io.BytesIO(b"x"), "b" * 300)},
                       content_type="multipart/form-data")
    assert long.status_code == 400 and "file name" in long.text


def _start_slow_upload(server_url: str, token: str) -> tuple[socket.socket, bytes]:
    host, port = server_url.removeprefix("http://").split(":")
    boundary = "slowupload"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="platform"\r\n\r\nany\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"'
            "\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = head + PAYLOAD + tail
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall((f"POST {UPLOAD} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                  f"Authorization: Bearer {token}\r\n"
                  f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                  f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode())
    half = len(body) // 2
    sock.sendall(body[:half])
    return sock, body[half:]


def test_a_slow_upload_does_not_block_another_vendors_writes(app, api, product, live_server):
    app.config["DB_LOCK_TIMEOUT"] = 30
    _draft(api)
    _, other_token = make_vendor(app, "globex", email="boss@globex.example")
    headers = {"Authorization": f"Bearer {other_token}"}
    assert requests.post(live_server.url + "/api/v1/products", headers=headers,
                         json={"slug": "gadget", "name": "Gadget"}, timeout=10).status_code == 201
    sock, rest = _start_slow_upload(live_server.url, api.token)
    try:
        time.sleep(0.5)  # the server is now waiting for the rest of the body
        started = time.monotonic()
        patched = requests.patch(live_server.url + "/api/v1/products/gadget", headers=headers,
                                 json={"name": "Gadget 2"}, timeout=20)
        notice = requests.post(live_server.url + "/api/v1/products/gadget/notices",
                               headers=headers, json={"title": "Crash", "severity": "minor",
                                                      "affected": ">=1"}, timeout=20)
        assert patched.status_code == 200 and notice.status_code == 201
        assert time.monotonic() - started < 5, "writes waited for the upload"
        sock.sendall(rest)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 201"), answer[:200]

"""Downloads of files in a bucket: this server decides (visible? which file?) and redirects
to a short-lived presigned URL, or to ARTIFACT_PUBLIC_BASE_URL; the client's Range goes along
with the redirect to the S3 server. Feeds and the check point at the same download URL."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.feeds.test_electron_updater import NODE_DIR
from tests.feeds.test_electron_updater import node_modules as node_modules
from updatesrv import runtime

UPLOAD = "/api/v1/products/ledgerly/releases/1.0/artifacts"
PAYLOAD = bytes(range(256)) * 4000


def published(api: Any, name: str = "ledgerly 1.0.tar.gz") -> dict[str, Any]:
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    meta: dict[str, Any] = api.post(UPLOAD, data={"platform": "linux-x86_64",
                                                  "file": (io.BytesIO(PAYLOAD), name)}).json
    return meta


def test_a_download_redirects_to_a_presigned_url(app, api, product, seaweed, live_server):
    meta = published(api)
    url = live_server.url + urlsplit(meta["url"]).path
    assert requests.get(url, allow_redirects=False, timeout=10).status_code == 404  # draft
    api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": False})

    redirect = requests.get(url, allow_redirects=False, timeout=10)
    assert redirect.status_code == 302
    assert redirect.headers["Location"].startswith(seaweed.endpoint + "/")
    assert "X-Amz-Signature=" in redirect.headers["Location"]
    assert redirect.headers["Cache-Control"] == "no-store"

    whole = requests.get(url, timeout=10)
    assert whole.status_code == 200 and whole.content == PAYLOAD
    assert hashlib.sha256(whole.content).hexdigest() == meta["sha256"]
    assert whole.headers["Content-Disposition"].startswith(
        'attachment; filename="ledgerly_1.0.tar.gz"')

    part = requests.get(url, headers={"Range": "bytes=1000-1999"}, timeout=10)
    assert part.status_code == 206 and part.content == PAYLOAD[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(PAYLOAD)}"
    tail = requests.get(url, headers={"Range": "bytes=-10"}, timeout=10)
    assert tail.status_code == 206 and tail.content == PAYLOAD[-10:]


@pytest.fixture
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    return {**app_config, **getattr(request, "param", {})}


@pytest.mark.parametrize("app_config", [{"ARTIFACT_URL_SECONDS": 1}], indirect=True)
def test_a_presigned_url_expires(app, api, product, live_server):
    meta = published(api)
    api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": False})
    url = live_server.url + urlsplit(meta["url"]).path
    location = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    time.sleep(2.5)
    assert requests.get(location, timeout=10).status_code == 403
    assert requests.get(url, timeout=10).content == PAYLOAD  # a new redirect works again


def test_a_public_base_url_is_used_when_configured(app, api, product, seaweed, bucket,
                                                   live_server):
    meta = published(api)
    api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": False})
    store = runtime(app).store
    store.public_base_url = f"https://cdn.ledgerly.example/{bucket.name}"  # type: ignore[attr-defined]
    url = live_server.url + urlsplit(meta["url"]).path
    redirect = requests.get(url, allow_redirects=False, timeout=10)
    assert redirect.status_code == 302
    assert redirect.headers["Location"] == (
        f"https://cdn.ledgerly.example/{bucket.name}/{bucket.root}/updates/sha256/"
        f"{meta['sha256']}")


def test_the_check_and_the_feeds_lead_to_the_same_bytes(app, api, product, live_server):
    api.patch("/api/v1/products/ledgerly", json={"feed_formats": ["electron"]})
    meta = published(api)
    api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": False})
    check = requests.get(live_server.url + "/api/v1/products/ledgerly/check",
                         params={"version": "0.9", "platform": "linux-x86_64"}, timeout=10).json()
    download = check["update"]["download"]
    assert urlsplit(download["url"]).path == urlsplit(meta["url"]).path
    fetched = requests.get(live_server.url + urlsplit(download["url"]).path, timeout=10)
    assert hashlib.sha256(fetched.content).hexdigest() == download["sha256"]


def test_a_missing_object_is_404_and_an_unreachable_bucket_503(app, api, product, seaweed,
                                                               bucket, live_server):
    meta = published(api)
    api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": False})
    url = live_server.url + urlsplit(meta["url"]).path
    store = runtime(app).store
    real_client = store.client  # type: ignore[attr-defined]
    from updatesrv.storage.s3 import client_for

    store.client = client_for("http://127.0.0.1:9", "us-east-1")  # type: ignore[attr-defined]
    try:
        down = requests.get(url, allow_redirects=False, timeout=30)
        assert down.status_code == 503
        assert down.headers["Content-Type"] == "application/problem+json"
    finally:
        store.client = real_client  # type: ignore[attr-defined]
    seaweed.client().delete_object(Bucket=bucket.name,
                                   Key=bucket.key(f"updates/sha256/{meta['sha256']}"))
    missing = requests.get(url, allow_redirects=False, timeout=10)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"


def parts_of(response: requests.Response) -> list[tuple[str, bytes]]:
    """The parts of a multipart/byteranges body: (Content-Range, bytes)."""
    import email.parser
    import email.policy

    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + response.headers["Content-Type"].encode() + b"\r\n\r\n"
        + response.content)
    return [(part["Content-Range"], part.get_payload(decode=True))
            for part in message.iter_parts()]


def test_several_ranges_are_answered_as_multipart_byteranges(app, api, product, live_server):
    """electron-updater's differential download asks for many ranges at once; S3 servers
    answer that with the whole object, so this server sends the parts."""
    meta = published(api)
    api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": False})
    url = live_server.url + urlsplit(meta["url"]).path
    size = len(PAYLOAD)
    response = requests.get(url, headers={"Range": "bytes=0-99,5000-5009,-7"},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 206
    assert response.headers["Content-Type"].startswith("multipart/byteranges; boundary=")
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert parts_of(response) == [(f"bytes 0-99/{size}", PAYLOAD[:100]),
                                  (f"bytes 5000-5009/{size}", PAYLOAD[5000:5010]),
                                  (f"bytes {size - 7}-{size - 1}/{size}", PAYLOAD[-7:])]
    # Past the end: the satisfiable ranges only; none satisfiable: 416.
    partly = requests.get(url, headers={"Range": f"bytes=0-0,{size + 10}-{size + 20}"},
                          timeout=10)
    assert parts_of(partly) == [(f"bytes 0-0/{size}", PAYLOAD[:1])]
    none = requests.get(url, headers={"Range": f"bytes={size}-{size + 1},{size + 5}-{size + 9}"},
                        timeout=10)
    assert none.status_code == 416
    assert none.headers["Content-Range"] == f"bytes */{size}"
    # An If-Range for other bytes: the whole file, from the bucket.
    other = requests.get(url, headers={"Range": "bytes=0-1,5-6", "If-Range": '"other"'},
                         timeout=10)
    assert other.status_code == 200 and other.content == PAYLOAD


def blockmap(data: bytes, block: int) -> dict[str, Any]:
    """A blockmap as electron-builder writes one (one file, a checksum and size per block);
    electron-updater only compares checksums between the old and the new map."""
    blocks = [data[i:i + block] for i in range(0, len(data), block)]
    return {"version": "2", "files": [{
        "name": "file", "offset": 0, "sizes": [len(b) for b in blocks],
        "checksums": [base64.b64encode(hashlib.sha256(b).digest()).decode() for b in blocks]}]}


def test_electron_updaters_differential_download_from_a_bucket(app, api, product, live_server,
                                                               node_modules, tmp_path):
    """The real electron-updater fetches the changed blocks of a new version in multi-range
    requests and copies the rest from the installed one: the file it builds is the new one."""
    old = bytes(range(256)) * 4000
    new = bytearray(old)
    for offset in (5_000, 300_000, 700_000, len(old) - 10):  # four changed blocks
        new[offset:offset + 8] = b"CHANGED!"
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    meta = api.post(UPLOAD, data={"platform": "linux-x86_64",
                                  "file": (io.BytesIO(bytes(new)), "ledgerly.AppImage")}).json
    api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": False})
    (tmp_path / "old.AppImage").write_bytes(old)
    args = {"differential": {
        "oldFile": str(tmp_path / "old.AppImage"), "newFile": str(tmp_path / "new.AppImage"),
        "newUrl": live_server.url + urlsplit(meta["url"]).path, "size": len(new),
        "sha512": base64.b64encode(bytes.fromhex(meta["sha512"])).decode(),
        "oldBlockMap": blockmap(old, 64 * 1024), "newBlockMap": blockmap(bytes(new), 64 * 1024)}}
    done = subprocess.run(["node", str(NODE_DIR / "electron_check.js"), json.dumps(args)],
                          capture_output=True, text=True, timeout=60, cwd=NODE_DIR)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["downloaded"], result
    assert (tmp_path / "new.AppImage").read_bytes() == bytes(new)
    assert any("4 changed blocks" in line for line in result["log"]), result["log"]

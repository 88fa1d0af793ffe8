"""The production topology, for real: nginx (the configuration `updatesrv nginx-config`
prints) in front of three `updatesrv serve` processes on one database and one shared
artifacts directory. Downloads are sent by nginx (X-Accel-Redirect) with Range, validators
and Content-Disposition right; a web process killed mid-traffic costs no client a failed
check; shared check answers come from nginx's cache, per-install ones never do.
The 60-second version with throughput figures is benchmarks/topology_bench.py."""

from __future__ import annotations

import hashlib
import io
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest
import sqlalchemy as sa

from updatesrv.db import db
from updatesrv.stats.models import CheckCount

from ..conftest import publish

pytestmark = pytest.mark.live

CHECK = "/api/v1/products/ledgerly/check?version=0.9&platform=windows-x86_64"


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_downloads_are_sent_by_nginx_with_range_and_validators(app, api, product, topology):
    payload = bytes(range(256)) * 4000
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    meta = api.post("/api/v1/products/ledgerly/releases/1.0/artifacts",
                    data={"platform": "linux-x86_64",
                          "file": (io.BytesIO(payload), "ledgerly 1.0.tar.gz")}).json
    url = topology.url + meta["url"].removeprefix("http://localhost")
    assert get(url)[0] == 404  # a draft: the web host refuses, nginx sends nothing
    api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": False})

    status, headers, body = get(url)
    assert status == 200 and body == payload
    assert hashlib.sha256(body).hexdigest() == meta["sha256"]
    assert headers["Server"].startswith("nginx")
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith('attachment; filename="ledgerly_1.0.tar.gz"')
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Digest"] == "sha-256=Bir5zNiQuj0GfKcVAni8xCAGm9gvbkEWECkwPf1tZh4="
    assert "X-Accel-Redirect" not in headers
    etag = headers["ETag"]

    status, headers, body = get(url, {"Range": "bytes=1000-1999"})
    assert status == 206 and body == payload[1000:2000]
    assert headers["Content-Range"] == f"bytes 1000-1999/{len(payload)}"
    assert headers["Content-Disposition"].startswith("attachment")
    # Resuming: the same file continues from the offset, a changed one starts over.
    assert get(url, {"Range": "bytes=5-9", "If-Range": etag})[2] == payload[5:10]
    assert get(url, {"Range": "bytes=5-9", "If-Range": '"other"'})[2] == payload
    assert get(url, {"If-None-Match": etag})[0] == 304
    # The internal location itself is not reachable from outside.
    assert get(topology.url + "/_updatesrv_artifacts/" + "x")[0] == 404
    # Several ranges (electron-updater's differential download): multipart/byteranges.
    status, headers, body = get(url, {"Range": "bytes=0-9,5000-5099"})
    assert status == 206 and headers["Content-Type"].startswith("multipart/byteranges")
    assert payload[0:10] in body and payload[5000:5100] in body
    assert f"Content-Range: bytes 5000-5099/{len(payload)}".encode() in body


def test_deltas_are_sent_by_nginx_and_resume(app, api, product, topology):
    from updatesrv.scheduling.runner import build_deltas

    from ..deltas.helpers import build_bytes, publish_uploaded

    old, new = build_bytes(0), build_bytes(1)
    publish_uploaded(api, "ledgerly", "1.0", old, platform="linux-x86_64")
    publish_uploaded(api, "ledgerly", "1.1", new, platform="linux-x86_64")
    assert build_deltas(app)["deltas_built"] == 1
    _, _, answer = get(topology.url + "/api/v1/products/ledgerly/check?version=1.0"
                       "&platform=linux-x86_64")
    import json

    delta = json.loads(answer)["update"]["delta"]
    url = topology.url + "/" + delta["url"].split("/", 3)[3]
    status, headers, body = get(url)
    assert status == 200 and headers["Server"].startswith("nginx")
    assert hashlib.sha256(body).hexdigest() == delta["sha256"] and len(body) == delta["size"]
    status, _, tail = get(url, {"Range": "bytes=100-"})
    assert status == 206 and tail == body[100:]


def test_a_web_process_killed_mid_traffic_fails_no_check(app, api, product, topology):
    publish(api, product, "1.0")
    statuses: Counter[int | str] = Counter()
    stop = threading.Event()
    lock = threading.Lock()

    def client(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                status, _, body = get(f"{topology.url}{CHECK}&install_id=c{n}-{i}")
                ok = status == 200 and b'"1.0"' in body
                key: int | str = status if ok or status != 200 else "wrong body"
            except Exception as exc:  # refused, reset, cut short: every one is a failure
                key = type(exc).__name__
            with lock:
                statuses[key] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(2)
    topology.kill_backend(1)
    time.sleep(3)
    stop.set()
    for t in threads:
        t.join(30)
    elapsed = time.monotonic() - started
    assert set(statuses) == {200}, statuses
    answered = statuses[200]
    assert answered > 50

    # The statistics lag the truth by at most what the killed process had not flushed:
    # the checks of one flush period (1 s here; a period is the interval plus the flush
    # itself, so allow two). The survivors flush everything within a few seconds.
    deadline = time.monotonic() + 30
    last, settled_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        with app.app_context():
            counted = int(db.session.scalar(sa.select(sa.func.sum(CheckCount.checks))) or 0)
        if counted != last:
            last, settled_since = counted, time.monotonic()
        elif counted >= answered or time.monotonic() - settled_since > 3:
            break
        time.sleep(0.25)
    assert counted <= answered
    assert answered - counted <= answered / elapsed * 2.0, (answered, counted, elapsed)


def test_shared_check_answers_are_cached_per_install_ones_are_not(app, api, product,
                                                                  topology):
    publish(api, product, "1.0")
    first = get(topology.url + CHECK)
    second = get(topology.url + CHECK)
    assert first[0] == second[0] == 200 and first[2] == second[2]
    assert first[1]["X-Cache-Status"] == "MISS" and second[1]["X-Cache-Status"] == "HIT"
    # Conditional requests are answered from the cache too.
    assert get(topology.url + CHECK, {"If-None-Match": second[1]["ETag"]})[0] == 304
    for i in range(3):
        status, headers, _ = get(f"{topology.url}{CHECK}&install_id=cache-{i}")
        assert status == 200 and headers["X-Cache-Status"] == "BYPASS"

"""The client library against a real server on a loopback port (no mocks)."""

from __future__ import annotations

import base64
import hashlib
import io
import socket
import subprocess
import sys

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from updatesrv_client import (
    IntegrityError,
    NetworkError,
    ProductNotFound,
    RequestRejected,
    SignatureError,
    UpdateCheckError,
    UpdateClient,
    check_for_updates,
)

PAYLOAD = b"ledgerly installer bytes " * 5000
WIN = "windows-x86_64"


class RecordingSession(requests.Session):
    """A real requests session that remembers status codes and request headers."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[int, dict[str, str]]] = []

    def request(self, *args, **kwargs):  # type: ignore[override]
        response = super().request(*args, **kwargs)
        self.log.append((response.status_code, dict(response.request.headers)))
        return response


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def upload_release(api, version, payload=PAYLOAD, signature=None, platform=WIN):
    api.post("/api/v1/products/ledgerly/releases", json={"version": version, "draft": True})
    data = {"platform": platform, "file": (io.BytesIO(payload), f"ledgerly-{version}.exe")}
    if signature:
        data["signature"] = signature
    response = api.post(f"/api/v1/products/ledgerly/releases/{version}/artifacts", data=data)
    assert response.status_code == 201, response.json
    assert api.patch(f"/api/v1/products/ledgerly/releases/{version}",
                     json={"draft": False}).status_code == 200


@pytest.fixture
def released(api, product):
    upload_release(api, "2.0.0", b"old")
    upload_release(api, "2.0.1")
    return api


def make_client(server, tmp_path, version="2.0.0", **kw):
    return UpdateClient(server.url, "ledgerly", version, platform=WIN,
                        state_dir=tmp_path / "state", **kw)


def test_check_finds_update(live_server, released, tmp_path):
    result = make_client(live_server, tmp_path).check()
    assert result.update is not None
    assert result.update.version == "2.0.1"
    assert result.update.sha256 == hashlib.sha256(PAYLOAD).hexdigest()
    assert result.update.download_url.startswith(live_server.url + "/downloads/")
    assert result.installed.known and not result.installed.yanked
    assert result.notices == () and not result.from_cache


def test_saved_answer_within_interval_then_304(live_server, released, tmp_path):
    session, clock = RecordingSession(), Clock()
    client = make_client(live_server, tmp_path, session=session, clock=clock)
    first = client.check()
    assert len(session.log) == 1 and session.log[0][0] == 200
    clock.now += 3600
    cached = client.check()
    assert cached.from_cache and cached.update == first.update
    assert len(session.log) == 1  # no network within check_again_after
    forced = client.check(force=True)
    assert len(session.log) == 2 and session.log[1][0] == 304
    assert "If-None-Match" in session.log[1][1]
    assert forced.update == first.update and not forced.from_cache
    clock.now += 86400
    client.check()
    assert len(session.log) == 3  # interval over: asks again
    # A new client object with the same state dir (the app restarted) reuses the answer.
    session2 = RecordingSession()
    again = make_client(live_server, tmp_path, session=session2, clock=clock).check()
    assert again.from_cache and session2.log == []


def test_install_id_is_created_once(live_server, released, tmp_path):
    a = make_client(live_server, tmp_path)
    b = make_client(live_server, tmp_path)
    assert a.install_id == b.install_id and len(a.install_id) >= 16


def test_download_verifies_and_resumes(live_server, released, tmp_path):
    client = make_client(live_server, tmp_path, session=RecordingSession())
    update = client.check().update
    seen: list[tuple[int, int]] = []
    path = client.download(update, tmp_path / "dl", progress=lambda done, total:
                           seen.append((done, total)))
    assert path.read_bytes() == PAYLOAD and path.name == "ledgerly-2.0.1.exe"
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    # Resume: half a file from an interrupted attempt is continued with a Range request.
    dest = tmp_path / "resume"
    dest.mkdir()
    (dest / "ledgerly-2.0.1.exe.part").write_bytes(PAYLOAD[:50_000])
    session = RecordingSession()
    resumer = make_client(live_server, tmp_path, session=session)
    path = resumer.download(update, dest)
    assert path.read_bytes() == PAYLOAD
    assert session.log[-1][0] == 206 and session.log[-1][1]["Range"] == "bytes=50000-"
    assert not (dest / "ledgerly-2.0.1.exe.part").exists()


def test_tampered_download_is_rejected_and_removed(app, live_server, released, tmp_path):
    client = make_client(live_server, tmp_path)
    update = client.check().update
    store = app.extensions["updatesrv"].store
    stored = next(p for p in store.root.rglob("ledgerly-2.0.1.exe"))
    stored.write_bytes(PAYLOAD[:-5] + b"EVIL!")  # same size, other bytes
    with pytest.raises(IntegrityError):
        client.download(update, tmp_path / "dl")
    assert list((tmp_path / "dl").iterdir()) == []


def test_server_down_raises_update_check_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = UpdateClient(f"http://127.0.0.1:{port}", "ledgerly", "1.0", platform=WIN,
                          timeout=2)
    with pytest.raises(NetworkError):
        client.check()
    assert check_for_updates(f"http://127.0.0.1:{port}", "ledgerly", "1.0", timeout=2) is None


def test_errors_are_update_check_errors(live_server, released, tmp_path):
    with pytest.raises(ProductNotFound):
        UpdateClient(live_server.url, "nope", "1.0", platform=WIN).check()
    with pytest.raises(RequestRejected) as info:
        UpdateClient(live_server.url, "ledgerly", "not a version", platform=WIN).check()
    assert "PEP 440" in info.value.detail
    # A server that answers HTML instead of JSON (wrong URL, captive portal).
    with pytest.raises(UpdateCheckError):
        UpdateClient(live_server.url + "/p", "ledgerly", "1.0", platform=WIN).check()


def _keys():
    key = Ed25519PrivateKey.generate()
    public = base64.b64encode(key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
    return key, public


def test_signature_checks(live_server, api, product, tmp_path):
    key, public = _keys()
    _, stranger = _keys()
    upload_release(api, "1.0", b"unsigned, uploaded before keys existed")
    api.patch("/api/v1/products/ledgerly", json={"signing_keys": [public]})
    upload_release(api, "1.1", PAYLOAD, base64.b64encode(key.sign(PAYLOAD)).decode())

    good = make_client(live_server, tmp_path, version="1.0", public_keys=[public])
    update = good.check().update
    assert update.version == "1.1" and update.signature
    assert good.download(update, tmp_path / "ok").read_bytes() == PAYLOAD

    wrong_key = make_client(live_server, tmp_path, version="1.0", public_keys=[stranger])
    with pytest.raises(SignatureError):
        wrong_key.download(update, tmp_path / "bad")
    assert list((tmp_path / "bad").iterdir()) == []

    from dataclasses import replace

    unsigned = replace(update, signature=None)
    with pytest.raises(SignatureError):
        good.download(unsigned, tmp_path / "none")


def test_cli_check(live_server, released, tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "updatesrv_client", "check", "--server", live_server.url,
         "--product", "ledgerly", "--version", "2.0.0", "--platform", WIN],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Update available: ledgerly 2.0.1" in out.stdout
    down = subprocess.run(
        [sys.executable, "-m", "updatesrv_client", "check", "--server", "http://127.0.0.1:9",
         "--product", "ledgerly", "--version", "2.0.0", "--timeout", "2"],
        capture_output=True, text=True, timeout=60)
    assert down.returncode == 1 and "update check failed" in down.stderr


def test_a_wrong_server_url_is_not_reported_as_an_unknown_product(live_server, released):
    """Issue 9: a 404 from a URL that is not an updatesrv API says so."""
    with pytest.raises(RequestRejected) as info:
        UpdateClient(live_server.url + "/wrong/prefix", "ledgerly", "2.0.0",
                     platform=WIN).check()
    assert not isinstance(info.value, ProductNotFound)
    assert "right server address" in str(info.value) and "does not know" not in str(info.value)
    with pytest.raises(ProductNotFound, match="does not know product 'nope'"):
        UpdateClient(live_server.url, "nope", "1.0", platform=WIN).check()


def test_cli_check_falls_back_to_the_saved_answer(live_server, released, tmp_path):
    """Issue 9: like 'notices', 'check' shows the last saved answer when the server is
    unreachable, says that it did, and exits 1."""
    state = str(tmp_path / "state")
    args = ["--product", "ledgerly", "--version", "2.0.0", "--platform", WIN,
            "--state-dir", state]
    first = subprocess.run([sys.executable, "-m", "updatesrv_client", "check", "--server",
                            live_server.url, *args], capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    down = subprocess.run([sys.executable, "-m", "updatesrv_client", "check", "--server",
                           "http://127.0.0.1:9", "--timeout", "2", *args],
                          capture_output=True, text=True, timeout=60)
    assert down.returncode == 1
    assert "update check failed" in down.stderr
    assert "showing the last saved answer" in down.stderr
    assert "Update available: ledgerly 2.0.1" in down.stdout
    assert "(shown from the last saved answer)" in down.stdout

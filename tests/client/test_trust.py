"""Issue 13: a hostile server replays each of TUF's attacks against the real client with
server_keys configured; each is refused with the right exception. An honest server's answers
keep passing across a key rotation."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import time
from dataclasses import replace
from typing import Any

import pytest
from updatesrv_client import (
    SignatureError,
    StaleAnswerError,
    UpdateClient,
)
from updatesrv_client.errors import FileSignatureError

from updatesrv import runtime
from updatesrv.cli import main as updatesrv_main
from updatesrv.publish import public_key_b64
from updatesrv.timeutil import rfc3339
from updatesrv.trust.keys import Keyring, generate, retire
from updatesrv.trust.manifest import release_manifest

from .hostile import Scripted, answer
from .test_live import upload_release

WIN = "windows-x86_64"
WEEK = 7 * 24 * 3600


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def statement_headers(ring: Keyring, body: bytes, *, product: str = "ledgerly",
                      version: str = "2.0.0", channel: str = "stable", platform: str = WIN,
                      serial: int = 5, issued: float | None = None, ttl: float = WEEK,
                      body_sha256: str | None = None) -> dict[str, str]:
    issued_at = dt.datetime.fromtimestamp(issued if issued is not None else time.time(), dt.UTC)
    statement = json.dumps({
        "type": "updatesrv.check.v1", "product": product, "version": version,
        "channel": channel, "platform": platform,
        "body_sha256": body_sha256 or hashlib.sha256(body).hexdigest(), "serial": serial,
        "issued_at": rfc3339(issued_at),
        "expires": rfc3339(issued_at + dt.timedelta(seconds=ttl))},
        sort_keys=True, separators=(",", ":")).encode()
    return {"Updatesrv-Statement": base64.b64encode(statement).decode(),
            "Updatesrv-Signature": ring.sign(statement), "ETag": '"e1"'}


@pytest.fixture
def ring(tmp_path) -> Keyring:
    generate(tmp_path / "hostile-keys")
    return Keyring.load(tmp_path / "hostile-keys")


def serve(hostile, ring, body: dict[str, Any] | bytes, **kw: Any) -> bytes:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    hostile.always(Scripted(200, statement_headers(ring, raw, **kw), raw))
    return raw


def trusting(hostile, tmp_path, ring, **kw: Any) -> UpdateClient:
    return UpdateClient(hostile.url, "ledgerly", "2.0.0", platform=WIN,
                        state_dir=tmp_path / "state",
                        server_keys=[k.public_key for k in ring.keys], **kw)


def test_a_signed_answer_passes(hostile, tmp_path, ring):
    serve(hostile, ring, answer())
    assert trusting(hostile, tmp_path, ring).check().update.version == "2.0.1"


# -- arbitrary installation: unsigned, forged or tampered answers ---------------------------

def test_an_unsigned_answer_is_refused(hostile, tmp_path, ring):
    hostile.json(answer())
    with pytest.raises(SignatureError, match="not signed"):
        trusting(hostile, tmp_path, ring).check()


def test_an_answer_signed_by_another_key_is_refused(hostile, tmp_path, ring):
    generate(tmp_path / "attacker")
    serve(hostile, Keyring.load(tmp_path / "attacker"), answer())
    with pytest.raises(SignatureError, match="any trusted server key"):
        trusting(hostile, tmp_path, ring).check()


def test_a_body_swapped_under_a_valid_signature_is_refused(hostile, tmp_path, ring):
    honest = json.dumps(answer()).encode()
    evil = json.dumps(answer(offer="9.9", url="http://evil.example/x.exe")).encode()
    hostile.always(Scripted(200, statement_headers(ring, honest), evil))
    with pytest.raises(SignatureError, match="body"):
        trusting(hostile, tmp_path, ring).check()


@pytest.mark.parametrize("field, value", [("product", "billing"), ("version", "1.0"),
                                          ("channel", "beta"), ("platform", "macos-arm64")])
def test_an_answer_for_another_install_is_refused(hostile, tmp_path, ring, field, value):
    serve(hostile, ring, answer(), **{field: value})
    with pytest.raises(SignatureError, match=f"for {field}"):
        trusting(hostile, tmp_path, ring).check()


# -- rollback ---------------------------------------------------------------------------------

def test_a_lower_catalog_serial_than_seen_is_refused(hostile, tmp_path, ring):
    serve(hostile, ring, answer(), serial=7)
    trusting(hostile, tmp_path, ring).check()
    serve(hostile, ring, answer(offer="2.0.1"), serial=6)
    # A new client object (an app restart) still remembers serial 7 in state_dir.
    with pytest.raises(StaleAnswerError, match="rollback"):
        trusting(hostile, tmp_path, ring).check(force=True)
    serve(hostile, ring, answer(), serial=7)
    assert trusting(hostile, tmp_path, ring).check(force=True).update is not None


def test_an_offer_older_than_the_installed_version_is_refused(hostile, tmp_path, ring):
    serve(hostile, ring, answer(offer="0.1"))
    with pytest.raises(StaleAnswerError, match="not newer"):
        trusting(hostile, tmp_path, ring).check()
    # Sparkle's rule holds without server keys as well.
    hostile.json(answer(offer="2.0.0"))
    with pytest.raises(StaleAnswerError, match="not newer"):
        UpdateClient(hostile.url, "ledgerly", "2.0.0", platform=WIN).check()


def test_a_yanked_install_downgrades_only_when_the_app_allows(hostile, tmp_path, ring):
    serve(hostile, ring, answer(offer="1.9", yanked=True))
    assert trusting(hostile, tmp_path, ring).check().update is None
    allowed = trusting(hostile, tmp_path, ring, allow_downgrade=True).check(force=True)
    assert allowed.update is not None and allowed.update.version == "1.9"


# -- indefinite freeze ------------------------------------------------------------------------

def test_an_expired_answer_is_refused(hostile, tmp_path, ring):
    serve(hostile, ring, answer(), issued=time.time() - 8 * 24 * 3600)
    with pytest.raises(StaleAnswerError, match="expired"):
        trusting(hostile, tmp_path, ring).check()


def test_304s_extend_freshness_only_with_a_fresh_signature(hostile, tmp_path, ring):
    clock = Clock()
    body = serve(hostile, ring, {**answer(), "check_again_after": 1e15}, issued=clock.now)
    client = trusting(hostile, tmp_path, ring, clock=clock)
    assert client.check().check_again_after == WEEK  # capped whatever the server says
    old_headers = statement_headers(ring, body, issued=clock.now)
    # The server now answers 304 forever, replaying the first statement.
    hostile.always(Scripted(304, old_headers, b""))
    clock.now += 3 * 24 * 3600
    assert client.check(force=True).update is not None  # still within its expiry
    clock.now += 5 * 24 * 3600
    with pytest.raises(StaleAnswerError, match="expired"):
        client.check(force=True)
    # Nor does the saved answer count as fresh any more: the client asks again.
    hostile.requests.clear()
    with pytest.raises(StaleAnswerError):
        client.check()
    assert hostile.requests
    # A 304 with a freshly signed statement for the same body re-validates it.
    hostile.always(Scripted(304, statement_headers(ring, body, issued=clock.now), b""))
    assert client.check(force=True).update is not None
    # A 304 without a statement does not.
    hostile.always(Scripted(304, {"ETag": '"e1"'}, b""))
    with pytest.raises(SignatureError):
        client.check(force=True)


# -- mix-and-match: a validly signed file offered as another release ---------------------------

def test_a_vendor_manifest_for_another_release_is_refused_before_downloading(hostile,
                                                                            tmp_path, ring):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    vendor = Ed25519PrivateKey.generate()
    old_manifest = release_manifest("ledgerly", "1.0", WIN, 3, "ab" * 32)
    body = answer(offer="9.9", url=hostile.url + "/old.exe")
    body["update"]["download"].update(
        manifest=old_manifest.decode(),
        manifest_signature=base64.b64encode(vendor.sign(old_manifest)).decode())
    serve(hostile, ring, body)
    client = trusting(hostile, tmp_path, ring, public_keys=[public_key_b64(vendor)])
    update = client.check().update
    hostile.requests.clear()
    with pytest.raises(FileSignatureError, match="mix-and-match"):
        client.download(update, tmp_path / "dl")
    assert hostile.requests == []  # refused before a byte was fetched
    # The same for a manifest that names another platform.
    other = release_manifest("ledgerly", "9.9", "macos-arm64", 3, "ab" * 32)
    forged = replace(update, manifest=other.decode(),
                     manifest_signature=base64.b64encode(vendor.sign(other)).decode())
    with pytest.raises(FileSignatureError, match="platform"):
        client.download(forged, tmp_path / "dl")


# -- the honest server, end to end, across a key rotation --------------------------------------

@pytest.fixture
def app_config(tmp_path):
    generate(tmp_path / "server-keys")
    return {"SERVER_KEYS_DIR": str(tmp_path / "server-keys")}


def restart(app, folder):
    """What a server restart does for the keys: load the folder, drop cached answers."""
    runtime(app).keyring = Keyring.load(folder)
    runtime(app).catalogs.clear()


def honest(live_server, tmp_path, keys, **kw):
    return UpdateClient(live_server.url, "ledgerly", "2.0.0", platform=WIN,
                        state_dir=tmp_path / "state", server_keys=keys, **kw)


def test_the_honest_server_passes_across_a_key_rotation(app, live_server, api, product,
                                                        tmp_path):
    folder = tmp_path / "server-keys"
    upload_release(api, "2.0.0", b"old")
    upload_release(api, "2.0.1", b"new bytes")
    (old,) = Keyring.load(folder).keys
    published = requests_get(live_server.url + "/api/v1/keys")["keys"]
    assert [k["public_key"] for k in published] == [old.public_key]
    first = honest(live_server, tmp_path, [old.public_key])
    assert first.check().update.version == "2.0.1"
    # 304 re-validation with the server's real statement.
    assert first.check(force=True).update.version == "2.0.1"

    # 1. Add the successor; both keys sign and are published.
    new = generate(folder)
    restart(app, folder)
    assert len(requests_get(live_server.url + "/api/v1/keys")["keys"]) == 2
    assert first.check(force=True).update is not None
    assert honest(live_server, tmp_path, [new.public_key]).check(force=True).update
    # 2. Retire the old key: apps that trust the new one keep working, the old one is gone.
    retire(folder, old.id)
    restart(app, folder)
    assert honest(live_server, tmp_path, [old.public_key, new.public_key]).check(
        force=True).update is not None
    with pytest.raises(SignatureError):
        honest(live_server, tmp_path, [old.public_key]).check(force=True)


def test_the_cli_verifies_with_server_keys(app, live_server, api, product, tmp_path):
    import subprocess
    import sys

    upload_release(api, "2.0.0", b"old")
    upload_release(api, "2.0.1", b"new bytes")
    (key,) = runtime(app).keyring.keys
    base = [sys.executable, "-m", "updatesrv_client", "check", "--server", live_server.url,
            "--product", "ledgerly", "--version", "2.0.0", "--platform", WIN]
    ok = subprocess.run([*base, "--server-key", key.public_key], capture_output=True,
                        text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "Update available: ledgerly 2.0.1" in ok.stdout
    stranger = base64.b64encode(b"\x01" * 32).decode()
    refused = subprocess.run([*base, "--server-key", stranger], capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 1 and "trusted server key" in refused.stderr
    assert "Traceback" not in refused.stderr


def requests_get(url):
    import requests

    return requests.get(url, timeout=10).json()


def test_keygen_server_is_the_rotation_command(app, tmp_path, monkeypatch):
    from click.testing import CliRunner

    monkeypatch.setenv("UPDATESRV_SERVER_KEYS_DIR", json.dumps(str(tmp_path / "server-keys")))
    out = CliRunner().invoke(updatesrv_main, ["keygen", "--server"])
    assert out.exit_code == 0 and "public key:" in out.output

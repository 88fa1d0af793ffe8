"""Tauri's dynamic JSON (shape as plugins/updater/src/updater.rs reads it; signature
verified with Debian's minisign over the served file) and Squirrel.Mac's 200/204 across
rollout, yank and emergency stop."""

from __future__ import annotations

import base64
import datetime as dt
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import Api, LiveServer
from tests.feeds.conftest import payload, release_with_files
from tests.feeds.test_electron_updater import staging_id


@pytest.fixture
def minisign_key(tmp_path: Path) -> Path:
    if shutil.which("minisign") is None:
        pytest.skip("Debian's minisign is needed (apt-get install minisign; .ci/run does)")
    keys = tmp_path / "keys"
    keys.mkdir()
    subprocess.run(["minisign", "-G", "-W", "-p", str(keys / "tauri.pub"), "-s",
                    str(keys / "tauri.key")], check=True, capture_output=True)
    return keys


def signed(keys: Path, data: bytes, name: str) -> str:
    path = keys / name
    path.write_bytes(data)
    subprocess.run(["minisign", "-S", "-s", str(keys / "tauri.key"), "-m", str(path)],
                   check=True, capture_output=True)
    # What `tauri signer sign` writes to the .sig file: base64 of the signature file.
    return base64.b64encode((keys / f"{name}.minisig").read_bytes()).decode()


def test_tauri_shape_and_signature_verify_with_minisign(
        api: Api, feed_product: str, live_server: LiveServer, minisign_key: Path,
        tmp_path: Path) -> None:
    files = {"linux-x86_64": "ledgerly_1.1.0_amd64.AppImage",
             "macos-arm64": "Ledgerly.app.tar.gz"}
    release_with_files(api, feed_product, "1.0", dict(files))
    form = {p: {"minisign_signature": signed(minisign_key, payload("1.1", p), f"{p}.bin")}
            for p in files}
    release_with_files(api, feed_product, "1.1", dict(files), form=form, notes="Sync fix.")

    url = f"{live_server.url}/u/{feed_product}/tauri/linux/x86_64/1.0.0"
    with urllib.request.urlopen(url) as response:
        assert response.status == 200
        body = response.read()
    import json
    release = json.loads(body)
    assert set(release) == {"version", "notes", "pub_date", "url", "signature"}
    assert release["version"] == "1.1.0" and "Sync fix." in release["notes"]
    dt.datetime.fromisoformat(release["pub_date"].replace("Z", "+00:00"))
    assert release["url"].endswith("/ledgerly_1.1.0_amd64.AppImage")

    # Download what the feed names and verify the served signature with minisign.
    with urllib.request.urlopen(release["url"]) as response:
        (tmp_path / "update.bin").write_bytes(response.read())
    (tmp_path / "update.bin.minisig").write_bytes(base64.b64decode(release["signature"]))
    done = subprocess.run(["minisign", "-V", "-p", str(minisign_key / "tauri.pub"), "-m",
                           str(tmp_path / "update.bin")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Signature and comment signature verified" in done.stdout

    # darwin/aarch64 maps onto macos-arm64; the newest install gets 204.
    with urllib.request.urlopen(f"{live_server.url}/u/{feed_product}/tauri/darwin/aarch64/"
                                "1.0.0") as response:
        assert json.loads(response.read())["url"].endswith("/Ledgerly.app.tar.gz")
    with urllib.request.urlopen(f"{live_server.url}/u/{feed_product}/tauri/linux/x86_64/"
                                "1.1.0") as response:
        assert response.status == 204


def test_tauri_without_a_signature_offers_nothing_and_bad_paths_are_clear(
        api: Api, feed_product: str, client: FlaskClient) -> None:
    release_with_files(api, feed_product, "1.0", {"linux-x86_64": "a.AppImage"})
    release_with_files(api, feed_product, "1.1", {"linux-x86_64": "b.AppImage"})
    assert client.get(f"/u/{feed_product}/tauri/linux/x86_64/1.0.0").status_code == 204
    bad = client.get(f"/u/{feed_product}/tauri/plan9/x86_64/1.0.0")
    assert bad.status_code == 400 and bad.json["field"] == "target"
    bad = client.get(f"/u/{feed_product}/tauri/linux/x86_64/not-a-version")
    assert bad.status_code == 400 and bad.json["field"] == "current_version"


def test_squirrel_200_204_across_rollout_yank_and_emergency_stop(
        api: Api, feed_product: str, client: FlaskClient) -> None:
    files = {"macos-arm64": "Ledgerly-mac.zip"}
    release_with_files(api, feed_product, "1.0", dict(files))
    release_with_files(api, feed_product, "1.1", dict(files), rollout_percent=25,
                       notes="Faster.")
    base = f"/u/{feed_product}/squirrel/darwin-arm64"

    inside = staging_id(feed_product, "1.1", True, 25)
    outside = staging_id(feed_product, "1.1", False, 25)
    offered = client.get(f"{base}/1.0?install_id={inside}")
    assert offered.status_code == 200
    assert offered.json["name"] == "1.1" and offered.json["url"].endswith("/Ledgerly-mac.zip")
    assert offered.json["notes"].startswith("Faster.") and offered.json["pub_date"]
    assert client.get(f"{base}/1.0?install_id={outside}").status_code == 204
    assert client.get(f"{base}/1.0").status_code == 204  # no id: full rollouts only
    assert client.get(f"{base}/1.1?install_id={inside}").status_code == 204

    api.patch(f"/api/v1/products/{feed_product}/releases/1.1", json={"rollout_percent": 100})
    assert client.get(f"{base}/1.0").status_code == 200
    # Yanked: the install on 1.1 is moved back to 1.0 (Squirrel installs what it is given).
    api.patch(f"/api/v1/products/{feed_product}/releases/1.1",
              json={"yanked": True, "yank_reason": "crash on launch"})
    moved = client.get(f"{base}/1.1")
    assert moved.status_code == 200 and moved.json["name"] == "1.0"
    assert client.get(f"{base}/1.0").status_code == 204

    release_with_files(api, feed_product, "1.2", dict(files))
    assert client.get(f"{base}/1.0").status_code == 200
    api.post(f"/api/v1/products/{feed_product}/channels/stable/stop", json={"reason": "x"})
    assert client.get(f"{base}/1.0").status_code == 204
    assert client.get(f"{base}/1.1").status_code == 204  # not even the yanked install
    api.delete(f"/api/v1/products/{feed_product}/channels/stable/stop")
    assert client.get(f"{base}/1.0").status_code == 200


def test_switched_off_formats_answer_404(api: Api, client: FlaskClient) -> None:
    api.post("/api/v1/products", json={"slug": "quiet", "name": "Quiet"})
    response = client.get("/u/quiet/squirrel/darwin-arm64/1.0")
    assert response.status_code == 404
    assert "switched off" in response.json["detail"]
    assert client.get("/u/nope/electron/latest.yml").status_code == 404

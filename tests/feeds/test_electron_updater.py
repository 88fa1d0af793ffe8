"""The real electron-updater (npm, pinned in tests/feeds/node/package-lock.json) in plain
Node against a live server: finds, downloads and verifies sha512; a staging id outside
the rollout is offered nothing; a yanked install is moved; a wrong sha512 is refused."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api, LiveServer
from tests.feeds.conftest import payload, release_with_files
from updatesrv.updates.decision import rollout_bucket

NODE_DIR = Path(__file__).parent / "node"


@pytest.fixture(scope="session")
def node_modules() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed for the electron-updater tests")
    if not (NODE_DIR / "node_modules" / "electron-updater").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True,
                       capture_output=True, timeout=300)
    return NODE_DIR / "node_modules"


def electron_check(tmp_path: Path, feed_url: str, version: str, **options: Any) -> Any:
    args = {"dir": str(tmp_path / f"app-{uuid.uuid4().hex[:8]}"), "version": version,
            "feedUrl": feed_url, **options}
    done = subprocess.run(["node", str(NODE_DIR / "electron_check.js"), json.dumps(args)],
                          capture_output=True, text=True, timeout=60, cwd=NODE_DIR)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def staging_id(product: str, version: str, inside: bool, percent: int) -> str:
    """A UUID (electron-updater's staging id format) whose sticky bucket for this
    release is inside or outside the rollout."""
    for n in range(10000):
        candidate = str(uuid.UUID(int=n * 7919 + 1, version=4))
        if (rollout_bucket(candidate, product, version) < percent * 100) == inside:
            return candidate
    raise AssertionError("no staging id found")


def test_finds_downloads_and_verifies_sha512(node_modules: Path, api: Api, feed_product: str,
                                             live_server: LiveServer, tmp_path: Path) -> None:
    release_with_files(api, feed_product, "1.0")
    release_with_files(api, feed_product, "1.1", notes="Faster sync.")
    feed = f"{live_server.url}/u/{feed_product}/electron/?version=1.0.0"
    result = electron_check(tmp_path, feed, "1.0.0", download=True)
    assert result["error"] is None, result
    assert result["available"] and result["version"] == "1.1.0"
    downloaded = Path(result["downloaded"])
    assert downloaded.read_bytes() == payload("1.1", "windows-x86_64")
    expected = hashlib.sha512(payload("1.1", "windows-x86_64")).digest()
    import base64
    assert result["files"][0]["sha512"] == base64.b64encode(expected).decode()
    assert "Faster sync." in result["releaseNotes"]

    # The newest install hears nothing.
    current = electron_check(tmp_path, f"{live_server.url}/u/{feed_product}/electron/"
                             "?version=1.1.0", "1.1.0")
    assert current["error"] is None and current["available"] is False


def test_wrong_sha512_is_refused_by_the_updater(node_modules: Path, api: Api,
                                               feed_product: str, live_server: LiveServer,
                                               tmp_path: Path) -> None:
    release_with_files(api, feed_product, "1.0")
    # An external URL (here: our own download of 1.0) registered with a wrong sha512.
    response = api.post(f"/api/v1/products/{feed_product}/releases", json={
        "version": "1.2", "artifacts": [{
            "platform": "windows-x86_64",
            "url": f"{live_server.url}/downloads/{feed_product}/1.0/windows-x86_64/"
                   "Ledgerly-Setup-1.0.exe",
            "size": len(payload("1.0", "windows-x86_64")), "sha256": "0" * 64,
            "sha512": "ab" * 64}]})
    assert response.status_code == 201, response.json
    result = electron_check(tmp_path, f"{live_server.url}/u/{feed_product}/electron/"
                            "?version=1.0.0", "1.0.0", download=True)
    assert result["available"] is True
    assert result["downloaded"] is None
    assert "sha512 checksum mismatch" in result["error"]


def test_staging_id_outside_the_rollout_is_offered_nothing(
        node_modules: Path, api: Api, feed_product: str, live_server: LiveServer,
        tmp_path: Path) -> None:
    release_with_files(api, feed_product, "1.0")
    release_with_files(api, feed_product, "2.0", rollout_percent=30)
    feed = f"{live_server.url}/u/{feed_product}/electron/?version=1.0.0"
    outside = electron_check(tmp_path, feed, "1.0.0",
                             stagingId=staging_id(feed_product, "2.0", False, 30))
    assert outside["error"] is None and outside["available"] is False, outside
    inside = electron_check(tmp_path, feed, "1.0.0", download=True,
                            stagingId=staging_id(feed_product, "2.0", True, 30))
    assert inside["error"] is None and inside["available"] is True
    assert inside["version"] == "2.0.0" and inside["downloaded"]
    # The per-install decision leaves no percentage for the updater to re-apply.
    assert inside["stagingPercentage"] is None


def test_yanked_install_is_moved(node_modules: Path, api: Api, feed_product: str,
                                 live_server: LiveServer, tmp_path: Path) -> None:
    release_with_files(api, feed_product, "1.0")
    release_with_files(api, feed_product, "1.1")
    response = api.patch(f"/api/v1/products/{feed_product}/releases/1.1",
                         json={"yanked": True, "yank_reason": "corrupts ledgers"})
    assert response.status_code == 200, response.json
    feed = f"{live_server.url}/u/{feed_product}/electron/?version=1.1.0"
    moved = electron_check(tmp_path, feed, "1.1.0", allowDowngrade=True, download=True)
    assert moved["error"] is None and moved["available"] is True, moved
    assert moved["version"] == "1.0.0"
    assert Path(moved["downloaded"]).read_bytes() == payload("1.0", "windows-x86_64")


def test_emergency_stop_offers_nothing(node_modules: Path, api: Api, feed_product: str,
                                       live_server: LiveServer, tmp_path: Path) -> None:
    release_with_files(api, feed_product, "1.0")
    release_with_files(api, feed_product, "1.1")
    response = api.post(f"/api/v1/products/{feed_product}/channels/stable/stop",
                        json={"reason": "bad build"})
    assert response.status_code in (200, 201), response.json
    result = electron_check(tmp_path, f"{live_server.url}/u/{feed_product}/electron/"
                            "?version=1.0.0", "1.0.0")
    assert result["error"] is None and result["available"] is False

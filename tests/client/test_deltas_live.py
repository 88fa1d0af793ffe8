"""The client and server-made deltas end to end (issue 27): the server builds the patch,
the check offers it, the client fetches only the patch, rebuilds the file from the
installed one and verifies the RESULT (size, SHA-256, vendor signature); any failure
(missing or altered base, altered or wrong patch, interruption) ends in the full download,
never in a wrong file."""

from __future__ import annotations

import base64
import hashlib
import socket
from dataclasses import replace
from pathlib import Path

import pytest
from updatesrv_client import UpdateClient

from updatesrv import runtime
from updatesrv.deltas.patching import build_patch
from updatesrv.scheduling.runner import build_deltas

from ..deltas.helpers import build_bytes
from .test_live import WIN, RecordingSession, _keys, upload_release

OLD, NEW = build_bytes(0), build_bytes(1)


@pytest.fixture
def signed(app, api, product):
    key, public = _keys()
    api.patch("/api/v1/products/ledgerly", json={"signing_keys": [public]})
    upload_release(api, "1.0", OLD, base64.b64encode(key.sign(OLD)).decode())
    upload_release(api, "1.1", NEW, base64.b64encode(key.sign(NEW)).decode())
    assert build_deltas(app)["deltas_built"] == 1
    return public


def _client(live_server, tmp_path, public, session=None):
    return UpdateClient(live_server.url, "ledgerly", "1.0", platform=WIN,
                        state_dir=tmp_path / "state", public_keys=[public],
                        session=session or RecordingSession())


def _installed(tmp_path: Path, data: bytes = OLD) -> Path:
    path = tmp_path / "installed" / "ledgerly-1.0.exe"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path



class UrlSession(RecordingSession):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[int, str]] = []

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        self.urls.append((response.status_code, url))
        return response


def test_only_the_delta_is_downloaded_and_the_result_verified(live_server, signed, tmp_path):
    session = UrlSession()
    client = _client(live_server, tmp_path, signed, session)
    update = client.check().update
    assert update.delta is not None and update.delta.from_version == "1.0"
    assert update.delta.size < len(NEW) / 10
    seen: list[tuple[int, int]] = []
    path = client.download(update, tmp_path / "dl", installed_file=_installed(tmp_path),
                           progress=lambda done, total: seen.append((done, total)))
    assert path.read_bytes() == NEW
    fetched = [url for _, url in session.urls if "/downloads/" in url]
    assert fetched == [update.delta.url]  # never the full file
    assert seen[-1] == (update.delta.size, update.delta.size)
    assert sorted(p.name for p in (tmp_path / "dl").iterdir()) == [path.name]


@pytest.mark.parametrize("base", ["missing", "altered"])
def test_without_the_right_base_the_full_file_is_downloaded(live_server, signed, tmp_path,
                                                             base):
    session = UrlSession()
    client = _client(live_server, tmp_path, signed, session)
    update = client.check().update
    installed = (tmp_path / "nowhere.exe" if base == "missing"
                 else _installed(tmp_path, OLD[:-5] + b"EVIL!"))
    path = client.download(update, tmp_path / "dl", installed_file=installed)
    assert path.read_bytes() == NEW
    fetched = [url for _, url in session.urls if "/downloads/" in url]
    assert fetched == [update.download_url]


def test_an_altered_delta_falls_back_to_the_full_file(app, live_server, signed, tmp_path):
    client = _client(live_server, tmp_path, signed)
    update = client.check().update
    store = runtime(app).store
    stored = next(store.root.glob("deltas/*/*.zst"))
    stored.write_bytes(stored.read_bytes()[:-3] + b"bad")  # same size, other bytes
    path = client.download(update, tmp_path / "dl", installed_file=_installed(tmp_path))
    assert path.read_bytes() == NEW
    assert sorted(p.name for p in (tmp_path / "dl").iterdir()) == [path.name]


def test_a_patch_to_another_file_never_becomes_the_update(app, live_server, signed, tmp_path):
    """A patch that is intact and applies cleanly but rebuilds other bytes (a compromised
    server or storage sending its own patch with matching digests) fails the result's
    SHA-256 and signature checks: the full, signed file is downloaded instead."""
    client = _client(live_server, tmp_path, signed)
    update = client.check().update
    work = tmp_path / "evil"
    work.mkdir()
    (work / "base").write_bytes(OLD)
    (work / "target").write_bytes(NEW[:-5] + b"EVIL!")
    digest = build_patch(work / "base", work / "target", work / "patch")
    stored = next(runtime(app).store.root.glob("deltas/*/*.zst"))
    stored.write_bytes((work / "patch").read_bytes())
    forged = replace(update, delta=replace(update.delta, sha256=digest,
                                           size=(work / "patch").stat().st_size))
    path = client.download(forged, tmp_path / "dl", installed_file=_installed(tmp_path))
    assert path.read_bytes() == NEW


def test_an_interrupted_delta_resumes_with_range(live_server, signed, tmp_path):
    session = UrlSession()
    client = _client(live_server, tmp_path, signed, session)
    update = client.check().update
    dest = tmp_path / "dl"
    dest.mkdir()
    import requests

    patch = requests.get(update.delta.url, timeout=30).content
    (dest / "ledgerly-1.1.exe.delta.part").write_bytes(patch[:100])
    path = client.download(update, dest, installed_file=_installed(tmp_path))
    assert path.read_bytes() == NEW
    assert session.log[-1][0] == 206 and session.log[-1][1]["Range"] == "bytes=100-"
    assert sorted(p.name for p in dest.iterdir()) == [path.name]


def test_an_unreachable_delta_falls_back_and_keeps_the_part(live_server, signed, tmp_path):
    client = _client(live_server, tmp_path, signed)
    update = client.check().update
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    gone = replace(update, delta=replace(update.delta,
                                         url=f"http://127.0.0.1:{port}/patch.zst"))
    dest = tmp_path / "dl"
    dest.mkdir()
    (dest / "ledgerly-1.1.exe.delta.part").write_bytes(b"x")
    path = client.download(gone, dest, installed_file=_installed(tmp_path))
    assert path.read_bytes() == NEW
    # The full download succeeded, so the partial delta is no longer needed.
    assert sorted(p.name for p in dest.iterdir()) == [path.name]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == update.sha256

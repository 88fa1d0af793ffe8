"""electron-updater's differential download against a live server (issue 27): uploaded
``.blockmap`` files are served next to their installer, ``blockMapSize`` is in latest.yml,
and the real electron-updater fetches only the changed blocks with multi-range requests
(answered as multipart/byteranges), then checks the result with its own sha512."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.conftest import Api, LiveServer
from tests.deltas.helpers import build_bytes
from tests.feeds.conftest import release_with_files
from tests.feeds.test_electron_updater import electron_check, node_modules  # noqa: F401

WIN = "windows-x86_64"


def blockmap(data: bytes) -> bytes:
    """What electron-builder writes beside an installer: gzipped JSON listing the file's
    blocks (content-defined chunks, each with a digest and size). Boundaries here come from
    a rolling sum over the content, so an edit moves no boundary outside its neighbourhood."""
    sizes, checksums = [], []
    start, rolling = 0, 0
    for index, byte in enumerate(data):
        rolling = ((rolling << 1) + byte) & 0xFFFFFFFF
        if (index - start >= 2048 and rolling & 0x1FFF == 0) or index - start >= 32768 \
                or index == len(data) - 1:
            block = data[start:index + 1]
            sizes.append(len(block))
            checksums.append(base64.b64encode(hashlib.sha256(block).digest()[:18]).decode())
            start = index + 1
    return gzip.compress(json.dumps({"version": "2", "files": [
        {"name": "file", "offset": 0, "checksums": checksums, "sizes": sizes}]}).encode())


def _release(api: Api, product: str, version: str, data: bytes) -> None:
    name = f"Ledgerly-Setup-{version}.exe"
    release_with_files(api, product, version,
                       {WIN: name, f"{WIN}:blockmap": f"{name}.blockmap"},
                       contents={WIN: data, f"{WIN}:blockmap": blockmap(data)})


@pytest.fixture
def two_releases(api: Api, feed_product: str) -> tuple[bytes, bytes]:
    old, new = build_bytes(0, 400_000), build_bytes(1, 400_000)
    _release(api, feed_product, "1.0.0", old)
    _release(api, feed_product, "1.1.0", new)
    return old, new


def test_blockmaps_are_served_and_listed(api: Api, feed_product: str, two_releases) -> None:
    feed = api.client.get(f"/u/{feed_product}/electron/latest.yml?version=1.0.0")
    size = int(re.search(r"blockMapSize: (\d+)", feed.text)[1])
    served = api.client.get(
        f"/downloads/{feed_product}/1.1.0/{WIN}/Ledgerly-Setup-1.1.0.exe.blockmap")
    assert served.status_code == 200 and len(served.data) == size
    assert gzip.decompress(served.data).startswith(b'{"version": "2"')
    # The blockmap is never offered as the update itself.
    assert "Ledgerly-Setup-1.1.0.exe\"" in feed.text
    assert api.client.get("/api/v1/products/ledgerly/check?version=1.0.0&platform="
                          + WIN).json["update"]["download"]["url"].endswith(".exe")


def test_several_ranges_come_back_as_multipart_byteranges(api: Api, feed_product: str,
                                                          two_releases) -> None:
    _, new = two_releases
    url = f"/downloads/{feed_product}/1.1.0/{WIN}/Ledgerly-Setup-1.1.0.exe"
    answer = api.client.get(url, headers={"Range": "bytes=0-9,100-199,-5"})
    assert answer.status_code == 206
    boundary = answer.headers["Content-Type"].split("boundary=")[1]
    parts = answer.data.split(f"--{boundary}".encode())[1:-1]
    bodies = [p.split(b"\r\n\r\n", 1)[1][:-2] for p in parts]
    assert bodies == [new[0:10], new[100:200], new[-5:]]
    assert b"Content-Range: bytes 100-199/400000" in parts[1]


@pytest.mark.usefixtures("node_modules")
def test_electron_updater_downloads_only_the_changed_blocks(
        api: Api, feed_product: str, two_releases,
        live_server: LiveServer, tmp_path: Path) -> None:
    old, new = two_releases
    installed = tmp_path / "installer-1.0.0.exe"
    installed.write_bytes(old)
    feed = f"{live_server.url}/u/{feed_product}/electron/?version=1.0.0"
    result = electron_check(tmp_path, feed, "1.0.0", download=True,
                            oldInstaller=str(installed))
    assert result["error"] is None, result
    assert Path(result["downloaded"]).read_bytes() == new  # after its own sha512 check
    log = "\n".join(result["log"])
    assert re.search(r"File has \d+ changed blocks", log), log
    share = int(re.search(r"To download: .*\((\d+)%\)", log)[1])
    assert share < 50, log


def test_the_release_page_offers_no_blockmap_to_people(api: Api, feed_product: str,
                                                       two_releases) -> None:
    page = api.client.get(f"/p/{feed_product}/releases/1.1.0").text
    assert "Ledgerly-Setup-1.1.0.exe\"" in page and ".blockmap\"" not in page
    listing = api.client.get(f"/p/{feed_product}/").text
    assert ".blockmap\"" not in listing

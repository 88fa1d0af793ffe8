"""Range requests on downloads follow RFC 9110: an unsatisfiable range is a 416 that keeps
``Content-Range: bytes */length``; a malformed range or another unit is ignored (200)."""

from __future__ import annotations

import io

import pytest

PAYLOAD = bytes(range(256)) * 40
URL = "/downloads/ledgerly/1.0/any/a.bin"


@pytest.fixture
def download(api, product):
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    response = api.post("/api/v1/products/ledgerly/releases/1.0/artifacts",
                        data={"platform": "any", "file": (io.BytesIO(PAYLOAD), "a.bin")})
    assert response.status_code == 201
    api.patch("/api/v1/products/ledgerly/releases/1.0", json={"draft": False})
    return api.client


def test_unsatisfiable_range_keeps_content_range(download):
    response = download.get(URL, headers={"Range": f"bytes={len(PAYLOAD) + 10}-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(PAYLOAD)}"
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("header", ["bytes=abc", "items=0-1", "bytes=5-2", "bytes", "=0-1"])
def test_malformed_or_foreign_ranges_are_ignored(download, header):
    response = download.get(URL, headers={"Range": header})
    assert response.status_code == 200, (header, response.status_code)
    assert response.data == PAYLOAD and "Content-Range" not in response.headers


def test_valid_range_still_works(download):
    response = download.get(URL, headers={"Range": "bytes=10-19"})
    assert response.status_code == 206 and response.data == PAYLOAD[10:20]
    assert response.headers["Content-Range"] == f"bytes 10-19/{len(PAYLOAD)}"


def test_several_satisfiable_ranges_are_one_multipart_answer(download):
    response = download.get(URL, headers={"Range": "bytes=0-1,3-4"})
    assert response.status_code == 206
    assert response.mimetype == "multipart/byteranges"
    boundary = response.mimetype_params["boundary"]
    parts = [p for p in response.data.split(f"--{boundary}".encode()) if p.strip(b"-\r\n")]
    assert len(parts) == 2
    for part, (start, end) in zip(parts, [(0, 1), (3, 4)], strict=True):
        head, _, body = part.partition(b"\r\n\r\n")
        assert f"Content-Range: bytes {start}-{end}/{len(PAYLOAD)}".encode() in head
        assert body.rstrip(b"\r\n") == PAYLOAD[start:end + 1]


@pytest.mark.parametrize("header", ["bytes=-0", "bytes=-0,-0"])
def test_an_empty_suffix_range_is_unsatisfiable(download, header):
    # RFC 9110 14.1.1: a suffix-length of 0 selects nothing, so the set is unsatisfiable.
    response = download.get(URL, headers={"Range": header})
    assert response.status_code == 416, (header, response.status_code)
    assert response.headers["Content-Range"] == f"bytes */{len(PAYLOAD)}"


def test_an_empty_suffix_beside_other_ranges_is_left_out(download):
    response = download.get(URL, headers={"Range": "bytes=10-19, -0"})
    assert response.status_code == 206 and response.data == PAYLOAD[10:20]
    assert response.headers["Content-Range"] == f"bytes 10-19/{len(PAYLOAD)}"

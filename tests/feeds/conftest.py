"""A product with every compatible feed switched on, and helpers to publish releases with
real uploaded files (so sha512/sha1 are computed by the server)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.conftest import Api

FEEDS = ["sparkle", "electron", "squirrel", "tauri", "velopack"]


@pytest.fixture
def feed_product(api: Api) -> str:
    response = api.post("/api/v1/products", json={
        "slug": "ledgerly", "name": "Ledgerly", "feed_formats": FEEDS})
    assert response.status_code == 201, response.json
    return "ledgerly"


def payload(version: str, platform: str, kind: str = "full") -> bytes:
    return f"ledgerly {version} {platform} {kind} ".encode() * 50


def release_with_files(api: Api, product: str, version: str,
                       files: dict[str, str] | None = None, *, kinds: dict[str, str] | None = None,
                       form: dict[str, dict[str, str]] | None = None,
                       contents: dict[str, bytes] | None = None, **fields: Any) -> dict[str, Any]:
    """Creates a draft, uploads one file per platform (name from ``files``), publishes."""
    files = files or {"windows-x86_64": f"Ledgerly-Setup-{version}.exe"}
    create = {k: fields.pop(k) for k in ("channel", "notes") if k in fields}
    response = api.post(f"/api/v1/products/{product}/releases",
                        json={"version": version, "draft": True, **create})
    assert response.status_code == 201, response.json
    for key, name in files.items():
        platform, _, kind = key.partition(":")
        kind = kind or (kinds or {}).get(platform, "full")
        data = (contents or {}).get(key) or payload(version, platform, kind)
        extra = (form or {}).get(key, {})
        response = api.post(
            f"/api/v1/products/{product}/releases/{version}/artifacts",
            data={"platform": platform, "kind": kind, **extra,
                  "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data")
        assert response.status_code == 201, response.json
    response = api.patch(f"/api/v1/products/{product}/releases/{version}",
                         json={"draft": False, **fields})
    assert response.status_code == 200, response.json
    return dict(response.json)

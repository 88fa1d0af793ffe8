"""Releases with uploaded files whose bytes differ a little, as consecutive builds do."""

from __future__ import annotations

import io
import random
from typing import Any

PLATFORM = "windows-x86_64"


def build_bytes(version: int, size: int = 300_000) -> bytes:
    """The same pseudo-random program each time, with a few scattered spans changed per
    version (a patch is a small fraction of the file; the whole file compresses poorly)."""
    data = bytearray(random.Random(27).randbytes(size))
    rng = random.Random(version)
    for _ in range(version * 3):
        at = rng.randrange(size - 600)
        data[at:at + 500] = rng.randbytes(500)
    return bytes(data)


def publish_uploaded(api: Any, product: str, version: str, payload: bytes,
                     platform: str = PLATFORM, **fields: Any) -> None:
    created = api.post(f"/api/v1/products/{product}/releases",
                       json={"version": version, "draft": True, **fields})
    assert created.status_code == 201, created.json
    uploaded = api.post(f"/api/v1/products/{product}/releases/{version}/artifacts",
                        data={"platform": platform,
                              "file": (io.BytesIO(payload), f"setup-{version}.exe")})
    assert uploaded.status_code == 201, uploaded.json
    published = api.patch(f"/api/v1/products/{product}/releases/{version}",
                          json={"draft": False})
    assert published.status_code == 200, published.json

"""The release manifest a vendor signs instead of (or beside) the file's bytes: it names the
product, version, platform, size and SHA-256, so a valid signature cannot be replayed for
another release (TUF's mix-and-match attack)."""

from __future__ import annotations

import json


def release_manifest(product: str, version: str, platform: str, size: int,
                     sha256: str) -> bytes:
    """Canonical JSON: keys sorted, no spaces, ASCII only, UTF-8. The exact bytes signed."""
    return json.dumps({"product": product, "version": version, "platform": platform,
                       "size": size, "sha256": sha256.lower()},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()

"""Builds in-memory catalogs for the pure decision tests (no database, no Flask)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from packaging.version import Version

from updatesrv.updates.catalog import Catalog, CatalogArtifact, CatalogRelease
from updatesrv.versions import version_key

T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def rel(version: str, channel: str = "stable", platforms: tuple[str, ...] = ("windows-x86_64",),
        critical: bool = False, yanked: bool = False,
        publish_at: dt.datetime | None = None, **extra: Any) -> CatalogRelease:
    return CatalogRelease(
        id=abs(hash(version)) % 10**9, version=Version(version), version_text=version,
        channel=channel, critical=critical,
        yanked=yanked, notes=f"notes {version}", published_at=publish_at or T0,
        publish_at=publish_at,
        artifacts={p: CatalogArtifact(platform=p, url=f"https://cdn/{version}/{p}",
                                      external=True, size=1, sha256="0" * 64, signature=None)
                   for p in platforms}, **extra)


def catalog(*releases: CatalogRelease, minimum: str | None = None,
            channels: tuple[str, ...] = ("stable", "beta", "nightly"), **extra: Any) -> Catalog:
    ordered = tuple(sorted(releases, key=lambda r: r.version, reverse=True))
    return Catalog(product_id=1, slug="ledgerly", name="Ledgerly", revision=1,
                   channels=channels, minimum_supported=Version(minimum) if minimum else None,
                   releases=ordered, by_key={version_key(r.version): r for r in ordered},
                   **extra)

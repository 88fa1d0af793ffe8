"""The check endpoint's wire format, a contract third-party clients rely on."""

from __future__ import annotations

from typing import Any

from ..timeutil import rfc3339
from .catalog import Catalog
from .decision import Decision


def absolute(url: str, base_url: str) -> str:
    return url if url.startswith(("http://", "https://")) else base_url + url


def check_body(decision: Decision, catalog: Catalog, channel: str, base_url: str,
               check_again_after: int) -> dict[str, Any]:
    installed = decision.installed
    update: dict[str, Any] | None = None
    if decision.update is not None:
        release, artifact = decision.update.release, decision.update.artifact
        update = {
            "version": release.version_text,
            "channel": release.channel,
            "published_at": rfc3339(release.published_at),
            "critical": decision.update.critical,
            "notes": release.notes,
            "notes_url": f"{base_url}/p/{catalog.slug}/releases/{release.version_text}",
            "download": {
                "url": absolute(artifact.url, base_url),
                "size": artifact.size,
                "sha256": artifact.sha256,
                "signature": artifact.signature,
            },
        }
    return {
        "product": catalog.slug,
        "channel": channel,
        "installed": {"version": str(installed.version), "known": installed.known,
                      "yanked": installed.yanked, "supported": installed.supported},
        "update": update,
        "notices": [],
        "check_again_after": check_again_after,
    }

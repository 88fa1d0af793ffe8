"""What each compatible feed can express. An updater that compares SemVer cannot be offered
``1.1.0.post1``, electron-updater verifies sha512, Velopack needs a file name and SHA1,
Tauri refuses an update without its minisign signature. The decision is made over the
releases a feed can serve (``decide(..., servable=...)``), so a newest release a feed
cannot express is skipped and the one before it (say the critical 1.1.0) is still
offered; the console lists what each feed skips and why, from the same function."""

from __future__ import annotations

from collections.abc import Callable

from ..updates.catalog import CatalogArtifact, CatalogRelease
from . import SEMVER_FORMATS

NO_SEMVER = ("it has no SemVer form (epochs, post- and dev-releases, local versions and "
             "four-part numbers have none)")


def why_not_served(fmt: str, release: CatalogRelease, artifact: CatalogArtifact) -> str | None:
    """Why ``fmt`` cannot offer this release's file, or None when it can."""
    if fmt in SEMVER_FORMATS and release.semver is None:
        return NO_SEMVER
    if fmt == "electron" and artifact.sha512 is None:
        return "its file has no sha512, which electron-updater needs to verify it"
    if fmt == "velopack" and (artifact.sha1 is None or not artifact.filename):
        return "its file has no SHA1 or file name, which Velopack needs"
    if fmt == "tauri" and artifact.minisign_signature is None:
        return "its file has no minisign signature, without which Tauri refuses it"
    return None


def servable(fmt: str) -> Callable[[CatalogRelease, CatalogArtifact], bool] | None:
    """The predicate decide() applies for ``fmt`` (None: the format serves everything)."""
    if fmt not in SEMVER_FORMATS:
        return None
    return lambda release, artifact: why_not_served(fmt, release, artifact) is None

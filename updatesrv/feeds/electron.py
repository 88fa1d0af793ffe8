"""electron-updater's generic provider: ``{channel}.yml`` (Windows), ``{channel}-mac.yml``
and ``{channel}-linux.yml`` (electron-builder's channel file names; ``latest`` is the
product's first channel).

electron-updater sends no version of its own, only an ``x-user-staging-id`` header (a
UUID it keeps per install). With ``?version=`` in the feed URL (electron-builder expands
``${version}`` in the publish URL) the server decides for that install: yanks, stepping
stones, holds, notices. With the staging id the rollout is decided here with that id as
the install id; without it the updater gets ``stagingPercentage`` and decides itself.

When nothing is offered the file names the install's own version, so electron-updater
finds nothing newer (its rule: only a different version is an update)."""

from __future__ import annotations

import base64
import json
import re

from flask import Response, request

from ..api.check import parse_install_id
from ..errors import NotFound
from ..timeutil import rfc3339
from ..updates.catalog import Catalog
from ..updates.decision import Decision, UpdateQuery
from ..versions import to_semver
from .common import (
    answer,
    bp,
    cached_response,
    download_url,
    feed_catalog,
    notes_with_notices,
    now,
    parse_channel,
    parse_feed_version,
    record_check,
    resolve_platform,
)

CHANNEL_FILE_RE = re.compile(
    r"^(?P<channel>[a-z0-9][a-z0-9_-]*?)(?:-(?P<os>mac|linux))?(?:-(?P<arch>arm64|armv7l|ia32|x64))?\.yml$")
OS_BY_SUFFIX = {None: "windows", "mac": "macos", "linux": "linux"}
ARCH_BY_SUFFIX = {None: None, "arm64": "aarch64", "armv7l": "armv7", "ia32": "i686",
                  "x64": "x86_64"}


def _quote(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(value, ensure_ascii=False)


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def render(decision: Decision, catalog: Catalog, base: str, client_side_rollout: bool) -> bytes:
    offer = decision.update
    semver = offer.release.semver if offer is not None else None
    if offer is None or semver is None or offer.artifact.sha512 is None:
        # Nothing this updater can install: name the install's own version.
        installed = decision.installed.version
        current = to_semver(installed) if installed is not None else None
        return f"version: {_quote(current or '0.0.0')}\nfiles: []\n".encode()
    release, artifact = offer.release, offer.artifact
    url = download_url(artifact.url, base)
    sha512 = _b64(offer.artifact.sha512)
    notes = notes_with_notices(release.notes, decision, catalog, base)
    lines = [
        f"version: {_quote(semver)}",
        "files:",
        f"  - url: {_quote(url)}",
        f"    sha512: {_quote(sha512)}",
        f"    size: {artifact.size}",
        *([f"    blockMapSize: {artifact.blockmap_size}"] if artifact.blockmap_size else []),
        f"path: {_quote(url)}",
        f"sha512: {_quote(sha512)}",
        f"releaseDate: {_quote(rfc3339(release.published_at) or '')}",
        f"releaseName: {_quote(release.version_text)}",
        f"releaseNotes: {_quote(notes)}",
    ]
    if client_side_rollout and release.rollout_percent < 100 and not offer.critical:
        # No staging id came, so the updater applies the percentage itself.
        lines.append(f"stagingPercentage: {release.rollout_percent}")
    return ("\n".join(lines) + "\n").encode()


def _serve(product: str, filename: str) -> Response:
    match = CHANNEL_FILE_RE.match(filename)
    if match is None:
        raise NotFound(f"no electron-updater file {filename!r}: ask for {{channel}}.yml, "
                       "{channel}-mac.yml or {channel}-linux.yml")
    catalog = feed_catalog(product, "electron")
    channel = parse_channel(catalog, match["channel"])
    platform = resolve_platform(catalog, OS_BY_SUFFIX[match["os"]],
                                ARCH_BY_SUFFIX[match["arch"]], field="filename")
    version = parse_feed_version(request.args.get("version"))
    staging_id = parse_install_id(request.headers.get("x-user-staging-id"),
                                  "x-user-staging-id")
    query = UpdateQuery(version=version, channel=channel, platform=platform, now=now(),
                        install_id=staging_id, client_side_rollout=staging_id is None)
    body, etag = answer("electron", catalog, query, (platform,),
                        lambda decision, base: render(decision, catalog, base,
                                                             query.client_side_rollout))
    record_check(catalog, query)
    response = cached_response(body, etag, "text/yaml")
    response.headers["Vary"] = "x-user-staging-id"
    return response


@bp.get("/electron/<filename>")
def electron_channel_file(product: str, filename: str) -> Response:
    return _serve(product, filename)

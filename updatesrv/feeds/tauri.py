"""Tauri v2's updater, server ("dynamic") format:
``/u/{product}/tauri/{{target}}/{{arch}}/{{current_version}}`` answers 200 with
``{version, notes, pub_date, url, signature}`` or 204 when there is nothing to install.

As the plugin reads it (plugins/updater/src/updater.rs): ``version`` is SemVer (a leading
``v`` is tolerated), ``url`` and ``signature`` are required, ``signature`` is the base64 of
a minisign signature file (what ``tauri signer sign`` writes to ``.sig``), ``pub_date`` is
RFC 3339. ``{{target}}`` is ``linux``, ``darwin`` or ``windows``; ``{{arch}}`` is
``x86_64``, ``aarch64``, ``i686`` or ``armv7``. The install's version is in the path, so the
whole decision applies; the plugin's default comparator only installs newer versions, so a
yanked install is moved back only if the app sets a comparator that accepts the server's
choice (see docs/integrating/feeds.md)."""

from __future__ import annotations

import json

from flask import Response, request

from ..api.check import parse_install_id
from ..errors import InvalidInput
from ..timeutil import rfc3339
from ..updates.catalog import Catalog
from ..updates.decision import Decision, UpdateQuery
from .common import (
    answer,
    arch_name,
    bp,
    cached_response,
    download_url,
    feed_catalog,
    notes_with_notices,
    now,
    os_name,
    parse_channel,
    parse_feed_version,
    record_check,
    resolve_platform,
)

TARGET_OS = {"linux": "linux", "darwin": "macos", "windows": "windows"}


def render(decision: Decision, catalog: Catalog, base: str) -> bytes:
    offer = decision.update
    if (offer is None or offer.release.semver is None
            or offer.artifact.minisign_signature is None):
        # Tauri refuses an update without its signature: nothing installable to offer.
        return b""
    release = offer.release
    return json.dumps({
        "version": release.semver,
        "notes": notes_with_notices(release.notes, decision, catalog, base),
        "pub_date": rfc3339(release.published_at),
        "url": download_url(offer.artifact.url, base),
        "signature": offer.artifact.minisign_signature,
    }, ensure_ascii=False).encode()


@bp.get("/tauri/<target>/<arch>/<current_version>")
def tauri_update(product: str, target: str, arch: str, current_version: str) -> Response:
    catalog = feed_catalog(product, "tauri")
    os = TARGET_OS.get(target) or os_name(target)
    cpu = arch_name(arch)
    if os is None:
        raise InvalidInput(f"target must be linux, darwin or windows; got {target!r}",
                           field="target")
    if cpu is None:
        raise InvalidInput(f"arch must be x86_64, aarch64, i686 or armv7; got {arch!r}",
                           field="arch")
    version = parse_feed_version(current_version, "current_version")
    query = UpdateQuery(
        version=version, channel=parse_channel(catalog, request.args.get("channel")),
        platform=resolve_platform(catalog, os, cpu, field="target"), now=now(),
        install_id=parse_install_id(request.args.get("install_id"), "install_id"))
    body, etag = answer("tauri", catalog, query, (),
                        lambda decision, base: render(decision, catalog, base))
    record_check(catalog, query)
    if not body:
        return Response(status=204)
    return cached_response(body, etag, "application/json")

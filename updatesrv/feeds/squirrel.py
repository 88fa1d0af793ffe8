"""Squirrel.Mac in the shape of update.electronjs.org:
``/u/{product}/squirrel/{platform}/{version}`` answers 200 with
``{url, name, notes, pub_date}`` or 204 when the install should stay where it is.

Squirrel.Mac installs whatever ``url`` names (a .zip of the app) without comparing
versions, so every decision carries over as is, including moving a yanked install back.
``{platform}`` is Electron's ``process.platform-process.arch`` (``darwin-arm64``,
``darwin-x64``, ``win32-x64``) or a platform of the product."""

from __future__ import annotations

import json

from flask import Response, request

from ..api.check import parse_install_id
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
    noting_refusal,
    now,
    os_name,
    parse_channel,
    parse_feed_version,
    record_check,
    resolve_platform,
)


def render(decision: Decision, catalog: Catalog, base: str) -> bytes:
    offer = decision.update
    if offer is None:
        return b""
    release = offer.release
    return json.dumps({
        "url": download_url(offer.artifact.url, base),
        "name": release.version_text,
        "notes": notes_with_notices(release.notes, decision, catalog, base),
        "pub_date": rfc3339(release.published_at),
    }, ensure_ascii=False).encode()


def _platform(catalog: Catalog, value: str) -> str | None:
    if value in catalog.platforms:
        return value
    os, _, arch = value.partition("-")
    if os_name(os) is None or (arch and arch_name(arch) is None):
        # Not Electron's OS-arch: the check's rule (a registered id, or an alias of exactly
        # one platform), so a typo is refused rather than silently becoming "macOS".
        return noting_refusal(catalog, value, lambda: catalog.reported_platform(value))
    return resolve_platform(catalog, os_name(os), arch_name(arch) if arch else None)


@bp.get("/squirrel/<platform>/<version>")
def squirrel_update(product: str, platform: str, version: str) -> Response:
    catalog = feed_catalog(product, "squirrel")
    query = UpdateQuery(
        version=parse_feed_version(version), now=now(),
        channel=parse_channel(catalog, request.args.get("channel")),
        platform=_platform(catalog, platform),
        install_id=parse_install_id(request.args.get("install_id"), "install_id"))
    body, etag = answer("squirrel", catalog, query, (),
                        lambda decision, base: render(decision, catalog, base))
    record_check(catalog, query)
    if not body:
        return Response(status=204)
    return cached_response(body, etag, "application/json")

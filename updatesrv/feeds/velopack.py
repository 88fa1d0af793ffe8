"""Velopack's HttpSource: ``/u/{product}/velopack/releases.{channel}.json`` and the
package files under the same prefix.

Velopack asks ``releases.{channel}.json?localVersion=&id=`` (newer versions add
``stagingId``) and, from the returned ``Assets``, installs the highest ``Full`` version if it
is newer (src/lib-rust/src/manager.rs), verifying Size and SHA1 after download; ``Delta``
assets between the installed and that version are applied when present. So the feed lists
exactly what the decision offers — the full package and the deltas leading to it — or no
assets at all. The channel is one of the product's channels, or Velopack's default
per-OS channel names (``win``, ``osx``, ``linux``, also as ``{channel}-{os}``), which map
onto the product's first channel and that OS."""

from __future__ import annotations

import json

from flask import Response, redirect, request
from werkzeug.wrappers import Response as WerkzeugResponse

from ..api.check import parse_install_id
from ..api.helpers import base_url
from ..errors import InvalidInput, NotFound
from ..markdown import render_markdown
from ..updates import rules
from ..updates.catalog import Catalog, CatalogArtifact
from ..updates.decision import Decision, UpdateQuery
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

VELOPACK_OS = {"win": "windows", "osx": "macos", "linux": "linux"}


def split_channel(catalog: Catalog, name: str) -> tuple[str, str | None]:
    """(product channel, OS or None) for a Velopack channel name."""
    if name in catalog.channels:
        return name, None
    if name in VELOPACK_OS:
        return catalog.channels[0], VELOPACK_OS[name]
    first, _, second = name.rpartition("-")
    for channel, os in ((first, second), (second, first)):
        if channel in catalog.channels and os in VELOPACK_OS:
            return channel, VELOPACK_OS[os]
    raise InvalidInput(f"channel must be one of {', '.join(catalog.channels)} (optionally "
                       f"with -win, -osx or -linux), or win, osx or linux; got {name!r}",
                       field="channel")


def _asset(catalog: Catalog, version: str, kind: str, artifact: CatalogArtifact,
           notes: str) -> dict[str, object]:
    return {"PackageId": catalog.slug, "Version": version, "Type": kind,
            "FileName": artifact.filename, "SHA1": artifact.sha1, "SHA256": artifact.sha256,
            "Size": artifact.size, "NotesMarkdown": notes,
            "NotesHtml": str(render_markdown(notes)) if notes else ""}


def render(decision: Decision, catalog: Catalog, query: UpdateQuery, base: str) -> bytes:
    offer = decision.update
    assets: list[dict[str, object]] = []
    semver = offer.release.semver if offer is not None else None
    if (offer is not None and semver is not None
            and offer.artifact.sha1 is not None and offer.artifact.filename):
        release = offer.release
        notes = notes_with_notices(release.notes, decision, catalog, base)
        assets.append(_asset(catalog, semver, "Full", offer.artifact, notes))
        installed = decision.installed.version
        if installed is not None and release.version > installed:
            # Deltas of the releases this install crosses (its channels, public now, not
            # yanked: the shared rule); Velopack falls back to the full package if the
            # chain has a gap.
            for step in rules.releases_between(catalog.releases, installed, release.version,
                                               catalog.channels_up_to(query.channel),
                                               query.now):
                delta = step.deltas.get(offer.artifact.platform)
                if step.semver is not None and delta is not None and delta.sha1 \
                        and delta.filename:
                    assets.append(_asset(catalog, step.semver, "Delta", delta, ""))
    return json.dumps({"Assets": assets}, ensure_ascii=False).encode()


@bp.get("/velopack/releases.<channel>.json")
def velopack_feed(product: str, channel: str) -> Response:
    catalog = feed_catalog(product, "velopack")
    product_channel, os = split_channel(catalog, channel)
    query = UpdateQuery(
        version=parse_feed_version(request.args.get("localVersion"), "localVersion"),
        channel=parse_channel(catalog, product_channel),
        platform=resolve_platform(catalog, os, None, field="channel"), now=now(),
        install_id=parse_install_id(request.args.get("stagingId"), "stagingId"))
    body, etag = answer("velopack", catalog, query, (),
                        lambda decision, base: render(decision, catalog, query, base))
    record_check(catalog, query)
    return cached_response(body, etag, "application/json")


@bp.get("/velopack/<filename>")
def velopack_file(product: str, filename: str) -> WerkzeugResponse:
    """Velopack downloads {feed URL}/{FileName}: send it to where the file lives."""
    catalog = feed_catalog(product, "velopack")
    for release in catalog.releases:
        for artifact in (*release.artifacts.values(), *release.deltas.values()):
            if artifact.filename == filename and release.visible_at(now()):
                return redirect(download_url(artifact.url, base_url()), code=302)
    raise NotFound(f"{product} has no Velopack package {filename!r}")

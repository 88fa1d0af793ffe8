"""Sparkle (macOS) and WinSparkle appcast: ``/u/{product}/sparkle/appcast.xml``, RSS 2.0
with the Sparkle namespace.

Sparkle reads the whole appcast and installs the best item newer than the app itself, so
without the install's version the appcast lists every release such an install may take
(decision.listing): yanked, paused, emergency-stopped and partially rolled-out releases are
left out, channels beyond the first become ``sparkle:channel`` items, the minimum supported
version becomes ``sparkle:criticalUpdate sparkle:version=`` (critical only for older
installs) and a stepping stone becomes ``sparkle:minimumUpdateVersion`` (older installs
cannot take it) and ``sparkle:minimumAutoupdateVersion`` (older Sparkle releases at least
never install it silently).

With ``?version=`` (Sparkle's ``feedURLStringForUpdater:`` delegate can add it) the appcast is
that install's own decision: the one offered release, critical as decided, its notes with
the known issues affecting that version, or, when nothing is offered and an issue announces
a fix, a ``sparkle:informationalUpdate`` item for exactly that version linking the notice.
Informational items never stand beside a real update: Sparkle shows only its best item, so
one would hide the update."""

from __future__ import annotations

from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from flask import Response, request

from ..api.check import parse_install_id
from ..markdown import render_markdown
from ..updates.catalog import Catalog, CatalogNotice
from ..updates.decision import Decision, Offer, UpdateQuery, decide, listing
from .common import (
    bp,
    cached_response,
    download_url,
    feed_catalog,
    memoized,
    notes_with_notices,
    now,
    os_name,
    parse_channel,
    parse_feed_version,
    record_check,
    resolve_platform,
)

SPARKLE_NS = "http://www.andymatuschak.org/xml-namespaces/sparkle"
SPARKLE_OS = {"macos": "macos", "windows": "windows"}


def _item(catalog: Catalog, offer: Offer, base: str, notes: str,
          critical: bool | None, sparkle_os: str | None) -> str:
    """One release as an appcast item. ``critical`` None: decided per install by Sparkle
    from the minimum supported version."""
    release, artifact = offer.release, offer.artifact
    page = f"{base}/p/{catalog.slug}/releases/{release.version_text}"
    lines = [
        "    <item>",
        f"      <title>{escape(f'{catalog.name} {release.version_text}')}</title>",
        f"      <link>{escape(page)}</link>",
        f"      <pubDate>{format_datetime(release.published_at, usegmt=True)}</pubDate>",
        f"      <sparkle:version>{escape(release.version_text)}</sparkle:version>",
        f"      <sparkle:shortVersionString>{escape(release.version_text)}"
        "</sparkle:shortVersionString>",
        f"      <sparkle:releaseNotesLink>{escape(page)}</sparkle:releaseNotesLink>",
        f"      <description>{escape(str(render_markdown(notes)))}</description>",
    ]
    if release.channel != catalog.channels[0]:
        lines.append(f"      <sparkle:channel>{escape(release.channel)}</sparkle:channel>")
    if critical or (critical is None and release.critical):
        lines.append("      <sparkle:criticalUpdate></sparkle:criticalUpdate>")
    elif critical is None and catalog.minimum_supported is not None:
        lines.append("      <sparkle:criticalUpdate sparkle:version="
                     f"{quoteattr(str(catalog.minimum_supported))}></sparkle:criticalUpdate>")
    if release.min_upgrade_from is not None:
        stone = escape(str(release.min_upgrade_from))
        lines.append(f"      <sparkle:minimumUpdateVersion>{stone}</sparkle:minimumUpdateVersion>")
        lines.append(f"      <sparkle:minimumAutoupdateVersion>{stone}"
                     "</sparkle:minimumAutoupdateVersion>")
    attributes = [f"url={quoteattr(download_url(artifact.url, base))}",
                  f'length="{artifact.size}"', 'type="application/octet-stream"']
    if sparkle_os:
        attributes.append(f"sparkle:os={quoteattr(sparkle_os)}")
    if artifact.signature:
        attributes.append(f"sparkle:edSignature={quoteattr(artifact.signature)}")
    lines.append(f"      <enclosure {' '.join(attributes)}/>")
    lines.append("    </item>")
    return "\n".join(lines)


def _notice_item(catalog: Catalog, notice: CatalogNotice, version: str, base: str) -> str:
    page = f"{base}/p/{catalog.slug}/known-issues/{notice.public_id}"
    fix = notice.fixed_in_text or ""
    return "\n".join([
        "    <item>",
        f"      <title>{escape(f'Known issue: {notice.title}')}</title>",
        f"      <link>{escape(page)}</link>",
        f"      <pubDate>{format_datetime(notice.updated_at, usegmt=True)}</pubDate>",
        f"      <sparkle:version>{escape(fix)}</sparkle:version>",
        f"      <sparkle:shortVersionString>{escape(fix)}</sparkle:shortVersionString>",
        f"      <description>{escape(notice.summary)}</description>",
        "      <sparkle:informationalUpdate>",
        f"        <sparkle:version>{escape(version)}</sparkle:version>",
        "      </sparkle:informationalUpdate>",
        "    </item>",
    ])


def render(catalog: Catalog, items: list[str], base: str, channel: str) -> bytes:
    head = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<rss version="2.0" xmlns:sparkle="{SPARKLE_NS}" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "  <channel>",
        f"    <title>{escape(catalog.name)}</title>",
        f"    <link>{escape(f'{base}/p/{catalog.slug}/')}</link>",
        f"    <description>{escape(f'{catalog.name} updates ({channel})')}</description>",
        "    <language>en</language>",
    ]
    return "\n".join([*head, *items, "  </channel>", "</rss>", ""]).encode()


def render_listing(catalog: Catalog, offers: tuple[Offer, ...], base: str, channel: str,
                   sparkle_os: str | None) -> bytes:
    return render(catalog, [_item(catalog, o, base, o.release.notes, None, sparkle_os)
                            for o in offers], base, channel)


def render_decision(catalog: Catalog, decision: Decision, base: str, channel: str,
                    sparkle_os: str | None) -> bytes:
    items = []
    offer = decision.update
    if offer is not None:
        notes = notes_with_notices(offer.release.notes, decision, catalog, base)
        items.append(_item(catalog, offer, base, notes, offer.critical, sparkle_os))
    elif decision.installed.version is not None:
        installed = decision.installed.version
        for notice in decision.notices:
            if notice.fixed_in is not None and notice.fixed_in > installed:
                items.append(_notice_item(catalog, notice, str(installed), base))
                break  # Sparkle shows one item: the most severe, newest notice
    return render(catalog, items, base, channel)


@bp.get("/sparkle/appcast.xml")
def sparkle_appcast(product: str) -> Response:
    catalog = feed_catalog(product, "sparkle")
    channel = parse_channel(catalog, request.args.get("channel"))
    explicit = request.args.get("platform")
    os = os_name(explicit.split("-")[0]) if explicit else "macos"
    platform = resolve_platform(catalog, os, None)
    sparkle_os = SPARKLE_OS.get(os or "")
    version = parse_feed_version(request.args.get("version") or request.args.get("appVersion"))
    query = UpdateQuery(version=version, channel=channel, platform=platform, now=now(),
                        install_id=parse_install_id(request.args.get("install_id"),
                                                    "install_id"))

    def build(base: str) -> bytes:
        if version is None:
            return render_listing(catalog, listing(query, catalog), base, channel, sparkle_os)
        return render_decision(catalog, decide(query, catalog), base, channel, sparkle_os)

    body, etag = memoized("sparkle", catalog, query, (sparkle_os,), build)
    record_check(catalog, query)
    return cached_response(body, etag, "application/rss+xml")

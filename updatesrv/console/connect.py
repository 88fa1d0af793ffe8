"""Console "Connect your app": each compatible feed's exact URL and the snippet its updater
needs, which formats are switched on, and what keeps a release out of a feed (no SemVer
form, a missing sha512, sha1 or minisign signature)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from .. import runtime
from ..api.helpers import base_url
from ..db import db
from ..errors import UpdatesrvError
from ..feeds import FORMAT_NAMES, FORMATS
from ..feeds.servable import NO_SEMVER, why_not_served
from ..products import services as products
from ..products.models import Product
from ..releases.models import Release
from ..releases.services import load_releases, release_index
from . import forms
from .auth import login_required, product_access
from .common import View, bp, form_status

# Filled in by the updater (Tauri) or the app (Electron), not by us.
TAURI_VARIABLES = "{{target}}/{{arch}}/{{current_version}}"
ELECTRON_PLATFORM_VERSION = "${process.platform}-${process.arch}/${app.getVersion()}"


class FeedFormatsForm(FlaskForm):
    feed_formats = forms.MultiCheckboxField(
        "Feeds switched on", choices=[SelectChoice(f, FORMAT_NAMES[f]) for f in FORMATS])


@dataclass(frozen=True)
class FeedGuide:
    format: str
    name: str
    on: bool
    urls: list[tuple[str, str]]
    snippets: list[tuple[str, str]]


def feed_guides(prod: Product, base: str) -> list[FeedGuide]:
    root = f"{base}/u/{prod.slug}"
    keys = [k.public_key for k in prod.active_signing_keys]
    ed_key = keys[0] if keys else "<your base64 Ed25519 public key>"
    on = set(prod.feed_formats or [])
    guides = {
        "sparkle": (
            [("Appcast (macOS)", f"{root}/sparkle/appcast.xml"),
             ("Appcast for another channel", f"{root}/sparkle/appcast.xml?channel=beta"),
             ("WinSparkle (Windows)", f"{root}/sparkle/appcast.xml?platform=windows")],
            [("Info.plist", f"<key>SUFeedURL</key>\n<string>{root}/sparkle/appcast.xml</string>\n"
                            f"<key>SUPublicEDKey</key>\n<string>{ed_key}</string>"),
             ("Per-install decisions and notices (optional, Swift)",
              "func feedURLString(for updater: SPUUpdater) -> String? {\n"
              "    let version = Bundle.main.object(forInfoDictionaryKey: \"CFBundleVersion\")"
              " as! String\n"
              f"    return \"{root}/sparkle/appcast.xml?version=\\(version)\"\n}}"),
             ("WinSparkle (C)",
              f"win_sparkle_set_appcast_url(\"{root}/sparkle/appcast.xml?platform=windows\");")]),
        "electron": (
            [("Base URL (electron-updater adds latest.yml, latest-mac.yml, latest-linux.yml)",
              f"{root}/electron/?version=" + "${version}")],
            [("electron-builder.yml", "publish:\n  provider: generic\n"
                                      f"  url: \"{root}/electron/?version=" + "${version}\""),
             ("main process (moves yanked installs back)",
              "const { autoUpdater } = require(\"electron-updater\")\n"
              "autoUpdater.allowDowngrade = true\n"
              "autoUpdater.checkForUpdatesAndNotify()")]),
        "squirrel": (
            [("Feed", f"{root}/squirrel/" + ELECTRON_PLATFORM_VERSION)],
            [("main process", "const { app, autoUpdater } = require(\"electron\")\n"
                              "autoUpdater.setFeedURL({ url: "
                              f"`{root}/squirrel/" + "${process.platform}-${process.arch}/"
                              "${app.getVersion()}` })\nautoUpdater.checkForUpdates()")]),
        "tauri": (
            [("Endpoint", f"{root}/tauri/" + TAURI_VARIABLES)],
            [("tauri.conf.json", "\"plugins\": {\n  \"updater\": {\n    \"endpoints\": [\n"
                                 f"      \"{root}/tauri/" + TAURI_VARIABLES
                                 + "\"\n    ],\n    \"pubkey\": \"<contents of your tauri signer "
                                 ".key.pub>\"\n  }\n}")]),
        "velopack": (
            [("Update source", f"{root}/velopack")],
            [("C#", f"var mgr = new UpdateManager(\"{root}/velopack\");"),
             ("Python", f"velopack.UpdateManager(\"{root}/velopack\")"),
             ("Rust", f"let source = velopack::sources::HttpSource::new(\"{root}/velopack\");")]),
    }
    return [FeedGuide(f, FORMAT_NAMES[f], f in on, *guides[f]) for f in FORMATS]


def feed_warnings(prod: Product, releases: list[Release]) -> list[str]:
    """Which published release each switched-on feed skips, and why (the rule the feed's
    decision applies: feeds/servable.py). The feed offers the newest release it can serve
    instead, so say so."""
    on = [f for f in FORMATS if f in set(prod.feed_formats or [])]
    catalog = runtime(current_app).catalogs.get(prod.slug, fresh=True)
    if not on or catalog is None:
        return []
    wanted = {r.id for r in releases}
    warnings = []
    for release in catalog.releases:
        if release.id not in wanted or release.yanked:
            continue
        reasons: dict[str, list[str]] = {}
        for fmt in on:
            for artifact in release.artifacts.values():
                reason = why_not_served(fmt, release, artifact)
                if reason is None:
                    continue
                where = "" if reason == NO_SEMVER else f" ({artifact.platform})"
                reasons.setdefault(f"{release.version_text}{where}: {reason}", []).append(fmt)
                if reason == NO_SEMVER:
                    break
        for text, formats in reasons.items():
            names = ", ".join(dict.fromkeys(formats))
            warnings.append(f"The {names} feed(s) skip {text}. They offer the newest release "
                            "they can serve instead.")
    return warnings


@bp.app_template_global("feed_warnings_for")
def feed_warnings_for(prod: Product, release: Release) -> list[str]:
    """For the release page: shown right after publishing."""
    return feed_warnings(prod, [release])


def _page(access: object, prod: Product, form: FeedFormatsForm) -> View:
    recent = release_index(db.session, prod)[:20]
    full = load_releases(db.session, [r.id for r in recent])
    return render_template(
        "console/connect.html", access=access, product=prod, form=form,
        guides=feed_guides(prod, base_url()),
        warnings=feed_warnings(prod, full)), form_status(form)


@bp.get("/<vendor>/p/<product>/connect")
@login_required
def connect(vendor: str, product: str) -> View:
    access, prod = product_access(vendor, product)
    form = FeedFormatsForm(formdata=None, feed_formats=list(prod.feed_formats or []))
    return _page(access, prod, form)


@bp.post("/<vendor>/p/<product>/connect")
@login_required
def connect_save(vendor: str, product: str) -> View:
    access, prod = product_access(vendor, product, "owner")
    form = FeedFormatsForm()
    if form.validate_on_submit():
        try:
            products.update_product(db.session, access.actor, prod,
                                    {"feed_formats": list(form.feed_formats.data or [])})
        except UpdatesrvError as exc:
            db.session.rollback()
            forms.show_error(form, exc)
        else:
            flash("Feeds saved.", "ok")
            return redirect(url_for("console.connect", vendor=vendor, product=product))
    return _page(access, prod, form)

"""Console release pages: drafts, notes, files, publishing, rollout and yanking."""

from __future__ import annotations

from typing import Any

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
)
from werkzeug.wrappers import Response as BaseResponse

from .. import runtime
from ..api.helpers import base_url
from ..audit.services import list_events
from ..db import db, utcnow
from ..errors import UpdatesrvError
from ..markdown import render_markdown
from ..notices.links import notices_for_release
from ..products import platforms as registry
from ..products.models import Product
from ..releases import artifacts
from ..releases import services as releases
from . import forms
from .auth import (
    login_required,
    product_access,
)
from .common import View, apply_form, bp, form_status, release_context, release_url


@bp.get("/<vendor>/p/<product>/releases/")
@login_required
def release_list(vendor: str, product: str) -> View:
    access, prod = product_access(vendor, product)
    return render_template("console/releases.html", access=access, product=prod,
                           releases=releases.list_releases(db.session, prod,
                                                           include_hidden=True),
                           now=utcnow())


@bp.route("/<vendor>/p/<product>/releases/new", methods=["GET", "POST"])
@login_required
def release_new(vendor: str, product: str) -> View:
    access, prod = product_access(vendor, product, "publisher")
    form = forms.ReleaseForm()
    form.channel.choices = forms.choices(prod.channels)
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            preview = render_markdown(form.notes.data)
        else:
            done = apply_form(
                form, lambda: releases.create_release(db.session, access.actor, prod, {
                    "version": form.version.data, "channel": form.channel.data,
                    "notes": form.notes.data or "", "critical": bool(form.critical.data),
                    "draft": True})[0],
                lambda r: f"Draft {r.version} saved. Add its files, then publish.",
                lambda r: release_url(vendor, product, r.version))
            if done is not None:
                return done
    return render_template("console/release_new.html", access=access, product=prod, form=form,
                           preview=preview), form_status(form)


def _with_platforms(form: Any, prod: Product) -> Any:
    """File forms pick a platform from the product's registry, never free text."""
    form.platform.choices = [("", "Choose a platform…"), *[
        (pid, f"{name} ({pid})" if name != pid else pid)
        for pid, name in ((p, registry.platform_name(prod, p))
                          for p in registry.known_platforms(db.session, prod))],
        ("any", "Every platform: one file for all (any)")]
    return form


def _release_page(access: Any, prod: Product, release: Any, **forms_: Any) -> View:
    edit = forms_.get("edit") or forms.ReleaseEditForm(obj=release)
    upload = forms_.get("upload") or _with_platforms(forms.UploadForm(prefix="up"), prod)
    external = forms_.get("external") or _with_platforms(
        forms.ExternalArtifactForm(prefix="ext"), prod)
    yank = forms_.get("yank") or forms.YankForm(prefix="yank")
    rollout = forms_.get("rollout") or forms.RolloutForm(
        prefix="ro", rollout_percent=release.rollout_percent,
        min_upgrade_from=release.min_upgrade_from, row_version=release.row_version)
    history = list_events(db.session, access.vendor.id, object_type="release",
                          object_key=f"{prod.slug}/{release.version}", limit=100)
    status = max(form_status(f) for f in (edit, upload, external, yank, rollout))
    return render_template("console/release.html", access=access, product=prod,
                           release=release, edit=edit, upload=upload, external=external,
                           release_notices=notices_for_release(
                               db.session, prod, release.version, include_drafts=True),
                           yank=yank, rollout=rollout, action=forms.ActionForm(),
                           events=history,
                           preview=forms_.get("preview"), base=base_url(),
                           now=utcnow()), status


@bp.route("/<vendor>/p/<product>/releases/<version>", methods=["GET", "POST"])
@login_required
def release_page(vendor: str, product: str, version: str) -> View:
    access, prod, release = release_context(vendor, product, version)
    edit = forms.ReleaseEditForm(obj=release)
    preview = None
    if request.method == "POST":
        access.require("publisher")
        if edit.validate_on_submit():
            if edit.preview.data:
                preview = render_markdown(edit.notes.data)
            else:
                done = apply_form(edit, lambda: releases.update_release(
                    db.session, access.actor, release, {
                        "notes": edit.notes.data or "", "critical": bool(edit.critical.data)},
                    if_match=edit.loaded_version()),
                    "Release saved.", request.path,
                    saved=lambda: ({"notes": release.notes, "critical": release.critical},
                                   release.row_version))
                if done is not None:
                    return done
    return _release_page(access, prod, release, edit=edit, preview=preview)


# One-click changes on a release page: the change and the message to show afterwards.
RELEASE_ACTIONS: dict[str, tuple[dict[str, Any], str]] = {
    "publish": ({"draft": False}, "Published {version}: installs are offered it now."),
    "unyank": ({"yanked": False}, "{version} is offered again."),
    "pause": ({"paused": True}, "Paused {version}: no new install is offered it."),
    "resume": ({"paused": False}, "Resumed {version}."),
}


@bp.post("/<vendor>/p/<product>/releases/<version>/<any(publish, unyank, pause, resume):action>")
@login_required
def release_action(vendor: str, product: str, version: str, action: str) -> BaseResponse:
    access, _, release = release_context(vendor, product, version, "publisher")
    changes, message = RELEASE_ACTIONS[action]
    if forms.ActionForm().validate_on_submit():
        try:
            releases.update_release(db.session, access.actor, release, changes)
        except UpdatesrvError as exc:
            db.session.rollback()
            flash(exc.detail, "error")
        else:
            flash(message.format(version=release.version), "ok")
    return redirect(release_url(vendor, product, version))


@bp.post("/<vendor>/p/<product>/releases/<version>/rollout")
@login_required
def release_rollout(vendor: str, product: str, version: str) -> View:
    access, prod, release = release_context(vendor, product, version, "publisher")
    form = forms.RolloutForm(prefix="ro")
    if form.validate_on_submit():
        changes: dict[str, Any] = {"rollout_percent": form.rollout_percent.data,
                                   "min_upgrade_from": form.min_upgrade_from.data or None}
        try:
            if form.ramp.data:
                changes["ramp"] = forms.parse_ramp_text(form.ramp.data)
        except ValueError as exc:
            form.ramp.errors = [str(exc)]
        else:
            done = apply_form(form, lambda: releases.update_release(
                db.session, access.actor, release, changes, if_match=form.loaded_version()),
                "Rollout saved.", release_url(vendor, product, version),
                saved=lambda: ({"rollout_percent": release.rollout_percent,
                                "min_upgrade_from": release.min_upgrade_from},
                               release.row_version))
            if done is not None:
                return done
    return _release_page(access, prod, release, rollout=form)


@bp.post("/<vendor>/p/<product>/releases/<version>/yank")
@login_required
def release_yank(vendor: str, product: str, version: str) -> View:
    access, prod, release = release_context(vendor, product, version, "publisher")
    form = forms.YankForm(prefix="yank")
    if form.validate_on_submit():
        done = apply_form(form, lambda: releases.update_release(
            db.session, access.actor, release, {"yanked": True, "yank_reason": form.reason.data}),
            f"Yanked {version}. Installs on it are offered a replacement.",
            release_url(vendor, product, version))
        if done is not None:
            return done
    return _release_page(access, prod, release, yank=form)


@bp.post("/<vendor>/p/<product>/releases/<version>/upload")
@login_required
def release_upload(vendor: str, product: str, version: str) -> View:
    access, prod, release = release_context(vendor, product, version, "publisher")
    # The body is read (and the file received) with no transaction open, so a slow upload
    # never holds SQLite's write lock; see artifacts.receive_upload.
    db.session.commit()
    form = _with_platforms(forms.UploadForm(prefix="up"), prod)
    if form.validate_on_submit():
        upload = form.file.data
        store = runtime(current_app).store

        def receive_and_store() -> Any:
            staged = artifacts.receive_upload(store, upload.stream,
                                              int(current_app.config["MAX_UPLOAD_BYTES"]))
            return artifacts.upload_artifact(
                db.session, access.actor, release, store,
                platform=(form.platform.data or "").strip(), staged=staged,
                filename=upload.filename, signature=form.signature.data or None)[0]

        done = apply_form(
            form, receive_and_store,
            lambda a: (f"Uploaded {a.filename} for {a.platform} ({a.size} bytes, "
                       f"SHA-256 {a.sha256[:12]}…)."),
            release_url(vendor, product, version))
        if done is not None:
            return done
    return _release_page(access, prod, release, upload=form)


@bp.post("/<vendor>/p/<product>/releases/<version>/external")
@login_required
def release_external(vendor: str, product: str, version: str) -> View:
    access, prod, release = release_context(vendor, product, version, "publisher")
    form = _with_platforms(forms.ExternalArtifactForm(prefix="ext"), prod)
    if form.validate_on_submit():
        done = apply_form(form, lambda: artifacts.add_external_artifact(
            db.session, access.actor, release, {
                "platform": (form.platform.data or "").strip(), "url": form.url.data,
                "size": form.size.data, "sha256": (form.sha256.data or "").strip().lower(),
                **({"signature": form.signature.data} if form.signature.data else {})}),
            "File added.", release_url(vendor, product, version))
        if done is not None:
            return done
    return _release_page(access, prod, release, external=form)

"""Console notice pages: filing, editing, the specifier helper and the timeline of updates."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import (
    current_app,
    render_template,
    request,
)
from packaging.version import Version

from .. import runtime
from ..api.helpers import base_url
from ..audit.services import list_events
from ..db import db, utcnow
from ..errors import InvalidInput
from ..notices import services as notices
from ..notices.links import releases_for_notice
from ..notices.models import SEVERITIES, STATUSES
from ..products import platforms as registry
from ..products.models import Product
from ..releases import services as releases
from ..stats.services import matching_active_installs
from ..updates import rules
from ..updates.catalog import catalog_notice
from ..updates.response import notice_body
from ..versions import parse_specifier
from . import forms
from .auth import (
    login_required,
    product_access,
)
from .common import View, apply_form, bp, form_status, notice_url


@bp.get("/<vendor>/p/<product>/notices/")
@login_required
def notice_list(vendor: str, product: str) -> View:
    access, prod = product_access(vendor, product)
    status = request.args.get("status") or None
    severity = request.args.get("severity") or None
    rows = [n for n in notices.list_notices(db.session, prod, include_drafts=True)
            if (status is None or n.status == status)
            and (severity is None or n.severity == severity)]
    return render_template("console/notices.html", access=access, product=prod, notices=rows,
                           statuses=STATUSES, severities=SEVERITIES,
                           filters={"status": status, "severity": severity})


def _notice_data(form: forms.NoticeForm) -> dict[str, Any]:
    return {"title": form.title.data, "severity": form.severity.data,
            "status": form.status.data, "affected": form.affected.data,
            "platforms": list(form.platforms.data or []),
            "channels": list(form.channels.data or []),
            "summary": form.summary.data or "", "details": form.details.data or "",
            "workaround": form.workaround.data or "", "fixed_in": form.fixed_in.data or None,
            "hold_release": form.hold_release.data or None,
            "fix_critical": bool(form.fix_critical.data)}


def _matching_versions(prod: Product, affected: str | None) -> tuple[list[str], str | None]:
    """The specifier helper: which published versions a specifier matches, before saving."""
    try:
        spec = parse_specifier(affected)
    except InvalidInput as exc:
        return [], exc.detail
    return rules.affected_versions(spec, ((v, Version(v)) for v in _published_versions(prod))
                                   ), None


def _published_versions(prod: Product) -> list[str]:
    """Version strings only (for the specifier helper and 'fixed in' suggestions): the light
    index, not every release with its files."""
    return [r.version for r in releases.release_index(db.session, prod)]


def _notice_form(prod: Product, notice: Any = None) -> forms.NoticeForm:
    form = forms.NoticeForm(obj=notice)
    form.channels.choices = forms.choices(prod.channels)
    current = list(notice.platforms) if notice is not None else []
    form.platforms.choices = registry.choices(db.session, prod, current)
    if notice is not None:
        form.status.choices = forms.choices(STATUSES)
    return form


def _render_form(access: Any, prod: Product, form: Any, matches: list[str] | None) -> View:
    return render_template("console/notice_form.html", access=access, product=prod, form=form,
                           matches=matches, notice=None, versions=_published_versions(prod),
                           fix_critical_hint=forms.FIX_CRITICAL_HINT), form_status(form)


@bp.route("/<vendor>/p/<product>/notices/new", methods=["GET", "POST"])
@login_required
def notice_new(vendor: str, product: str) -> View:
    access, prod = product_access(vendor, product, "publisher")
    form = _notice_form(prod)
    matches: list[str] | None = None
    if form.validate_on_submit():
        if form.check.data:
            matches, error = _matching_versions(prod, form.affected.data)
            if error:
                form.affected.errors = [error]
        else:
            # Saved as a draft: the vendor sees what installs will show and how many
            # installs it reaches before publishing.
            done = apply_form(
                form, lambda: notices.create_notice(db.session, access.actor, prod, {
                    **_notice_data(form), "message": form.message.data or "",
                    "draft": True}),
                lambda n: f"Saved {n.public_id} as a draft. Check the preview, then publish.",
                lambda n: notice_url(vendor, product, n.public_id))
            if done is not None:
                return done
    return _render_form(access, prod, form, matches)


@bp.route("/<vendor>/p/<product>/notices/<notice_id>", methods=["GET", "POST"])
@login_required
def notice_page(vendor: str, product: str, notice_id: str) -> View:
    access, prod = product_access(vendor, product)
    notice = notices.get_notice(db.session, prod, notice_id, include_drafts=True)
    form = _notice_form(prod, notice)
    update_form = forms.NoticeUpdateForm(prefix="upd", status=notice.status,
                                         fixed_in=notice.fixed_in,
                                         fix_critical=notice.fix_critical,
                                         row_version=notice.row_version)
    matches: list[str] | None = None
    if request.method == "POST":
        access.require("publisher")
        if form.validate_on_submit():
            if form.check.data:
                matches, error = _matching_versions(prod, form.affected.data)
                if error:
                    form.affected.errors = [error]
            else:
                done = apply_form(form, lambda: notices.update_notice(
                    db.session, access.actor, notice, {
                        **_notice_data(form), "message": form.message.data or ""},
                    if_match=form.loaded_version()),
                    lambda n: (f"Saved draft {n.public_id}." if n.draft else
                               f"Saved {n.public_id} (revision {n.revision})."),
                    request.path, saved=lambda: _saved_notice(notice))
                if done is not None:
                    return done
    return _notice_page(access, prod, notice, form, update_form, matches)


@bp.post("/<vendor>/p/<product>/notices/<notice_id>/publish")
@login_required
def notice_publish(vendor: str, product: str, notice_id: str) -> View:
    access, prod = product_access(vendor, product, "publisher")
    notice = notices.get_notice(db.session, prod, notice_id, include_drafts=True)
    action = forms.ActionForm()
    if action.validate_on_submit():
        done = apply_form(action, lambda: notices.publish_notice(db.session, access.actor,
                                                                 notice),
                          lambda n: f"Published {n.public_id}: affected installs see it on "
                                    "their next check.", notice_url(vendor, product, notice_id))
        if done is not None:
            return done
    return _notice_page(access, prod, notice, _notice_form(prod, notice),
                        forms.NoticeUpdateForm(prefix="upd"), None, action)


def _reach(prod: Product, entry: Any) -> int:
    """Active installs (last 30 days) the notice matches, by the check's own rule."""
    runtime(current_app).recorder.flush()
    db.session.commit()  # a new read transaction sees the counts just flushed

    def matches(version_text: str, channel: str, platform: str | None) -> bool:
        version = rules.installed_version(version_text)
        return version is not None and bool(entry.applies_to(version, channel, platform))

    since = utcnow().date() - dt.timedelta(days=29)
    return matching_active_installs(db.session, prod.id, since, matches)


def _saved_notice(notice: Any) -> tuple[dict[str, Any], int]:
    """The notice as saved now (after a conflict), in the edit form's terms."""
    values = {name: getattr(notice, name) for name in (
        "title", "severity", "status", "affected", "summary", "details", "workaround",
        "fixed_in", "hold_release", "channels")}
    values["platforms"] = list(notice.platforms)
    return values, notice.row_version


def _notice_page(access: Any, prod: Product, notice: Any, form: Any, update_form: Any,
                 matches: list[str] | None, publish_form: Any = None) -> View:
    # Fresh: right after a save the vendor sees what they just wrote, not a cached catalog.
    catalog = runtime(current_app).catalogs.get(prod.slug, fresh=True)
    delivered = None
    if catalog is not None and notice.status != "withdrawn":
        # Built from the stored notice (drafts are in no catalog) with the check's own code.
        entry = catalog_notice(notice)
        delivered = notice_body(entry, None, catalog, base_url(), utcnow(), memo=False)
        reach = _reach(prod, entry)
    else:
        reach = None
    history = list_events(db.session, access.vendor.id, object_type="notice",
                          object_key=notice.public_id, limit=100)
    return render_template(
        "console/notice.html", access=access, product=prod, notice=notice, form=form,
        update_form=update_form, matches=matches, delivered=delivered, reach=reach,
        delivered_json=json.dumps(delivered, indent=2, ensure_ascii=False) if delivered else "",
        events=history, versions=_published_versions(prod),
        publish_form=publish_form or forms.ActionForm(),
        links=releases_for_notice(db.session, prod, notice, include_hidden=True),
        fix_critical_hint=forms.FIX_CRITICAL_HINT,
        affected_text=notices.affected_in_words(notice.affected),
    ), max(form_status(form), form_status(update_form),
           form_status(publish_form) if publish_form else 200)


@bp.post("/<vendor>/p/<product>/notices/<notice_id>/update")
@login_required
def notice_update(vendor: str, product: str, notice_id: str) -> View:
    access, prod = product_access(vendor, product, "publisher")
    notice = notices.get_notice(db.session, prod, notice_id, include_drafts=True)
    update_form = forms.NoticeUpdateForm(prefix="upd")
    if update_form.validate_on_submit():
        done = apply_form(update_form, lambda: notices.update_notice(
            db.session, access.actor, notice, {
                "status": update_form.status.data,
                "fixed_in": update_form.fixed_in.data or None,
                "fix_critical": bool(update_form.fix_critical.data),
                "message": update_form.message.data or ""},
            if_match=update_form.loaded_version()),
            "Update posted to the timeline.", notice_url(vendor, product, notice_id),
            saved=lambda: _saved_notice(notice))
        if done is not None:
            return done
    return _notice_page(access, prod, notice, _notice_form(prod, notice), update_form, None)

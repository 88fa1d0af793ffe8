"""The vendor console. Views parse a form, call the same services the API uses, and render;
service errors appear next to the field they concern."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from packaging.specifiers import SpecifierSet
from werkzeug.wrappers import Response as BaseResponse

from .. import runtime
from ..accounts import services as accounts
from ..accounts.login import TooManyAttempts
from ..accounts.login import login as attempt_login
from ..accounts.models import Membership, User
from ..api.helpers import base_url
from ..audit.services import list_events
from ..db import db, utcnow
from ..errors import InvalidInput, NotFound, UpdatesrvError
from ..markdown import render_markdown
from ..notices import services as notices
from ..notices.models import RESOLVED_STATUSES, SEVERITIES, STATUSES
from ..products import services as products
from ..products.models import Product
from ..releases import services as releases
from ..stats.services import active_installs
from ..updates.response import notice_body
from ..versions import parse_specifier
from . import forms
from .auth import (
    current_user,
    login_required,
    product_access,
    safe_next,
    sign_in,
    sign_out,
    vendor_access,
)

bp = Blueprint("console", __name__, url_prefix="/console")
View = str | BaseResponse | tuple[str, int]


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"current_user": current_user if request.path.startswith("/console") else None}


def _status(form: Any) -> int:
    """Re-rendered forms with errors answer 400 (browsers show them; tests can tell)."""
    return 400 if form.errors or getattr(form, "form_errors", None) else 200


def _apply(form: Any, action: Callable[[], Any], message: str | Callable[[Any], str],
           target: str | Callable[[Any], str]) -> BaseResponse | None:
    """Runs a service call for a submitted form. A domain error is rolled back and shown
    next to its field (returns None: re-render the form); success flashes ``message`` and
    redirects to ``target`` (either may be computed from the service's result)."""
    try:
        result = action()
    except UpdatesrvError as exc:
        db.session.rollback()
        forms.show_error(form, exc)
        return None
    flash(message(result) if callable(message) else message, "ok")
    return redirect(target(result) if callable(target) else target)


# -- signing in -----------------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
def login() -> View:
    form = forms.LoginForm()
    if form.validate_on_submit():
        try:
            user = attempt_login(db.session, form.email.data or "", form.password.data or "",
                                 request.remote_addr or "unknown",
                                 str(current_app.config["SECRET_KEY"]).encode())
        except TooManyAttempts as exc:
            form.form_errors.append(exc.detail)
            return render_template("console/login.html", form=form), 429
        if user is None:
            form.form_errors.append("Wrong e-mail or password.")
        else:
            sign_in(user)
            return redirect(safe_next(request.args.get("next")) or url_for("console.home"))
    return render_template("console/login.html", form=form), _status(form)


@bp.post("/logout")
def logout() -> BaseResponse:
    form = forms.ActionForm()
    if form.validate_on_submit():
        sign_out()
    return redirect(url_for("console.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> View:
    form = forms.PasswordForm()
    user = current_user()
    assert user is not None
    if form.validate_on_submit():
        if not accounts.verify_password(user, form.current_password.data or ""):
            form.current_password.errors = ["That is not your current password."]
        else:
            try:
                accounts.set_password(db.session, user, form.new_password.data or "")
            except UpdatesrvError as exc:
                forms.show_error(form, exc)
            else:
                sign_in(user)
                flash("Password changed. Other sessions are signed out.", "ok")
                return redirect(url_for("console.home"))
    return render_template("console/password.html", form=form), _status(form)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str) -> View:
    invitation = accounts.find_invitation(db.session, token)
    user = current_user()
    form = forms.AcceptInviteForm() if user is None else forms.ActionForm()
    if form.validate_on_submit():
        try:
            joined = accounts.accept_invitation(
                db.session, token, user, getattr(form, "password", None) and
                form.password.data, (getattr(form, "name", None) and form.name.data) or "")
        except UpdatesrvError as exc:
            forms.show_error(form, exc)
        else:
            sign_in(joined)
            return redirect(url_for("console.vendor_home", vendor=invitation.vendor.slug))
    return render_template("console/invite.html", form=form, invitation=invitation,
                           user=user), _status(form)


# -- vendors ----------------------------------------------------------------------------------

@bp.get("/")
@login_required
def home() -> View:
    user = current_user()
    assert user is not None
    memberships = accounts.memberships_of(db.session, user)
    if len(memberships) == 1:
        return redirect(url_for("console.vendor_home", vendor=memberships[0].vendor.slug))
    return render_template("console/home.html", memberships=memberships)


@bp.route("/<vendor>/", methods=["GET", "POST"])
@login_required
def vendor_home(vendor: str) -> View:
    access = vendor_access(vendor)
    form = forms.ProductForm()
    if request.method == "POST":
        access.require("owner")
        if form.validate_on_submit():
            try:
                product = products.create_product(db.session, access.actor, {
                    "slug": form.slug.data, "name": form.name.data})
            except UpdatesrvError as exc:
                forms.show_error(form, exc)
            else:
                flash(f"Created {product.name}.", "ok")
                return redirect(url_for("console.dashboard", vendor=vendor,
                                        product=product.slug))
    return render_template("console/vendor.html", access=access, form=form,
                           products=products.list_products(db.session, access.vendor.id)
                           ), _status(form)


@bp.get("/<vendor>/audit")
@login_required
def audit_log(vendor: str) -> View:
    access = vendor_access(vendor)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    events = list_events(db.session, access.vendor.id, limit=51, offset=(page - 1) * 50)
    return render_template("console/audit.html", access=access, events=events[:50],
                           page=page, more=len(events) > 50)


@bp.route("/<vendor>/tokens", methods=["GET", "POST"])
@login_required
def tokens(vendor: str) -> View:
    access = vendor_access(vendor, "owner")
    form = forms.TokenForm()
    created = None
    if form.validate_on_submit():
        try:
            _, created = accounts.create_token(db.session, access.vendor, form.name.data or "",
                                                   form.role.data or "publisher",
                                                   created_by=access.actor.label)
        except UpdatesrvError as exc:
            forms.show_error(form, exc)
    return render_template("console/tokens.html", access=access, form=form, created=created,
                           tokens=accounts.list_tokens(db.session, access.vendor.id),
                           revoke_form=forms.ActionForm()), _status(form)


@bp.post("/<vendor>/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(vendor: str, token_id: int) -> BaseResponse:
    access = vendor_access(vendor, "owner")
    if forms.ActionForm().validate_on_submit():
        token = accounts.revoke_token(db.session, access.actor, token_id)
        flash(f"Revoked token {token.name}.", "ok")
    return redirect(url_for("console.tokens", vendor=vendor))


@bp.route("/<vendor>/members", methods=["GET", "POST"])
@login_required
def members(vendor: str) -> View:
    access = vendor_access(vendor, "owner")
    form = forms.InviteForm()
    link = None
    if form.validate_on_submit():
        try:
            invitation, token = accounts.create_invitation(db.session, access.actor,
                                                           form.email.data or "",
                                                           form.role.data or "publisher")
        except UpdatesrvError as exc:
            forms.show_error(form, exc)
        else:
            link = url_for("console.accept_invite", token=token, _external=True)
            # No mail server is configured: the link is shown once here and logged.
            current_app.logger.warning("invitation for %s to %s: %s", invitation.email,
                                       access.vendor.slug, link)
    rows = db.session.execute(
        sa.select(Membership, User).join(User).where(Membership.vendor_id == access.vendor.id)
        .order_by(User.email)).all()
    return render_template("console/members.html", access=access, form=form, link=link,
                           rows=rows, role_choices=forms.MemberRoleForm().role.choices
                           ), _status(form)


@bp.post("/<vendor>/members/<int:membership_id>")
@login_required
def member_role(vendor: str, membership_id: int) -> BaseResponse:
    access = vendor_access(vendor, "owner")
    form = forms.MemberRoleForm()
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.vendor_id != access.vendor.id:
        raise NotFound("no such member")
    if form.validate_on_submit():
        try:
            accounts.set_member_role(db.session, access.actor, membership,
                                     None if form.role.data == "remove" else form.role.data)
        except UpdatesrvError as exc:
            flash(exc.detail, "error")
    return redirect(url_for("console.members", vendor=vendor))


# -- products ---------------------------------------------------------------------------------

def _installs_chart(counts: dict[str, int]) -> list[dict[str, Any]]:
    from packaging.version import InvalidVersion, Version

    def order(item: tuple[str, int]) -> Any:
        try:
            return (0, Version(item[0]))
        except InvalidVersion:
            return (1, item[0])

    rows = sorted(counts.items(), key=order, reverse=True)[:15]
    top = max((n for _, n in rows), default=0) or 1
    return [{"version": v, "count": n, "width": round(100 * n / top, 1)} for v, n in rows]


@bp.get("/<vendor>/p/<product>/")
@login_required
def dashboard(vendor: str, product: str) -> View:
    access, prod = product_access(vendor, product)
    rows = releases.list_releases(db.session, prod, include_hidden=True)
    now = utcnow()
    latest = {c: next((r for r in rows if r.channel == c and r.visible_at(now) and not r.yanked),
                      None) for c in prod.channels}
    drafts = [r for r in rows if r.draft]
    open_notices = [n for n in notices.list_notices(db.session, prod)
                    if n.status not in RESOLVED_STATUSES]
    by_severity = {s: sum(1 for n in open_notices if n.severity == s) for s in SEVERITIES}
    runtime(current_app).recorder.flush()
    db.session.commit()
    counts = active_installs(db.session, prod.id, now.date() - dt.timedelta(days=29))
    rolling = [r for r in rows if not r.draft and (r.rollout_percent < 100 or r.paused)]
    stops = {s.channel: s for s in releases.emergency_stops(db.session, prod)}
    return render_template("console/dashboard.html", access=access, product=prod,
                           rolling=rolling, stops=stops, stop_form=forms.StopForm(), now=now,
                           latest=latest, drafts=drafts, by_severity=by_severity,
                           open_notices=open_notices, chart=_installs_chart(counts),
                           total_installs=sum(counts.values()))


@bp.route("/<vendor>/p/<product>/settings", methods=["GET", "POST"])
@login_required
def settings(vendor: str, product: str) -> View:
    access, prod = product_access(vendor, product)
    form = forms.SettingsForm(obj=prod)
    key_form = forms.SigningKeyForm(prefix="key")
    if request.method == "POST":
        access.require("owner")
        if form.validate_on_submit():
            try:
                products.update_product(db.session, access.actor, prod, {
                    "name": form.name.data, "support_url": form.support_url.data or None,
                    "support_email": form.support_email.data or None,
                    "minimum_supported_version": form.minimum_supported_version.data or None,
                    "notice_prefix": (form.notice_prefix.data or "").strip()})
            except UpdatesrvError as exc:
                db.session.rollback()
                forms.show_error(form, exc)
            else:
                flash("Settings saved.", "ok")
                return redirect(url_for("console.settings", vendor=vendor, product=product))
    return _settings_page(access, prod, form, key_form)


def _settings_page(access: Any, prod: Product, form: Any, key_form: Any) -> View:
    return render_template("console/settings.html", access=access, product=prod, form=form,
                           key_form=key_form, retire_form=forms.ActionForm()
                           ), max(_status(form), _status(key_form))


@bp.post("/<vendor>/p/<product>/settings/keys")
@login_required
def add_key(vendor: str, product: str) -> View:
    access, prod = product_access(vendor, product, "owner")
    key_form = forms.SigningKeyForm(prefix="key")
    if key_form.validate_on_submit():
        keys = [k.public_key for k in prod.active_signing_keys] + [
            (key_form.public_key.data or "").strip()]
        try:
            products.update_product(db.session, access.actor, prod, {"signing_keys": keys})
        except UpdatesrvError as exc:
            db.session.rollback()
            forms.show_error(key_form, exc)
        else:
            flash("Signing key added. Every new file must now carry a signature.", "ok")
            return redirect(url_for("console.settings", vendor=vendor, product=product))
    access, prod = product_access(vendor, product, "owner")
    return _settings_page(access, prod, forms.SettingsForm(obj=prod), key_form)


@bp.post("/<vendor>/p/<product>/settings/keys/<int:key_id>/retire")
@login_required
def retire_key(vendor: str, product: str, key_id: int) -> BaseResponse:
    access, prod = product_access(vendor, product, "owner")
    if forms.ActionForm().validate_on_submit():
        keys = [k.public_key for k in prod.active_signing_keys if k.id != key_id]
        products.update_product(db.session, access.actor, prod, {"signing_keys": keys})
        flash("Key retired.", "ok")
    return redirect(url_for("console.settings", vendor=vendor, product=product))


# -- releases ---------------------------------------------------------------------------------

def _release_url(vendor: str, product: str, version: str) -> str:
    return url_for("console.release_page", vendor=vendor, product=product, version=version)


def _release_context(vendor: str, product: str, version: str,
                     needed: str = "viewer") -> tuple[Any, Product, Any]:
    """The access check, the product and the release every release view starts with."""
    access, prod = product_access(vendor, product, needed)
    return access, prod, releases.get_release(db.session, prod, version)


def _notice_url(vendor: str, product: str, notice_id: str) -> str:
    return url_for("console.notice_page", vendor=vendor, product=product, notice_id=notice_id)


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
            done = _apply(
                form, lambda: releases.create_release(db.session, access.actor, prod, {
                    "version": form.version.data, "channel": form.channel.data,
                    "notes": form.notes.data or "", "critical": bool(form.critical.data),
                    "draft": True})[0],
                lambda r: f"Draft {r.version} saved. Add its files, then publish.",
                lambda r: _release_url(vendor, product, r.version))
            if done is not None:
                return done
    return render_template("console/release_new.html", access=access, product=prod, form=form,
                           preview=preview), _status(form)


def _release_page(access: Any, prod: Product, release: Any, **forms_: Any) -> View:
    edit = forms_.get("edit") or forms.ReleaseEditForm(obj=release)
    upload = forms_.get("upload") or forms.UploadForm(prefix="up")
    external = forms_.get("external") or forms.ExternalArtifactForm(prefix="ext")
    yank = forms_.get("yank") or forms.YankForm(prefix="yank")
    rollout = forms_.get("rollout") or forms.RolloutForm(
        prefix="ro", rollout_percent=release.rollout_percent,
        min_upgrade_from=release.min_upgrade_from)
    history = list_events(db.session, access.vendor.id, object_type="release",
                          object_key=f"{prod.slug}/{release.version}", limit=100)
    status = max(_status(f) for f in (edit, upload, external, yank, rollout))
    return render_template("console/release.html", access=access, product=prod,
                           release=release, edit=edit, upload=upload, external=external,
                           yank=yank, rollout=rollout, action=forms.ActionForm(),
                           events=history,
                           preview=forms_.get("preview"), base=base_url(),
                           now=utcnow()), status


@bp.route("/<vendor>/p/<product>/releases/<version>", methods=["GET", "POST"])
@login_required
def release_page(vendor: str, product: str, version: str) -> View:
    access, prod, release = _release_context(vendor, product, version)
    edit = forms.ReleaseEditForm(obj=release)
    preview = None
    if request.method == "POST":
        access.require("publisher")
        if edit.validate_on_submit():
            if edit.preview.data:
                preview = render_markdown(edit.notes.data)
            else:
                done = _apply(edit, lambda: releases.update_release(
                    db.session, access.actor, release, {
                        "notes": edit.notes.data or "", "critical": bool(edit.critical.data)}),
                    "Release saved.", request.path)
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
    access, _, release = _release_context(vendor, product, version, "publisher")
    changes, message = RELEASE_ACTIONS[action]
    if forms.ActionForm().validate_on_submit():
        try:
            releases.update_release(db.session, access.actor, release, changes)
        except UpdatesrvError as exc:
            db.session.rollback()
            flash(exc.detail, "error")
        else:
            flash(message.format(version=release.version), "ok")
    return redirect(_release_url(vendor, product, version))


@bp.post("/<vendor>/p/<product>/releases/<version>/rollout")
@login_required
def release_rollout(vendor: str, product: str, version: str) -> View:
    access, prod, release = _release_context(vendor, product, version, "publisher")
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
            done = _apply(form, lambda: releases.update_release(
                db.session, access.actor, release, changes), "Rollout saved.",
                _release_url(vendor, product, version))
            if done is not None:
                return done
    return _release_page(access, prod, release, rollout=form)


@bp.post("/<vendor>/p/<product>/channels/<channel>/stop")
@login_required
def channel_stop(vendor: str, product: str, channel: str) -> BaseResponse:
    return _channel_stop(vendor, product, channel, True)


@bp.post("/<vendor>/p/<product>/channels/<channel>/resume")
@login_required
def channel_resume(vendor: str, product: str, channel: str) -> BaseResponse:
    return _channel_stop(vendor, product, channel, False)


def _channel_stop(vendor: str, product: str, channel: str, stop: bool) -> BaseResponse:
    access, prod = product_access(vendor, product, "publisher")
    form = forms.StopForm()
    if form.validate_on_submit():
        releases.set_emergency_stop(db.session, access.actor, prod, channel, stop,
                                    form.reason.data or "")
        flash(f"Emergency stop on {channel}: installs there are offered nothing." if stop
              else f"Lifted the emergency stop on {channel}.", "ok")
    return redirect(url_for("console.dashboard", vendor=vendor, product=product))


@bp.post("/<vendor>/p/<product>/releases/<version>/yank")
@login_required
def release_yank(vendor: str, product: str, version: str) -> View:
    access, prod, release = _release_context(vendor, product, version, "publisher")
    form = forms.YankForm(prefix="yank")
    if form.validate_on_submit():
        done = _apply(form, lambda: releases.update_release(
            db.session, access.actor, release, {"yanked": True, "yank_reason": form.reason.data}),
            f"Yanked {version}. Installs on it are offered a replacement.",
            _release_url(vendor, product, version))
        if done is not None:
            return done
    return _release_page(access, prod, release, yank=form)


@bp.post("/<vendor>/p/<product>/releases/<version>/upload")
@login_required
def release_upload(vendor: str, product: str, version: str) -> View:
    access, prod, release = _release_context(vendor, product, version, "publisher")
    form = forms.UploadForm(prefix="up")
    if form.validate_on_submit():
        upload = form.file.data
        done = _apply(
            form, lambda: releases.upload_artifact(
                db.session, access.actor, release, runtime(current_app).store,
                platform=(form.platform.data or "").strip(), stream=upload.stream,
                filename=upload.filename, signature=form.signature.data or None,
                max_bytes=int(current_app.config["MAX_UPLOAD_BYTES"]))[0],
            lambda a: (f"Uploaded {a.filename} for {a.platform} ({a.size} bytes, "
                       f"SHA-256 {a.sha256[:12]}…)."),
            _release_url(vendor, product, version))
        if done is not None:
            return done
    return _release_page(access, prod, release, upload=form)


@bp.post("/<vendor>/p/<product>/releases/<version>/external")
@login_required
def release_external(vendor: str, product: str, version: str) -> View:
    access, prod, release = _release_context(vendor, product, version, "publisher")
    form = forms.ExternalArtifactForm(prefix="ext")
    if form.validate_on_submit():
        done = _apply(form, lambda: releases.add_external_artifact(
            db.session, access.actor, release, {
                "platform": (form.platform.data or "").strip(), "url": form.url.data,
                "size": form.size.data, "sha256": (form.sha256.data or "").strip().lower(),
                **({"signature": form.signature.data} if form.signature.data else {})}),
            "File added.", _release_url(vendor, product, version))
        if done is not None:
            return done
    return _release_page(access, prod, release, external=form)


# -- notices ----------------------------------------------------------------------------------

@bp.get("/<vendor>/p/<product>/notices/")
@login_required
def notice_list(vendor: str, product: str) -> View:
    access, prod = product_access(vendor, product)
    status = request.args.get("status") or None
    severity = request.args.get("severity") or None
    rows = [n for n in notices.list_notices(db.session, prod)
            if (status is None or n.status == status)
            and (severity is None or n.severity == severity)]
    return render_template("console/notices.html", access=access, product=prod, notices=rows,
                           statuses=STATUSES, severities=SEVERITIES,
                           filters={"status": status, "severity": severity})


def _notice_data(form: forms.NoticeForm) -> dict[str, Any]:
    platforms = [p.strip() for p in (form.platforms.data or "").split(",") if p.strip()]
    return {"title": form.title.data, "severity": form.severity.data,
            "status": form.status.data, "affected": form.affected.data,
            "platforms": platforms, "channels": list(form.channels.data or []),
            "summary": form.summary.data or "", "details": form.details.data or "",
            "workaround": form.workaround.data or "", "fixed_in": form.fixed_in.data or None,
            "hold_release": form.hold_release.data or None}


def _matching_versions(prod: Product, affected: str | None) -> tuple[list[str], str | None]:
    """The specifier helper: which published versions a specifier matches, before saving."""
    try:
        spec: SpecifierSet = parse_specifier(affected)
    except InvalidInput as exc:
        return [], exc.detail
    return [v for v in _published_versions(prod)
            if spec.contains(v, prereleases=True)], None


def _published_versions(prod: Product) -> list[str]:
    """Version strings only (for the specifier helper and 'fixed in' suggestions): the light
    index, not every release with its files."""
    return [r.version for r in releases.release_index(db.session, prod)]


def _notice_form(prod: Product, notice: Any = None) -> forms.NoticeForm:
    form = forms.NoticeForm(obj=notice)
    form.channels.choices = forms.choices(prod.channels)
    if notice is not None:
        form.status.choices = forms.choices(STATUSES)
        if request.method == "GET":
            form.platforms.data = ", ".join(notice.platforms)
    return form


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
            done = _apply(
                form, lambda: notices.create_notice(db.session, access.actor, prod, {
                    **_notice_data(form), "message": form.message.data or ""}),
                lambda n: f"Filed {n.public_id}. Affected installs see it on their next check.",
                lambda n: _notice_url(vendor, product, n.public_id))
            if done is not None:
                return done
    return render_template("console/notice_form.html", access=access, product=prod, form=form,
                           matches=matches, notice=None,
                           versions=_published_versions(prod)
                           ), _status(form)


@bp.route("/<vendor>/p/<product>/notices/<notice_id>", methods=["GET", "POST"])
@login_required
def notice_page(vendor: str, product: str, notice_id: str) -> View:
    access, prod = product_access(vendor, product)
    notice = notices.get_notice(db.session, prod, notice_id)
    form = _notice_form(prod, notice)
    update_form = forms.NoticeUpdateForm(prefix="upd", status=notice.status,
                                         fixed_in=notice.fixed_in)
    matches: list[str] | None = None
    if request.method == "POST":
        access.require("publisher")
        if form.validate_on_submit():
            if form.check.data:
                matches, error = _matching_versions(prod, form.affected.data)
                if error:
                    form.affected.errors = [error]
            else:
                done = _apply(form, lambda: notices.update_notice(
                    db.session, access.actor, notice, {
                        **_notice_data(form), "message": form.message.data or ""}),
                    lambda n: f"Saved {n.public_id} (revision {n.revision}).", request.path)
                if done is not None:
                    return done
    return _notice_page(access, prod, notice, form, update_form, matches)


def _notice_page(access: Any, prod: Product, notice: Any, form: Any, update_form: Any,
                 matches: list[str] | None) -> View:
    catalog = runtime(current_app).catalogs.get(prod.slug)
    delivered = None
    if catalog is not None:
        entry = next((n for n in catalog.notices if n.public_id == notice.public_id), None)
        if entry is not None:
            delivered = notice_body(entry, None, catalog, base_url(), utcnow())
    history = list_events(db.session, access.vendor.id, object_type="notice",
                          object_key=notice.public_id, limit=100)
    return render_template(
        "console/notice.html", access=access, product=prod, notice=notice, form=form,
        update_form=update_form, matches=matches, delivered=delivered,
        delivered_json=json.dumps(delivered, indent=2, ensure_ascii=False) if delivered else "",
        events=history, versions=_published_versions(prod),
        affected_text=notices.affected_in_words(notice.affected),
    ), max(_status(form), _status(update_form))


@bp.post("/<vendor>/p/<product>/notices/<notice_id>/update")
@login_required
def notice_update(vendor: str, product: str, notice_id: str) -> View:
    access, prod = product_access(vendor, product, "publisher")
    notice = notices.get_notice(db.session, prod, notice_id)
    update_form = forms.NoticeUpdateForm(prefix="upd")
    if update_form.validate_on_submit():
        done = _apply(update_form, lambda: notices.update_notice(
            db.session, access.actor, notice, {
                "status": update_form.status.data,
                "fixed_in": update_form.fixed_in.data or None,
                "message": update_form.message.data or ""}),
            "Update posted to the timeline.", _notice_url(vendor, product, notice_id))
        if done is not None:
            return done
    return _notice_page(access, prod, notice, _notice_form(prod, notice), update_form, None)

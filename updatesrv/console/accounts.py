"""Console pages for people and access: signing in, passwords, invitations, members, API
tokens and the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse
from wtforms.fields.choices import SelectChoice

from ..accounts import alerts
from ..accounts import services as accounts
from ..accounts import tokens as tokens_service
from ..accounts.invitations import deliver_invitation
from ..accounts.login import TooManyAttempts
from ..accounts.login import login as attempt_login
from ..accounts.models import Membership, Passkey, User
from ..audit.services import list_events
from ..db import db, utcnow
from ..errors import NotFound, UpdatesrvError
from ..paging import page_args
from ..products.services import list_products
from . import forms
from .auth import (
    current_user,
    login_required,
    safe_next,
    sign_in,
    sign_out,
    sign_out_everywhere,
    vendor_access,
)
from .common import View, absolute_url, bp, form_status
from .twofactor import complete_sign_in, finish_password_step


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
            return render_template("console/login.html", form=form,
                                   passkey_form=forms.PasskeySignInForm()), 429
        if user is None:
            form.form_errors.append("Wrong e-mail or password.")
        else:
            return finish_password_step(user, safe_next(request.args.get("next")))
    return render_template("console/login.html", form=form,
                           passkey_form=forms.PasskeySignInForm()), form_status(form)


@bp.post("/logout")
def logout() -> BaseResponse:
    form = forms.ActionForm()
    if form.validate_on_submit():
        sign_out()
    return redirect(url_for("console.login"))


@bp.post("/sessions/end-all")
@login_required
def sign_out_everywhere_view() -> BaseResponse:
    """Ends every session of this user, in every browser, this one included (e.g. after
    a laptop was lost or a cookie may have been copied)."""
    form = forms.ActionForm()
    user = current_user()
    if user is None or not form.validate_on_submit():
        return redirect(url_for("console.change_password"))
    ended = sign_out_everywhere(user)
    flash(f"Signed out everywhere ({ended} session{'s' if ended != 1 else ''} ended). "
          "Sign in again to continue.", "ok")
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
    return render_template("console/password.html", form=form,
                           sign_ins=alerts.history(db.session, user.id)), form_status(form)


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
            complete_sign_in(joined, "invitation")
            return redirect(url_for("console.vendor_home", vendor=invitation.vendor.slug))
    return render_template("console/invite.html", form=form, invitation=invitation,
                           user=user), form_status(form)


@bp.get("/")
@login_required
def home() -> View:
    user = current_user()
    assert user is not None
    memberships = accounts.memberships_of(db.session, user)
    if len(memberships) == 1:
        return redirect(url_for("console.vendor_home", vendor=memberships[0].vendor.slug))
    return render_template("console/home.html", memberships=memberships)


@bp.get("/<vendor>/audit")
@login_required
def audit_log(vendor: str) -> View:
    access = vendor_access(vendor)
    page = page_args(request.args, per_page=50)
    events = list_events(db.session, access.vendor.id, limit=51, offset=page.offset)
    return render_template("console/audit.html", access=access, events=events[:50],
                           page=page.page, more=len(events) > 50)


@bp.route("/<vendor>/tokens", methods=["GET", "POST"])
@login_required
def tokens(vendor: str) -> View:
    access = vendor_access(vendor, "owner")
    form = forms.TokenForm()
    form.products.choices = [SelectChoice(p.slug, p.name) for p in
                             list_products(db.session, access.vendor.id)]
    created = None
    if form.validate_on_submit():
        try:
            token, created = tokens_service.create_token(
                db.session, access.vendor, form.name.data or "", form.role.data or "publisher",
                created_by=access.actor.label, products=form.products.data or [],
                lifetime=tokens_service.parse_lifetime(form.expires_in.data or "90d"))
            alerts.token_created(db.session, current_app.config, token)
        except UpdatesrvError as exc:
            forms.show_error(form, exc)
    rows = tokens_service.list_tokens(db.session, access.vendor.id)
    return render_template("console/tokens.html", access=access, form=form, created=created,
                           tokens=rows, now=utcnow(),
                           scopes={t.id: tokens_service.scope_slugs(db.session, t)
                                   for t in rows if t.product_scoped},
                           revoke_form=forms.ActionForm()), form_status(form)


@bp.post("/<vendor>/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(vendor: str, token_id: int) -> BaseResponse:
    access = vendor_access(vendor, "owner")
    if forms.ActionForm().validate_on_submit():
        token = tokens_service.revoke_token(db.session, access.actor, token_id)
        flash(f"Revoked token {token.name}.", "ok")
    return redirect(url_for("console.tokens", vendor=vendor))


@bp.route("/<vendor>/members", methods=["GET", "POST"])
@login_required
def members(vendor: str) -> View:
    access = vendor_access(vendor, "owner")
    form = forms.InviteForm()
    link = None
    mailed_to = None
    if form.validate_on_submit():
        try:
            invitation, token = accounts.create_invitation(db.session, access.actor,
                                                           form.email.data or "",
                                                           form.role.data or "publisher")
        except UpdatesrvError as exc:
            forms.show_error(form, exc)
        else:
            full = absolute_url(url_for("console.accept_invite", token=token))
            link = deliver_invitation(db.session, current_app.config, invitation,
                                      access.vendor.name, full)
            mailed_to = None if link else invitation.email
    rows = db.session.execute(
        sa.select(Membership, User).join(User).where(Membership.vendor_id == access.vendor.id)
        .order_by(User.email)).all()
    return render_template("console/members.html", access=access, form=form, link=link,
                           mailed_to=mailed_to, rows=rows,
                           with_passkey=set(db.session.scalars(
                               sa.select(Passkey.user_id).join(
                                   Membership, Membership.user_id == Passkey.user_id)
                               .where(Membership.vendor_id == access.vendor.id))),
                           role_choices=forms.MemberRoleForm().role.choices
                           ), form_status(form)


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

"""Console pages for two-factor sign-in: the code step after the password, enrolment
with a QR code and recovery codes, turning it off, and an owner requiring it."""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from ..accounts import alerts, passkeys, twofactor
from ..accounts import services as accounts
from ..accounts.login import TooManyAttempts
from ..accounts.models import User
from ..db import db
from ..errors import InvalidInput, UpdatesrvError
from . import forms
from .auth import current_user, login_required, safe_next, sign_in, vendor_access
from .common import View, bp, form_status

# How long the password step stays good while the code is typed.
PENDING_SECONDS = 300


def finish_password_step(user: User, next_path: str | None) -> BaseResponse:
    """After a right password: sign in, or ask for the second factor first."""
    if not twofactor.has_second_factor(db.session, user):
        complete_sign_in(user, "password")
        return redirect(next_path or url_for("console.home"))
    session.clear()
    session["pending_2fa"] = {"uid": user.id, "at": int(time.time()), "next": next_path or ""}
    return redirect(url_for("console.login_code"))


def complete_sign_in(user: User, method: str) -> None:
    sign_in(user)
    alerts.record_sign_in(db.session, current_app.config, user, method,
                          request.headers.get("User-Agent", ""), request.remote_addr)


def pending_user() -> tuple[User | None, str]:
    pending = session.get("pending_2fa")
    if not isinstance(pending, dict) or time.time() - int(pending.get("at", 0)) > \
            PENDING_SECONDS:
        return None, ""
    return db.session.get(User, int(pending.get("uid", 0))), str(pending.get("next") or "")


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> View:
    user, next_path = pending_user()
    if user is None or not twofactor.has_second_factor(db.session, user):
        session.pop("pending_2fa", None)
        flash("Sign in again: the code step waited too long.", "error")
        return redirect(url_for("console.login"))
    form = forms.SecondFactorForm()
    if form.validate_on_submit():
        try:
            ok = twofactor.verify_second_factor(
                db.session, user, form.code.data or "", request.remote_addr or "unknown",
                str(current_app.config["SECRET_KEY"]).encode())
        except TooManyAttempts as exc:
            form.form_errors.append(exc.detail)
            return render_template("console/login_code.html", form=form), 429
        if ok:
            complete_sign_in(user, "password and code")
            return redirect(safe_next(next_path) or url_for("console.home"))
        form.code.errors = [twofactor.WRONG_CODE]
    return render_template("console/login_code.html", form=form, totp=bool(user.totp_secret),
                           passkey_form=forms.PasskeySignInForm(),
                           passkey=passkeys.has_passkey(db.session, user.id)), form_status(form)


@bp.route("/two-factor", methods=["GET", "POST"])
@login_required
def two_factor() -> View:
    user = current_user()
    assert user is not None
    if user.totp_secret:
        return _manage(user)
    secret = session.get("totp_pending")
    if not isinstance(secret, str) or len(secret) != 32:
        secret = twofactor.new_secret()
        session["totp_pending"] = secret
    form = forms.EnableTwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = twofactor.enable(db.session, user, secret, form.code.data or "")
        except UpdatesrvError as exc:
            forms.show_error(form, exc)
        else:
            session.pop("totp_pending", None)
            return render_template("console/two_factor.html", codes=codes, enabled=True)
    uri = twofactor.provisioning_uri(secret, user.email)
    return render_template("console/two_factor.html", form=form, secret=secret,
                           qr=twofactor.qr_svg(uri), enabled=False,
                           required=twofactor.requires_enrolment(db.session, user)
                           ), form_status(form)


def _manage(user: User) -> View:
    form = forms.DisableTwoFactorForm()
    if form.validate_on_submit():
        if not accounts.verify_password(user, form.current_password.data or ""):
            form.current_password.errors = ["That is not your password."]
        else:
            twofactor.disable(db.session, user)
            if twofactor.requires_enrolment(db.session, user):
                # A vendor requires it: off means "set it up again", never "without".
                flash("Two-factor sign-in is off. A vendor you belong to requires it: "
                      "set it up again now.", "error")
            else:
                flash("Two-factor sign-in is off.", "ok")
            alerts.second_factor_removed(db.session, current_app.config, user)
            return redirect(url_for("console.two_factor"))
    return render_template("console/two_factor.html", form=form, enabled=True, codes=None,
                           remaining=twofactor.remaining_recovery_codes(db.session, user.id)
                           ), form_status(form)


@bp.post("/<vendor>/members/two-factor")
@login_required
def require_two_factor(vendor: str) -> BaseResponse:
    access = vendor_access(vendor, "owner")
    form = forms.RequireTwoFactorForm()
    user = current_user()
    assert user is not None
    if form.validate_on_submit():
        try:
            if form.required.data and not twofactor.has_second_factor(db.session, user):
                raise InvalidInput("Turn on two-factor sign-in for your own account first.")
            twofactor.set_requirement(db.session, access.vendor, bool(form.required.data),
                                      access.actor.label)
        except UpdatesrvError as exc:
            flash(exc.detail, "error")
        else:
            flash("Every member now needs two-factor sign-in." if form.required.data
                  else "Two-factor sign-in is no longer required.", "ok")
    return redirect(url_for("console.members", vendor=vendor))

"""Getting back into an account without the operator: a password-reset link by e-mail."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from ..accounts import resets
from ..db import db
from ..errors import UpdatesrvError
from ..ratelimit.errors import RateLimited
from . import forms
from .common import View, absolute_url, bp, form_status


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> View:
    form = forms.ForgotPasswordForm()
    can_mail = bool(current_app.config.get("MAIL_URL"))
    if can_mail and form.validate_on_submit():
        try:
            resets.request_reset(
                db.session, form.email.data or "", request.remote_addr,
                str(current_app.config["SECRET_KEY"]),
                lambda token: absolute_url(url_for("console.reset_password", token=token)))
        except RateLimited:
            form.form_errors.append("Too many reset requests. Wait ten minutes and try again.")
            return render_template("console/forgot.html", form=form, can_mail=can_mail), 429
        except UpdatesrvError as exc:
            forms.show_error(form, exc)
        else:
            # The same answer whether or not the address has an account.
            return render_template("console/forgot.html", form=form, can_mail=can_mail,
                                   sent_to=form.email.data)
    return render_template("console/forgot.html", form=form, can_mail=can_mail
                           ), form_status(form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> View:
    resets.find_reset(db.session, token)  # a used or expired link: 404 with what to do
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        try:
            resets.complete_reset(db.session, token, form.new_password.data or "")
        except UpdatesrvError as exc:
            forms.show_error(form, exc)
        else:
            flash("Password changed and every session of your account ended. "
                  "Sign in with the new password.", "ok")
            return redirect(url_for("console.login"))
    response = current_app.make_response((render_template("console/reset.html", form=form),
                                          form_status(form)))
    # The link is the secret: never hand it on as a Referer to another site.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response

"""Console pages for passkeys: adding, listing and removing them on the account's
two-factor page, using one after the password, and signing in with one alone.

The browser part (navigator.credentials) is static/passkeys.js: it asks the matching
``.../options`` endpoint for the WebAuthn options, lets the authenticator answer, puts
the answer in the form's hidden ``credential`` field and submits the form as usual, so
every outcome is an ordinary page with its message."""

from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from ..accounts import alerts, passkeys
from ..db import db
from ..errors import UpdatesrvError
from . import forms
from .auth import current_user, login_required, safe_next
from .common import View, bp, form_status
from .twofactor import complete_sign_in, pending_user

NEEDS_SCRIPT = ("No passkey answer arrived: it was cancelled, or this browser or page "
                "cannot use passkeys (they need JavaScript and HTTPS or localhost).")


def _rp() -> passkeys.RelyingParty:
    return passkeys.relying_party(current_app.config.get("BASE_URL"), request.host_url)


def _options(json_text: str, challenge: bytes) -> BaseResponse:
    session["passkey_challenge"] = passkeys.challenge_text(challenge)
    response = current_app.response_class(json_text, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _take_challenge() -> bytes | None:
    return passkeys.challenge_bytes(session.pop("passkey_challenge", None))


@bp.route("/passkeys", methods=["GET", "POST"], endpoint="passkeys")
@login_required
def passkeys_page() -> View:
    user = current_user()
    assert user is not None
    form = forms.PasskeyForm()
    if form.validate_on_submit():
        challenge = _take_challenge()
        if not form.credential.data or challenge is None:
            form.form_errors.append(NEEDS_SCRIPT)
        else:
            try:
                key = passkeys.register(db.session, user, _rp(), challenge,
                                        form.credential.data, form.name.data or "")
            except UpdatesrvError as exc:
                forms.show_error(form, exc)
            else:
                flash(f"Passkey \u201c{key.name}\u201d added.", "ok")
                return redirect(url_for("console.passkeys"))
    return render_template("console/passkeys.html", form=form,
                           keys=passkeys.user_passkeys(db.session, user.id),
                           remove_form=forms.PasskeySignInForm()), form_status(form)


@bp.post("/passkeys/options")
@login_required
def passkey_options() -> BaseResponse:
    user = current_user()
    assert user is not None
    return _options(*passkeys.registration_options(db.session, user, _rp()))


@bp.post("/passkeys/<int:passkey_id>/remove")
@login_required
def remove_passkey(passkey_id: int) -> BaseResponse:
    user = current_user()
    assert user is not None
    if forms.PasskeySignInForm().validate_on_submit():
        name = passkeys.remove(db.session, user, passkey_id)
        if name is not None:
            alerts.passkey_removed(db.session, current_app.config, user, name)
            flash(f"Passkey \u201c{name}\u201d removed.", "ok")
    return redirect(url_for("console.passkeys"))


@bp.post("/login/passkey/options")
def login_passkey_options() -> BaseResponse:
    user, _ = pending_user()
    if request.args.get("step") == "second" and user is None:
        expired = jsonify(error="Sign in again: the code step waited too long.")
        expired.status_code = 400
        return expired
    return _options(*passkeys.authentication_options(db.session, _rp(), user))


@bp.post("/login/passkey")
def login_passkey() -> BaseResponse:
    """A passkey after the password (a pending sign-in), or instead of it."""
    user, next_path = pending_user()
    form = forms.PasskeySignInForm()
    challenge = _take_challenge()
    back = url_for("console.login_code") if user is not None else url_for("console.login")
    if not form.validate_on_submit() or not form.credential.data or challenge is None:
        flash(NEEDS_SCRIPT, "error")
        return redirect(back)
    signed_in = passkeys.authenticate(db.session, _rp(), challenge, form.credential.data, user)
    if signed_in is None:
        flash(passkeys.NOT_ACCEPTED, "error")
        return redirect(back)
    complete_sign_in(signed_in, "password and passkey" if user is not None else "passkey")
    next_path = next_path or request.args.get("next") or ""
    return redirect(safe_next(next_path) or url_for("console.home"))

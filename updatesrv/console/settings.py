"""Product settings and signing keys."""

from __future__ import annotations

from typing import Any

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from ..db import db
from ..errors import UpdatesrvError
from ..products import platforms as registry
from ..products import services as products
from ..products.models import Product
from ..versioning import PreconditionFailed
from . import forms
from .auth import (
    login_required,
    product_access,
)
from .common import View, apply_form, bp, form_status


@bp.route("/<vendor>/p/<product>/settings", methods=["GET", "POST"])
@login_required
def settings(vendor: str, product: str) -> View:
    access, prod = product_access(vendor, product)
    form = forms.SettingsForm(obj=prod)
    key_form = forms.SigningKeyForm(prefix="key")
    if request.method == "GET":
        form.platforms.data = forms.platforms_text(prod.platforms or [])
    if request.method == "POST":
        access.require("owner")
        if form.validate_on_submit():
            done = apply_form(form, lambda: products.update_product(
                db.session, access.actor, prod, {
                    "name": form.name.data, "support_url": form.support_url.data or None,
                    "support_email": form.support_email.data or None,
                    "minimum_supported_version": form.minimum_supported_version.data or None,
                    "notice_prefix": (form.notice_prefix.data or "").strip(),
                    "platforms": forms.parse_platforms_text(form.platforms.data or ""),
                    "failure_reports": bool(form.failure_reports.data),
                    "failure_alarm": {"installs": form.failure_alarm_installs.data,
                                      "percent": form.failure_alarm_percent.data}},
                if_match=form.loaded_version()),
                "Settings saved.", url_for("console.settings", vendor=vendor, product=product),
                saved=lambda: ({name: getattr(prod, name) for name in (
                    "name", "support_url", "support_email", "minimum_supported_version",
                    "notice_prefix", "failure_reports", "failure_alarm_installs",
                    "failure_alarm_percent")}, prod.row_version))
            if done is not None:
                return done
    return _settings_page(access, prod, form, key_form)


def _settings_page(access: Any, prod: Product, form: Any, key_form: Any) -> View:
    return render_template("console/settings.html", access=access, product=prod, form=form,
                           key_form=key_form, retire_form=forms.ActionForm(),
                           registry=registry.registry_to_list(db.session, prod),
                           builtin=registry.BUILTIN_NAMES
                           ), max(form_status(form), form_status(key_form))


@bp.post("/<vendor>/p/<product>/settings/keys")
@login_required
def add_key(vendor: str, product: str) -> View:
    access, prod = product_access(vendor, product, "owner")
    key_form = forms.SigningKeyForm(prefix="key")
    if key_form.validate_on_submit():
        try:
            products.add_signing_key(db.session, access.actor, prod,
                                     key_form.public_key.data or "")
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
    form = forms.RetireKeyForm()
    if form.validate_on_submit():
        try:
            products.retire_signing_key(db.session, access.actor, prod, key_id,
                                        if_match=form.loaded_version())
        except PreconditionFailed:
            db.session.rollback()
            flash("That key was changed by someone else since you opened this page, so "
                  "nothing was done: check its state below and retire it again if needed.",
                  "error")
        else:
            flash("Key retired.", "ok")
    return redirect(url_for("console.settings", vendor=vendor, product=product))

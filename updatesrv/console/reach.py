"""Console pages for reach: subscribers (counts for everyone, addresses and CSV for owners),
mail and webhook delivery counts, webhooks with their delivery log and redelivery,
feedback messages, and the funnel drawn on each notice page and the dashboard."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse
from wtforms import StringField
from wtforms.validators import DataRequired

from .. import runtime
from ..db import db, utcnow
from ..errors import UpdatesrvError
from ..feedback.services import counts as feedback_counts
from ..feedback.services import list_messages
from ..notices.models import Notice
from ..notices.services import list_notices
from ..outbox.services import delivery_counts, recent_failures
from ..products.models import Product
from ..reach.services import notice_reach
from ..subscriptions.services import export_csv, list_subscriptions, subscriber_counts
from ..textinput import TextLimit
from ..webhooks import circuit
from ..webhooks import services as webhooks
from ..webhooks.models import EVENTS
from . import forms
from .auth import login_required, product_access
from .common import View, bp


class WebhookForm(forms.Form):
    url = StringField("Endpoint URL (https://…)", validators=[DataRequired(), TextLimit(2000)])
    events = forms.MultiCheckboxField("Events (none ticked = all)",
                                      choices=forms.choices(EVENTS))


def _page(vendor: str, product: str, form: WebhookForm | None = None,
          secret: tuple[str, str] | None = None) -> tuple[str, int]:
    access, prod = product_access(vendor, product)
    notices = list_notices(db.session, prod)
    hooks = webhooks.list_webhooks(db.session, prod)
    status = 400 if form is not None and form.errors else 200
    return render_template(
        "console/reach.html", access=access, product=prod,
        subscribers=subscriber_counts(db.session, prod.id),
        mail=delivery_counts(db.session, prod.id, channel="mail"),
        mail_failures=recent_failures(db.session, prod.id, "mail"),
        hooks_counts=delivery_counts(db.session, prod.id, channel="webhook"),
        mail_on=bool(current_app.config.get("MAIL_URL")),
        addresses=list_subscriptions(db.session, prod.id) if access.can("owner") else None,
        notices=notices, feedback=feedback_counts(db.session, [n.id for n in notices]),
        messages=list_messages(db.session, prod.id),
        webhooks=hooks,
        circuits={w.id: circuit.state(w, utcnow()) for w in hooks},
        deliveries=webhooks.delivery_log(db.session, prod, 50),
        form=form or WebhookForm(formdata=None), secret=secret,
        action=forms.ActionForm()), status


@bp.get("/<vendor>/p/<product>/reach")
@login_required
def reach_page(vendor: str, product: str) -> View:
    return _page(vendor, product)


@bp.get("/<vendor>/p/<product>/subscribers.csv")
@login_required
def subscribers_csv(vendor: str, product: str) -> Response:
    _access, prod = product_access(vendor, product, "owner")
    return Response(export_csv(db.session, prod.id), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="{prod.slug}-subscribers.csv"',
                             "Cache-Control": "no-store"})


@bp.post("/<vendor>/p/<product>/webhooks")
@login_required
def webhook_create(vendor: str, product: str) -> View:
    access, prod = product_access(vendor, product, "owner")
    form = WebhookForm()
    if not form.validate_on_submit():
        return _page(vendor, product, form)
    try:
        hook, secret = webhooks.create_webhook(
            db.session, access.actor, prod,
            {"url": form.url.data, "events": list(form.events.data or []) or None},
            allow_private=bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE")))
    except UpdatesrvError as exc:
        db.session.rollback()
        forms.show_error(form, exc)
        return _page(vendor, product, form)
    # The secret is shown this once, on this page; it is never shown again.
    return _page(vendor, product, secret=(hook.public_id, secret))


@bp.post("/<vendor>/p/<product>/webhooks/<webhook_id>/delete")
@login_required
def webhook_delete(vendor: str, product: str, webhook_id: str) -> BaseResponse:
    access, prod = product_access(vendor, product, "owner")
    if forms.ActionForm().validate_on_submit():
        webhooks.delete_webhook(db.session, access.actor, prod, webhook_id)
        flash("Webhook deleted.", "ok")
    return redirect(url_for("console.reach_page", vendor=vendor, product=product))


@bp.post("/<vendor>/p/<product>/webhooks/deliveries/<int:delivery_id>/redeliver")
@login_required
def webhook_redeliver(vendor: str, product: str, delivery_id: int) -> BaseResponse:
    access, prod = product_access(vendor, product, "owner")
    if forms.ActionForm().validate_on_submit():
        webhooks.redeliver(db.session, access.actor, prod, delivery_id)
        flash("Queued again: the scheduler delivers it on its next tick.", "ok")
    return redirect(url_for("console.reach_page", vendor=vendor, product=product))


def notice_funnel(notice: Notice) -> dict[str, Any]:
    """For the console's notice page: the funnel, with bar widths (SVG, no script)."""
    runtime(current_app).recorder.flush()
    db.session.commit()
    data = notice_reach(db.session, notice)
    top = max(data["affected_installs"], data["told"], 1)
    steps = [("Affected installs", data["affected_installs"]), ("Told", data["told"]),
             ("Shown", data["shown"]), ("Moved off", data["moved"])]
    data["bars"] = [{"label": label, "value": value, "width": round(440 * value / top)}
                    for label, value in steps]
    data["mail"] = delivery_counts(db.session, notice.product_id, channel="mail",
                                   notice_id=notice.id)
    return data


def product_feedback(product: Product) -> dict[str, int]:
    """For the dashboard: feedback over the product's notices."""
    ids = [n.id for n in list_notices(db.session, product)]
    total = {"affected": 0, "workaround_helped": 0, "workaround_failed": 0, "messages": 0}
    for counts in feedback_counts(db.session, ids).values():
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
    return total


def register_reach_console(app: Flask) -> None:
    app.jinja_env.globals["notice_funnel"] = notice_funnel
    app.jinja_env.globals["product_feedback"] = product_feedback

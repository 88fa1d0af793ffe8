"""A vendor's products and a product's dashboard: what is live, rolling out, open, and the
emergency stops."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from .. import runtime
from ..db import db, utcnow
from ..errors import UpdatesrvError
from ..notices import services as notices
from ..notices.models import RESOLVED_STATUSES, SEVERITIES
from ..products import services as products
from ..products.models import Product
from ..products.platforms import product_platforms
from ..releases import services as releases
from ..rollouts import services as rollouts
from ..stats.rejected import rejected_platforms, undeclared_platforms
from ..stats.services import active_installs
from . import forms
from .auth import (
    login_required,
    product_access,
    vendor_access,
)
from .common import View, bp, form_status
from .reports import failure_alarms


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
                           ), form_status(form)


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


def getting_started(prod: Product, rows: list[Any], counts: dict[str, int],
                    has_notice: bool) -> list[dict[str, Any]]:
    """The new product's checklist; each step says where it is done."""
    return [
        {"key": "release", "done": any(not r.draft for r in rows),
         "text": "Publish your first release", "endpoint": "console.release_new"},
        {"key": "support", "done": bool(prod.support_url or prod.support_email),
         "text": "Add a support contact, so stuck users know where to turn",
         "endpoint": "console.settings"},
        {"key": "signing", "done": bool(prod.active_signing_keys),
         "text": "Add a signing key, so installs can verify what they download",
         "endpoint": "console.settings"},
        {"key": "notice", "done": has_notice,
         "text": "File your first known-issue notice", "endpoint": "console.notice_new"},
        {"key": "connect", "done": bool(counts),
         "text": "Connect your app: embed the client so installs check for updates",
         "endpoint": None},
    ]


@bp.get("/<vendor>/p/<product>/")
@login_required
def dashboard(vendor: str, product: str) -> View:
    access, prod = product_access(vendor, product)
    rows = releases.list_releases(db.session, prod, include_hidden=True)
    now = utcnow()
    latest = {c: next((r for r in rows if r.channel == c and r.visible_at(now) and not r.yanked),
                      None) for c in prod.channels}
    drafts = [r for r in rows if r.draft]
    open_notices = [n for n in notices.list_notices(db.session, prod, include_drafts=True)
                    if n.status not in RESOLVED_STATUSES]
    by_severity = {s: sum(1 for n in open_notices if n.severity == s) for s in SEVERITIES}
    runtime(current_app).recorder.flush()
    db.session.commit()
    since = now.date() - dt.timedelta(days=29)
    counts = active_installs(db.session, prod.id, since)
    rolling = [r for r in rows if not r.draft and (r.rollout_percent < 100 or r.paused)]
    stops = {s.channel: s for s in rollouts.emergency_stops(db.session, prod)}
    # An emergency stop only makes sense where installs are offered something.
    stoppable = [c for c in prod.channels
                 if c in stops or any(r.channel == c and not r.draft for r in rows)]
    checklist = getting_started(prod, rows, counts, has_notice=bool(
        notices.list_notices(db.session, prod, include_drafts=True, limit=1)))
    return render_template("console/dashboard.html", access=access, product=prod,
                           rolling=rolling, stops=stops, stop_form=forms.StopForm(), now=now,
                           stoppable=stoppable, checklist=checklist,
                           latest=latest, drafts=drafts, by_severity=by_severity,
                           open_notices=open_notices, chart=_installs_chart(counts),
                           total_installs=sum(counts.values()),
                           unknown_platforms=rejected_platforms(db.session, prod.id, since),
                           undeclared_platforms=undeclared_platforms(
                               db.session, prod.id, since, product_platforms(db.session, prod)),
                           alarms=failure_alarms(prod))


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
    if stop and form.is_submitted() and not form.confirm.data:
        flash(f"Nothing stopped: tick the box to confirm stopping every offer on {channel}.",
              "error")
    elif form.validate_on_submit():
        rollouts.set_emergency_stop(db.session, access.actor, prod, channel, stop,
                                    form.reason.data or "")
        flash(f"Emergency stop on {channel}: installs there are offered nothing." if stop
              else f"Lifted the emergency stop on {channel}.", "ok")
    return redirect(url_for("console.dashboard", vendor=vendor, product=product))

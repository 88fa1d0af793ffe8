"""Console pages for failure reports: the groups, one group with its chart and reach, and
"Draft a notice from this". The dashboard shows alarmed groups (failure_alarms)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse

from .. import runtime
from ..db import db, utcnow
from ..products.models import Product
from ..reports import services as reports
from ..reports.models import FailureGroup
from . import forms
from .auth import login_required, product_access
from .common import View, bp


def failure_alarms(prod: Product, limit: int = 5) -> list[dict[str, Any]]:
    """Alarmed groups of the last days with their 24-hour chart, for the dashboard."""
    now = utcnow()
    groups = [g for g in reports.list_groups(db.session, prod, limit=limit)
              if g.alarmed_at is not None]
    return [{"group": reports.group_to_dict(db.session, g, now),
             "chart": chart(reports.hourly_failing_installs(db.session, g, now))}
            for g in groups]


def chart(counts: list[int]) -> dict[str, Any]:
    """Bars for an SVG: newly failing installs per hour, oldest first."""
    top = max(counts, default=0) or 1
    return {"bars": [{"x": i * 24, "height": round(80 * n / top, 1), "count": n}
                     for i, n in enumerate(counts)],
            "total": sum(counts), "hours": len(counts)}


@bp.get("/<vendor>/p/<product>/reports/")
@login_required
def failure_groups(vendor: str, product: str) -> View:
    access, prod = product_access(vendor, product)
    runtime(current_app).recorder.flush()
    db.session.commit()
    now = utcnow()
    groups = [reports.group_to_dict(db.session, g, now)
              for g in reports.list_groups(db.session, prod)]
    return render_template("console/failure_groups.html", access=access, product=prod,
                           groups=groups,
                           counts=reports.refused_counts(db.session, prod, now.date()))


@bp.get("/<vendor>/p/<product>/reports/<int:group_id>")
@login_required
def failure_group(vendor: str, product: str, group_id: int) -> View:
    access, prod = product_access(vendor, product)
    runtime(current_app).recorder.flush()
    db.session.commit()
    group = reports.get_group(db.session, prod, group_id)
    now = utcnow()
    return render_template("console/failure_group.html", access=access, product=prod,
                           group=reports.group_to_dict(db.session, group, now),
                           chart=chart(reports.hourly_failing_installs(db.session, group, now)),
                           action=forms.ActionForm())


@bp.post("/<vendor>/p/<product>/reports/<int:group_id>/notice")
@login_required
def failure_group_notice(vendor: str, product: str, group_id: int) -> BaseResponse:
    access, prod = product_access(vendor, product, "publisher")
    form = forms.ActionForm()
    if not form.validate_on_submit():
        flash("This form was open too long; please try again.", "error")
        return redirect(url_for("console.failure_group", vendor=vendor, product=product,
                                group_id=group_id))
    group: FailureGroup = reports.get_group(db.session, prod, group_id)
    notice = reports.draft_notice(db.session, access.actor, prod, group)
    flash("Draft notice created from the failure reports: check it, then publish it.", "ok")
    return redirect(url_for("console.notice_page", vendor=vendor, product=product,
                            notice_id=notice.public_id))

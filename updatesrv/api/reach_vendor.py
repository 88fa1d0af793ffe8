"""Vendor reach endpoints: the funnel per notice, subscriber counts and export, outbox
counts."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from .. import runtime
from ..db import db
from ..notices.services import get_notice
from ..outbox.services import delivery_counts
from ..reach.services import notice_reach
from ..subscriptions.services import export_csv, subscriber_counts
from .helpers import current_actor, json_response, own_product, token_required

bp = Blueprint("api_reach_vendor", __name__, url_prefix="/api/v1")


_actor = current_actor
_own_product = own_product


@bp.get("/products/<product>/notices/<notice_id>/reach")
@token_required
def reach_view(product: str, notice_id: str) -> Response:
    notice = get_notice(db.session, _own_product(product), notice_id)
    runtime(current_app).recorder.flush()
    db.session.commit()  # a fresh snapshot that sees the counts just written
    return json_response(notice_reach(db.session, notice))


@bp.get("/products/<product>/subscriptions")
@token_required
def subscriptions_view(product: str) -> Response:
    prod = _own_product(product)
    return json_response({"subscribers": subscriber_counts(db.session, prod.id),
                          "mail": delivery_counts(db.session, prod.id, channel="mail"),
                          "webhooks": delivery_counts(db.session, prod.id, channel="webhook")})


@bp.get("/products/<product>/subscriptions.csv")
@token_required
def subscriptions_csv_view(product: str) -> Response:
    """Addresses are personal data: owners only."""
    _actor().require("owner")
    prod = _own_product(product)
    return Response(export_csv(db.session, prod.id), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="{prod.slug}-subscribers.csv"',
                             "Cache-Control": "no-store"})

"""Failure reports: installs POST them (through the fast lane, like the check: counted in
memory, written in bulk), the vendor reads the groups. The public side never shows them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, request

from .. import runtime
from ..db import db, utcnow
from ..errors import InvalidInput
from ..notices.services import notice_to_dict
from ..paging import offset_args
from ..reports.batch import parse_batch
from ..reports.errors import ReportsOff
from ..reports.services import (
    draft_notice,
    get_group,
    group_to_dict,
    list_groups,
    refused_counts,
)
from .check import CheckReply, catalog_of
from .helpers import (
    base_url,
    current_actor,
    encode_json,
    json_response,
    own_product,
    token_required,
)

if TYPE_CHECKING:
    from .. import Runtime

bp = Blueprint("api_reports", __name__, url_prefix="/api/v1")


def answer_reports(rt: Runtime, config: Mapping[str, Any], product: str, body: bytes,
                   content_type: str | None) -> CheckReply:
    """Validates a batch and counts it in memory; 202 with how many were accepted and how
    many the caps refused. 404 while the product does not collect reports."""
    catalog = catalog_of(rt.catalogs, product)
    if not catalog.failure_reports:
        raise ReportsOff(f"{product} does not collect failure reports; stop sending them",
                         product=product)
    batch = parse_batch(body, content_type)
    if batch.channel is not None and batch.channel not in catalog.channels:
        raise InvalidInput(f"channel must be one of {', '.join(catalog.channels)}; "
                           f"got {batch.channel!r}", field="channel")
    accepted = rt.recorder.record_reports(catalog.product_id, batch.install_id,
                                          batch.platform, batch.reports)
    payload, _ = encode_json({"accepted": accepted.accepted, "refused": accepted.refused})
    return CheckReply(202, payload, [("Content-Type", "application/json"),
                                     ("Cache-Control", "no-store")])


@bp.post("/products/<product>/reports")
def post_reports_view(product: str) -> Response:
    """The Flask route of the same answer (the fast lane hands it anything it could not
    answer, so errors are problem+json as everywhere)."""
    reply = answer_reports(runtime(current_app), current_app.config, product,
                           request.get_data(cache=True), request.content_type)
    return Response(reply.body, status=reply.status, headers=reply.headers)


def _flushed() -> None:
    """Counts still in memory are written first, and a new read transaction sees them."""
    runtime(current_app).recorder.flush()
    db.session.commit()


@bp.get("/products/<product>/reports")
@token_required
def list_reports_view(product: str) -> Response:
    prod = own_product(product)
    limit, offset = offset_args(request.args, limit=100, max_limit=500)
    _flushed()
    now = utcnow()
    return json_response({
        "product": prod.slug, "enabled": prod.failure_reports,
        "alarm": {"installs": prod.failure_alarm_installs,
                  "percent": prod.failure_alarm_percent},
        "today": refused_counts(db.session, prod, now.date()),
        "last_30_days": refused_counts(db.session, prod, now.date() - dt.timedelta(days=29)),
        "items": [group_to_dict(db.session, g, now)
                  for g in list_groups(db.session, prod, limit=limit, offset=offset)]})


@bp.get("/products/<product>/reports/<int:group_id>")
@token_required
def get_report_view(product: str, group_id: int) -> Response:
    prod = own_product(product)
    _flushed()
    return json_response(group_to_dict(db.session, get_group(db.session, prod, group_id),
                                       utcnow()))


@bp.post("/products/<product>/reports/<int:group_id>/notice")
@token_required
def draft_notice_view(product: str, group_id: int) -> Response:
    """Drafts a notice pre-filled from the group (or returns the one already drafted)."""
    prod = own_product(product)
    notice = draft_notice(db.session, current_actor(), prod,
                          get_group(db.session, prod, group_id))
    return json_response(notice_to_dict(notice, base_url(), vendor=True), 201,
                         row_version=notice.row_version)

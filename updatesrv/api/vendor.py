from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, current_app, request

from .. import runtime
from ..audit.services import event_to_dict, list_events
from ..db import db, utcnow
from ..errors import InvalidInput
from ..notices.services import create_notice, get_notice, notice_to_dict, update_notice
from ..paging import bounded_int, offset_args
from ..products.models import Product
from ..products.services import create_product, product_to_dict, update_product
from ..releases.artifacts import (
    add_external_artifact,
    artifact_to_dict,
    receive_upload,
    upload_artifact,
)
from ..releases.direct_upload import (
    begin_direct_upload,
    finish_direct_upload,
    read_completion,
)
from ..releases.services import create_release, get_release, release_to_dict, update_release
from ..rollouts.services import emergency_stops, set_emergency_stop
from ..stats.services import active_installs, installs_by_version, unrecorded
from .helpers import (
    base_url,
    current_actor,
    if_match_versions,
    json_body,
    json_response,
    own_product,
    token_required,
)

bp = Blueprint("api_vendor", __name__, url_prefix="/api/v1")


_actor = current_actor
_own_product = own_product


@bp.post("/products")
@token_required
def create_product_view() -> Response:
    _actor().require_vendor_wide()
    product = create_product(db.session, _actor(), json_body())
    return json_response(product_to_dict(product), 201, row_version=product.row_version)


@bp.get("/vendor/products")
@token_required
def list_products_view() -> Response:
    from ..products.services import list_products

    actor = _actor()
    return json_response({"items": [product_to_dict(p) for p in
                                    list_products(db.session, actor.vendor_id)
                                    if actor.covers(p.vendor_id, p.id)]})


@bp.patch("/products/<product>")
@token_required
def update_product_view(product: str) -> Response:
    updated = update_product(db.session, _actor(), _own_product(product), json_body(),
                             if_match=if_match_versions())
    return json_response(product_to_dict(updated), row_version=updated.row_version)


@bp.post("/products/<product>/releases")
@token_required
def create_release_view(product: str) -> Response:
    release, created = create_release(db.session, _actor(), _own_product(product), json_body())
    return json_response(release_to_dict(release, base_url()), 201 if created else 200,
                         row_version=release.row_version)


@bp.patch("/products/<product>/releases/<version>")
@token_required
def update_release_view(product: str, version: str) -> Response:
    release = get_release(db.session, _own_product(product), version)
    updated = update_release(db.session, _actor(), release, json_body(),
                             if_match=if_match_versions())
    return json_response(release_to_dict(updated, base_url()), row_version=updated.row_version)


@bp.post("/products/<product>/releases/<version>/artifacts")
@token_required
def add_artifact_view(product: str, version: str) -> Response:
    """multipart/form-data (platform, file, signature?, manifest_signature?, kind?,
    minisign_signature?) uploads a file; a JSON body registers an external URL with its size
    and sha256."""
    release = get_release(db.session, _own_product(product), version)
    if request.is_json:
        artifact, created = add_external_artifact(db.session, _actor(), release, json_body())
    else:
        _actor().require("publisher")
        # Receive the body with no transaction open: on SQLite a write transaction would
        # hold the database's one write lock for as long as the client takes to send.
        db.session.commit()
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput("send multipart/form-data with a 'file' part and a 'platform' "
                               "field, or a JSON body with platform, url, size and sha256",
                               field="file")
        store = runtime(current_app).store
        staged = receive_upload(store, upload.stream, int(current_app.config["MAX_UPLOAD_BYTES"]))
        artifact, created = upload_artifact(
            db.session, _actor(), release, store, platform=request.form.get("platform"),
            staged=staged, filename=upload.filename, signature=request.form.get("signature"),
            manifest_signature=request.form.get("manifest_signature"),
            kind=request.form.get("kind"),
            minisign_signature=request.form.get("minisign_signature"))
    return json_response(artifact_to_dict(artifact, base_url()), 201 if created else 200)


@bp.post("/products/<product>/releases/<version>/uploads")
@token_required
def begin_upload_view(product: str, version: str) -> Response:
    """Big files straight into the bucket: presigned part URLs and a token for completion."""
    release = get_release(db.session, _own_product(product), version)
    plan = begin_direct_upload(db.session, _actor(), release, runtime(current_app).store,
                               json_body(), int(current_app.config["MAX_UPLOAD_BYTES"]),
                               str(current_app.config["SECRET_KEY"]))
    return json_response(plan, 201)


@bp.post("/products/<product>/releases/<version>/uploads/complete")
@token_required
def complete_upload_view(product: str, version: str) -> Response:
    release = get_release(db.session, _own_product(product), version)
    upload = read_completion(release, json_body(), str(current_app.config["SECRET_KEY"]))
    _actor().require("publisher")
    # Assembling and reading back the object takes a while: no transaction open meanwhile.
    db.session.commit()
    artifact, created = finish_direct_upload(
        db.session, _actor(), release, runtime(current_app).store, upload,
        int(current_app.config["MAX_UPLOAD_BYTES"]))
    return json_response(artifact_to_dict(artifact, base_url()), 201 if created else 200)


@bp.get("/products/<product>/stats")
@token_required
def stats_view(product: str) -> Response:
    prod = _own_product(product)
    days = bounded_int(request.args, "days", 30, minimum=1, maximum=366)
    runtime(current_app).recorder.flush()
    # Start a new read transaction so the counts just flushed are visible (SQLite
    # keeps the snapshot the request's transaction began with).
    db.session.commit()
    today = utcnow().date()
    since = today - dt.timedelta(days=days - 1)
    return json_response({
        "product": prod.slug, "since": since.isoformat(), "until": today.isoformat(),
        "days": installs_by_version(db.session, prod.id, since, today),
        "active_installs": active_installs(db.session, prod.id, since),
        # What could not be stored (a long database stall, a flood of install ids).
        "unrecorded": unrecorded(db.session, prod.id, since),
    })


@bp.get("/audit")
@token_required
def audit_view() -> Response:
    _actor().require_vendor_wide()
    limit, offset = offset_args(request.args, limit=50, max_limit=500)
    events = list_events(db.session, _actor().vendor_id, limit=limit, offset=offset,
                         object_type=request.args.get("object_type"),
                         object_key=request.args.get("object"))
    return json_response({"items": [event_to_dict(e) for e in events]})


@bp.post("/products/<product>/notices")
@token_required
def create_notice_view(product: str) -> Response:
    notice = create_notice(db.session, _actor(), _own_product(product), json_body())
    return json_response(notice_to_dict(notice, base_url(), vendor=True), 201,
                         row_version=notice.row_version)


@bp.patch("/products/<product>/notices/<notice_id>")
@token_required
def update_notice_view(product: str, notice_id: str) -> Response:
    notice = get_notice(db.session, _own_product(product), notice_id, include_drafts=True)
    updated = update_notice(db.session, _actor(), notice, json_body(),
                            if_match=if_match_versions())
    return json_response(notice_to_dict(updated, base_url(), vendor=True),
                         row_version=updated.row_version)


def _stop_body(prod: Product) -> dict[str, object]:
    return {"product": prod.slug, "stopped": [
        {"channel": s.channel, "reason": s.reason, "by": s.created_by,
         "since": s.created_at.isoformat().replace("+00:00", "Z")}
        for s in emergency_stops(db.session, prod)]}


@bp.post("/products/<product>/channels/<channel>/stop")
@token_required
def stop_channel_view(product: str, channel: str) -> Response:
    """Emergency stop: installs on this channel are offered nothing until it is lifted."""
    prod = _own_product(product)
    body = request.get_json(silent=True) if request.is_json else None
    reason = body.get("reason", "") if isinstance(body, dict) else ""
    set_emergency_stop(db.session, _actor(), prod, channel, True, reason)
    return json_response(_stop_body(prod))


@bp.delete("/products/<product>/channels/<channel>/stop")
@token_required
def resume_channel_view(product: str, channel: str) -> Response:
    prod = _own_product(product)
    set_emergency_stop(db.session, _actor(), prod, channel, False)
    return json_response(_stop_body(prod))

"""Vendor webhooks: register (the secret is shown once), list, delete, delivery log."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from ..db import db
from ..errors import InvalidInput
from ..webhooks.services import (
    create_webhook,
    delete_webhook,
    delivery_log,
    delivery_to_dict,
    list_webhooks,
    redeliver,
    webhook_to_dict,
)
from .helpers import current_actor, json_body, json_response, own_product, token_required

bp = Blueprint("api_webhooks", __name__, url_prefix="/api/v1")


_actor = current_actor
_own_product = own_product


@bp.post("/products/<product>/webhooks")
@token_required
def create_view(product: str) -> Response:
    webhook, secret = create_webhook(
        db.session, _actor(), _own_product(product), json_body(),
        allow_private=bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE")))
    return json_response(webhook_to_dict(webhook, secret), 201)


@bp.get("/products/<product>/webhooks")
@token_required
def list_view(product: str) -> Response:
    return json_response({"items": [webhook_to_dict(w) for w in
                                    list_webhooks(db.session, _own_product(product))]})


@bp.delete("/products/<product>/webhooks/<webhook_id>")
@token_required
def delete_view(product: str, webhook_id: str) -> Response:
    delete_webhook(db.session, _actor(), _own_product(product), webhook_id)
    return Response(status=204)


@bp.get("/products/<product>/webhooks/deliveries")
@token_required
def deliveries_view(product: str) -> Response:
    return json_response({"items": [delivery_to_dict(d) for d in
                                    delivery_log(db.session, _own_product(product))]})


@bp.post("/products/<product>/webhooks/deliveries/<delivery_id>/redeliver")
@token_required
def redeliver_view(product: str, delivery_id: str) -> Response:
    if not (delivery_id.isascii() and delivery_id.isdigit() and len(delivery_id) <= 18):
        raise InvalidInput("delivery id must be a number (at most 18 digits)",
                           field="delivery_id")
    redeliver(db.session, _actor(), _own_product(product), int(delivery_id))
    return json_response({"status": "queued"}, 202)

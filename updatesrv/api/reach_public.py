"""Public reach endpoints: e-mail subscriptions and feedback (no login)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from .. import runtime
from ..db import db
from ..errors import InvalidInput
from ..feedback.services import leave_message, vote
from ..notices.services import get_notice, support_url
from ..products.services import get_product
from ..ratelimit.services import client_key, hit
from ..subscriptions.errors import MailDisabled
from ..subscriptions.services import subscribe
from .check import INSTALL_ID_RE
from .helpers import base_url, json_body, json_response

bp = Blueprint("api_reach_public", __name__, url_prefix="/api/v1")


def rate_limit(purpose: str, setting: str) -> None:
    hit(db.session, client_key(str(current_app.config["SECRET_KEY"]), purpose,
                               request.remote_addr), int(current_app.config[setting]))


@bp.post("/products/<product>/subscriptions")
def subscribe_view(product: str) -> Response:
    """202 whatever the address's state: a confirmation mail is queued when needed."""
    if not current_app.config.get("MAIL_URL"):
        raise MailDisabled("this server does not send e-mail (MAIL_URL is not set)")
    prod = get_product(db.session, product)
    rate_limit("subscribe", "SUBSCRIBE_RATE_LIMIT")
    subscribe(db.session, prod, json_body())
    return json_response({"status": "pending",
                          "detail": "check your inbox: follow the link in the mail we sent "
                                    "to confirm (it expires in 7 days)"}, 202)


@bp.post("/products/<product>/notices/<notice_id>/feedback")
def feedback_view(product: str, notice_id: str) -> Response:
    """From the client library: {"kind": "affected" | "workaround_helped" |
    "workaround_failed", "install_id": "..."}; one vote per install per notice."""
    rate_limit("feedback", "FEEDBACK_RATE_LIMIT")
    body = json_body()
    unknown = set(body) - {"kind", "install_id"}
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    install_id = body.get("install_id")
    if not isinstance(install_id, str) or not INSTALL_ID_RE.match(install_id):
        raise InvalidInput("install_id is required: 1-128 letters, digits, '_', '.', ':' "
                           "or '-'", field="install_id")
    notice = get_notice(db.session, get_product(db.session, product), notice_id)
    voter = "install:" + runtime(current_app).recorder.install_hash(install_id)
    kind = vote(db.session, notice, voter, body.get("kind"), "client")
    answer: dict[str, object] = {"kind": kind, "notice": notice.public_id}
    if kind == "workaround_failed":
        answer["support_url"] = support_url(notice.product) or (
            f"{base_url()}/p/{notice.product.slug}/")
        answer["message_url"] = (f"{base_url()}/p/{notice.product.slug}/known-issues/"
                                 f"{notice.public_id}/feedback")
    return json_response(answer)


@bp.post("/products/<product>/notices/<notice_id>/feedback/messages")
def feedback_message_view(product: str, notice_id: str) -> Response:
    """{"message", "email"?}: for people whose workaround did not help."""
    rate_limit("feedback", "FEEDBACK_RATE_LIMIT")
    body = json_body()
    unknown = set(body) - {"message", "email"}
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    notice = get_notice(db.session, get_product(db.session, product), notice_id)
    leave_message(db.session, notice, body, mail_on=bool(current_app.config.get("MAIL_URL")))
    return json_response({"status": "received",
                          "support_url": support_url(notice.product)}, 201)

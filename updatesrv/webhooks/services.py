"""Register, list and delete webhooks; turn outbox events into signed deliveries; the
delivery log and redelivery."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..accounts.services import Actor
from ..audit import services as audit
from ..db import utcnow
from ..errors import InvalidInput
from ..outbox.models import OutboxEvent, OutboxMessage
from ..outbox.services import add_messages, message_row
from ..products.models import Product
from ..timeutil import rfc3339
from . import circuit, signing
from .addresses import parse_url, resolve
from .errors import WebhookNotFound
from .models import EVENTS, Webhook

MAX_PER_PRODUCT = 20


def parse_events(value: object) -> list[str]:
    if value is None:
        return list(EVENTS)
    if (not isinstance(value, list) or not value
            or any(v not in EVENTS for v in value)):
        raise InvalidInput(f"events must be a non-empty list of {', '.join(EVENTS)}",
                           field="events")
    return [e for e in EVENTS if e in value]


def create_webhook(session: Session, actor: Actor, product: Product, data: dict[str, Any],
                   *, allow_private: bool) -> tuple[Webhook, str]:
    """Returns the webhook and its secret (shown to the owner this once)."""
    actor.require("owner")
    unknown = set(data) - {"url", "events"}
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    target = parse_url(data.get("url"), allow_private)
    resolve(target, allow_private)
    events = parse_events(data.get("events"))
    count = session.scalar(sa.select(sa.func.count()).select_from(Webhook).where(
        Webhook.product_id == product.id)) or 0
    if count >= MAX_PER_PRODUCT:
        raise InvalidInput(f"a product can have at most {MAX_PER_PRODUCT} webhooks")
    secret = signing.new_secret()
    webhook = Webhook(public_id="whk_" + secrets.token_hex(8), product_id=product.id,
                      url=str(data["url"]).strip(), events=events, secret=secret,
                      created_by=actor.label)
    session.add(webhook)
    session.flush()
    audit.record(session, vendor_id=actor.vendor_id, actor=actor.label,
                 action="webhook.create", object_type="webhook",
                 object_key=f"{product.slug}/{webhook.public_id}",
                 after={"url": webhook.url, "events": events})
    session.commit()
    return webhook, secret


def list_webhooks(session: Session, product: Product) -> list[Webhook]:
    return list(session.scalars(sa.select(Webhook).where(
        Webhook.product_id == product.id).order_by(Webhook.id)))


def get_webhook(session: Session, product: Product, public_id: str) -> Webhook:
    webhook = session.scalar(sa.select(Webhook).where(
        Webhook.product_id == product.id, Webhook.public_id == public_id))
    if webhook is None:
        raise WebhookNotFound(f"{product.slug} has no webhook {public_id!r}")
    return webhook


def delete_webhook(session: Session, actor: Actor, product: Product, public_id: str) -> None:
    actor.require("owner")
    webhook = get_webhook(session, product, public_id)
    audit.record(session, vendor_id=actor.vendor_id, actor=actor.label,
                 action="webhook.delete", object_type="webhook",
                 object_key=f"{product.slug}/{webhook.public_id}",
                 before={"url": webhook.url, "events": webhook.events})
    session.delete(webhook)
    session.commit()


def webhook_to_dict(webhook: Webhook, secret: str | None = None) -> dict[str, Any]:
    body = {"id": webhook.public_id, "url": webhook.url, "events": webhook.events,
            "created_at": rfc3339(webhook.created_at),
            "circuit": circuit.state(webhook, utcnow())}
    if secret:
        body["secret"] = secret
    return body


def event_body(event: OutboxEvent) -> dict[str, Any]:
    """The JSON a receiver gets: {"type", "timestamp", "data"} as Standard Webhooks
    recommends. ``data`` is what was true when the event happened."""
    data = {k: v for k, v in event.payload.items()
            if k not in ("base_url", "mail_subscribers", "entry")}
    return {"type": event.kind, "timestamp": rfc3339(event.created_at), "data": data}


def deliveries_for_event(session: Session, event: OutboxEvent,
                         now: dt.datetime) -> list[dict[str, Any]]:
    if event.kind not in EVENTS:
        return []
    body = json.dumps(event_body(event), separators=(",", ":"), ensure_ascii=False)
    rows = []
    for webhook in session.scalars(sa.select(Webhook).where(
            Webhook.product_id == event.product_id).order_by(Webhook.id)):
        if event.kind not in webhook.events:
            continue
        msg_id = "msg_" + uuid.uuid5(uuid.NAMESPACE_URL,
                                     f"{webhook.id}:{event.dedupe_key}").hex
        rows.append(message_row(
            channel="webhook", purpose=event.kind,
            dedupe_key=f"webhook:{webhook.id}:{event.dedupe_key}"[:200],
            recipient=webhook.url, product_id=event.product_id, event_id=event.id,
            notice_id=event.notice_id, webhook_id=webhook.id, now=now,
            payload={"msg_id": msg_id, "type": event.kind, "body": body}))
    return rows


def delivery_log(session: Session, product: Product, limit: int = 100) -> list[OutboxMessage]:
    return list(session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.product_id == product.id,
                                       OutboxMessage.channel == "webhook")
        .order_by(OutboxMessage.id.desc()).limit(limit)))


def redeliver(session: Session, actor: Actor, product: Product, message_id: int) -> None:
    """Queues the same message again (same webhook-id, so receivers can de-duplicate)."""
    actor.require("owner")
    row = session.get(OutboxMessage, message_id)
    if row is None or row.product_id != product.id or row.channel != "webhook":
        raise WebhookNotFound(f"{product.slug} has no webhook delivery {message_id}")
    add_messages(session, [message_row(
        channel="webhook", purpose=row.purpose,
        dedupe_key=f"redeliver:{row.id}:{uuid.uuid4().hex}", recipient=row.recipient,
        product_id=row.product_id, event_id=row.event_id, notice_id=row.notice_id,
        webhook_id=row.webhook_id, payload=row.payload, now=utcnow())])
    session.commit()


def delivery_to_dict(row: OutboxMessage) -> dict[str, Any]:
    return {"id": row.id, "type": row.purpose, "url": row.recipient, "status": row.status,
            "attempts": row.attempts, "response_status": row.response_status,
            "last_error": row.last_error, "created_at": rfc3339(row.created_at),
            "sent_at": rfc3339(row.sent_at), "next_attempt_at": rfc3339(row.next_attempt_at)}

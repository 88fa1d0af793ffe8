"""Writing to the outbox. Call these inside the transaction that makes the change, so the
announcement exists exactly when the change does (a rollback drops both)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import upsert, utcnow
from .models import OutboxEvent, OutboxMessage


def current_base_url(default: str | None = None) -> str:
    """Links in mail must be absolute; the scheduler has no request, so the URL of the
    request that caused the event is kept with it (BASE_URL wins when set)."""
    try:
        from flask import current_app, has_app_context, has_request_context, request
    except ImportError:  # pragma: no cover
        return default or "http://localhost:5000"
    if has_app_context() and current_app.config.get("BASE_URL"):
        return str(current_app.config["BASE_URL"]).rstrip("/")
    if has_request_context():
        return f"{request.scheme}://{request.host}{request.root_path}".rstrip("/")
    return (default or "http://localhost:5000").rstrip("/")


def record_event(session: Session, *, product_id: int, kind: str, dedupe_key: str,
                 payload: dict[str, Any], notice_id: int | None = None) -> None:
    """Records that ``kind`` happened; the same ``dedupe_key`` is recorded once."""
    upsert(session, OutboxEvent.__table__,  # type: ignore[arg-type]
           [{"product_id": product_id, "kind": kind, "dedupe_key": dedupe_key,
             "notice_id": notice_id, "payload": {"base_url": current_base_url(), **payload},
             "created_at": utcnow(), "expanded_at": None}],
           key=["dedupe_key"])


def message_row(*, channel: str, purpose: str, dedupe_key: str, recipient: str,
                payload: dict[str, Any], product_id: int | None = None,
                event_id: int | None = None, notice_id: int | None = None,
                subscription_id: int | None = None, webhook_id: int | None = None,
                now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    return {"channel": channel, "purpose": purpose, "dedupe_key": dedupe_key,
            "recipient": recipient[:500], "payload": payload, "product_id": product_id,
            "event_id": event_id, "notice_id": notice_id, "subscription_id": subscription_id,
            "webhook_id": webhook_id, "status": "pending", "attempts": 0,
            "next_attempt_at": now, "claim_token": None, "claimed_until": None,
            "last_error": "", "response_status": None, "created_at": now, "sent_at": None}


def add_messages(session: Session, rows: list[dict[str, Any]]) -> None:
    """Inserts message rows; a row whose dedupe_key exists is skipped, never doubled."""
    for start in range(0, len(rows), 500):
        upsert(session, OutboxMessage.__table__,  # type: ignore[arg-type]
               rows[start:start + 500], key=["dedupe_key"])


def enqueue_mail(session: Session, *, to: str, subject: str, text: str,
                 html: str | None = None, headers: dict[str, str] | None = None,
                 purpose: str = "mail", dedupe_key: str | None = None,
                 product_id: int | None = None, notice_id: int | None = None,
                 subscription_id: int | None = None,
                 send_at: dt.datetime | None = None) -> None:
    """Queues one e-mail (plain text, optionally an HTML alternative). The scheduler sends
    it when MAIL_URL is set (not before ``send_at``); until then it waits in the outbox."""
    row = message_row(
        channel="mail", purpose=purpose, dedupe_key=dedupe_key or f"mail:{uuid.uuid4().hex}",
        recipient=to, product_id=product_id, notice_id=notice_id,
        subscription_id=subscription_id,
        payload={"to": to, "subject": subject, "text": text, "html": html,
                 "headers": headers or {}})
    if send_at is not None:
        row["next_attempt_at"] = send_at
    add_messages(session, [row])


def delivery_counts(session: Session, product_id: int, *, channel: str | None = None,
                    notice_id: int | None = None) -> dict[str, int]:
    """{"pending": n, "sent": n, "failed": n, ...}; claimed rows count as pending."""
    stmt = (sa.select(OutboxMessage.status, sa.func.count())
            .where(OutboxMessage.product_id == product_id)
            .group_by(OutboxMessage.status))
    if channel:
        stmt = stmt.where(OutboxMessage.channel == channel)
    if notice_id is not None:
        stmt = stmt.where(OutboxMessage.notice_id == notice_id)
    counts = {"pending": 0, "sent": 0, "failed": 0, "cancelled": 0}
    for status, n in session.execute(stmt):
        key = "pending" if status == "sending" else status
        counts[key] = counts.get(key, 0) + int(n)
    return counts


def recent_failures(session: Session, product_id: int, channel: str,
                    limit: int = 20) -> list[OutboxMessage]:
    """The newest messages that failed for good, each with its reason (``last_error``), so
    the vendor sees why someone was not told."""
    return list(session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.product_id == product_id,
                                       OutboxMessage.channel == channel,
                                       OutboxMessage.status == "failed")
        .order_by(OutboxMessage.id.desc()).limit(limit)))

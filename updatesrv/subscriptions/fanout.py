"""Which confirmed subscribers hear about a notice event, and what each one gets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..outbox.models import OutboxEvent, OutboxMessage
from ..outbox.services import message_row
from ..updates import rules
from . import mails
from .models import Subscription

MAILED_EVENTS = frozenset({"notice.published", "notice.updated", "notice.fixed"})


def matches(sub: Subscription, notice: dict[str, Any], notice_id: int) -> bool:
    """A subscription hears about a notice when its filter does: the one notice it names
    (if any), the install's version inside the affected range, its platform listed."""
    if sub.notice_id is not None and sub.notice_id != notice_id:
        return False
    version = rules.installed_version(sub.version) if sub.version else None
    if sub.version and version is None:
        return False
    # A subscriber names no channel: told of every channel's notices.
    return rules.notice_applies(notice["affected"], (),
                                notice["platforms"], version, None, sub.platform)


def mails_for_event(session: Session, event: OutboxEvent, now: dt.datetime,
                    secret: str) -> list[dict[str, Any]]:
    payload = event.payload
    if (event.kind not in MAILED_EVENTS or event.notice_id is None
            or not payload.get("mail_subscribers")):
        return []
    notice = payload["notice"]
    product_name = payload["product"]["name"]
    base = payload["base_url"]
    slug = payload["product"]["slug"]
    from .services import unsubscribe_token

    rows = []
    for sub in session.scalars(sa.select(Subscription).where(
            Subscription.product_id == event.product_id, Subscription.status == "confirmed",
            sa.or_(Subscription.notice_id.is_(None),
                   Subscription.notice_id == event.notice_id)).order_by(Subscription.id)):
        if not matches(sub, notice, event.notice_id):
            continue
        url = (f"{base}/p/{slug}/subscriptions/unsubscribe"
               f"?token={unsubscribe_token(secret, sub)}")
        mail = mails.notice_mail(event.kind, notice, product_name, sub, url)
        rows.append(message_row(
            channel="mail", purpose=event.kind,
            # One mail per (subscription, notice, revision, timeline entry), however often
            # the event is expanded.
            dedupe_key=(f"notice-mail:{sub.id}:{event.notice_id}:{notice['revision']}:"
                        f"{payload.get('entry', 0)}"),
            recipient=sub.email, product_id=event.product_id, event_id=event.id,
            notice_id=event.notice_id, subscription_id=sub.id, now=now,
            payload={"to": sub.email, **mail}))
    return rows


def still_wanted(session: Session, row: OutboxMessage) -> bool:
    """Unsubscribed (or expired) between queueing and sending: do not send."""
    if row.purpose == "subscription.confirm":
        sub = session.get(Subscription, row.subscription_id) if row.subscription_id else None
        return sub is not None and sub.status == "pending"
    if row.purpose in MAILED_EVENTS:
        sub = session.get(Subscription, row.subscription_id) if row.subscription_id else None
        return sub is not None and sub.status == "confirmed"
    return True

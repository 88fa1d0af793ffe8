"""Subscribe (double opt-in), confirm, unsubscribe, expire, count and export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import utcnow
from ..errors import InvalidInput
from ..notices.errors import NoticeNotFound
from ..notices.models import Notice
from ..notices.services import get_notice
from ..outbox.services import current_base_url, enqueue_mail
from ..products.models import Product
from ..products.platforms import require_known
from ..releases.services import release_index
from ..timeutil import rfc3339
from ..versions import parse_version, version_key
from . import mails, recipients, tokens
from .errors import InvalidEmail, LinkInvalid
from .models import Subscription

UNCONFIRMED_LIFETIME = dt.timedelta(days=7)
# A second subscribe with the same address and filter re-sends the confirmation at most
# this often (the first mail may have been lost); it never creates a second subscription.
RESEND_AFTER = dt.timedelta(minutes=10)
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
                      r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
LOCALE_RE = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,3}$")
FIELDS = frozenset({"email", "notice_id", "version", "platform", "locale"})


def parse_email(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidEmail("email is required", field="email")
    email = value.strip()
    local, _, domain = email.rpartition("@")
    if len(email) > 254 or len(local) > 64 or not EMAIL_RE.match(email) or ".." in email:
        raise InvalidEmail(f"{email[:80]!r} is not an e-mail address (name@example.com)",
                           field="email")
    return f"{local}@{domain.lower()}"


def _optional(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text", field=name)
    return value.strip() or None


def parse_request(session: Session, product: Product,
                  data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - FIELDS
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    email = parse_email(data.get("email"))
    notice: Notice | None = None
    notice_id = _optional(data, "notice_id")
    if notice_id:
        try:
            notice = get_notice(session, product, notice_id)
        except NoticeNotFound:
            raise InvalidInput(f"{product.slug} has no notice {notice_id!r}",
                               field="notice_id") from None
    version = _optional(data, "version")
    version = released_version(session, product, version) if version else None
    platform = _optional(data, "platform")
    # The product's registry, as for notices: a free-typed "windows" would never match.
    platform = require_known(session, product, platform, "platform") if platform else None
    locale = _optional(data, "locale")
    if locale and not LOCALE_RE.match(locale):
        raise InvalidInput("locale must be a language tag such as 'en' or 'de-CH'",
                           field="locale")
    return {"email": email, "notice": notice, "version": version, "platform": platform,
            "locale": locale}


def released_version(session: Session, product: Product, value: str) -> str:
    """A subscriber's version must be one the product released (any visible release):
    mail is filtered by it, and a version no install runs would never be mailed."""
    version = parse_version(value, "version")
    released = release_index(session, product)
    if not released or any(version_key(parse_version(r.version)) == version_key(version)
                           for r in released):
        return str(version)
    listed = ", ".join(r.version for r in released[:8])
    raise InvalidInput(f"version {value!r} is not a released version of {product.name}, so "
                       f"no notice would reach it; released versions: {listed}"
                       f"{' …' if len(released) > 8 else ''}", field="version")


def filter_key(notice: Notice | None, version: str | None, platform: str | None) -> str:
    return f"{notice.public_id if notice else '*'}|{version or '*'}|{platform or '*'}"


def subscribe(session: Session, product: Product, data: dict[str, Any], *,
              now: dt.datetime | None = None) -> Subscription | None:
    """Starts (or re-starts) a subscription and queues its confirmation mail. Answers the
    same whatever the address's state, so nobody can learn who is subscribed. Commits."""
    fields = parse_request(session, product, data)
    now = now or utcnow()
    notice = fields["notice"]
    key = filter_key(notice, fields["version"], fields["platform"])
    recipient = recipients.recipient_key(fields["email"])
    recipients.lock(session, recipient)
    sub = session.scalar(sa.select(Subscription).where(
        Subscription.product_id == product.id, Subscription.email == fields["email"],
        Subscription.filter_key == key))
    if sub is not None:
        sub.recipient_key = recipient
    if sub is None:
        if recipients.too_many_pending(session, recipient, now):
            session.commit()
            return None  # answered like any other subscribe: nothing is revealed
        sub = Subscription(product_id=product.id, email=fields["email"],
                           recipient_key=recipient,
                           notice_id=notice.id if notice else None, version=fields["version"],
                           platform=fields["platform"], locale=fields["locale"],
                           filter_key=key, status="pending", unsubscribe_nonce=tokens.new_nonce(),
                           created_at=now)
        session.add(sub)
    elif sub.status == "confirmed" or (sub.status == "pending" and sub.confirm_sent_at is not None
          and now - sub.confirm_sent_at < RESEND_AFTER
          and sub.expires_at is not None and sub.expires_at > now):
        session.commit()
        return sub
    token, token_hash = tokens.new_confirm_token()
    sub.status = "pending"
    sub.confirm_token_hash = token_hash
    sub.confirm_sent_at = now
    sub.expires_at = now + UNCONFIRMED_LIFETIME
    sub.unsubscribed_at = None
    if fields["locale"]:
        sub.locale = fields["locale"]
    try:
        session.flush()
    except IntegrityError:
        session.rollback()  # the same subscribe raced us and won: its mail is on its way
        return None
    base = current_base_url()
    mail = mails.confirmation_mail(product, sub, notice,
                                   f"{base}/p/{product.slug}/subscriptions/confirm?token={token}")
    enqueue_mail(session, to=sub.email, purpose="subscription.confirm",
                 dedupe_key=f"confirm:{sub.id}:{token_hash[:24]}", product_id=product.id,
                 subscription_id=sub.id,
                 send_at=recipients.confirmation_slot(session, recipient, now), **mail)
    session.commit()
    return sub


def _by_confirm_token(session: Session, token: str, now: dt.datetime) -> Subscription:
    sub = session.scalar(sa.select(Subscription).where(
        Subscription.confirm_token_hash == tokens.hash_token(token or "")))
    if sub is None or sub.status != "pending" or (sub.expires_at and sub.expires_at <= now):
        raise LinkInvalid("this confirmation link was already used or has expired; "
                          "subscribe again to get a new one")
    return sub


def pending_for_token(session: Session, token: str) -> Subscription:
    """For the page a confirmation link opens: looks, changes nothing."""
    return _by_confirm_token(session, token, utcnow())


def confirm(session: Session, token: str, now: dt.datetime | None = None) -> Subscription:
    now = now or utcnow()
    sub = _by_confirm_token(session, token, now)
    claimed = session.execute(
        sa.update(Subscription)
        .where(Subscription.id == sub.id, Subscription.confirm_token_hash == sub.confirm_token_hash)
        .values(status="confirmed", confirmed_at=now, confirm_token_hash=None, expires_at=None)
        .execution_options(synchronize_session=False))
    if getattr(claimed, "rowcount", 1) != 1:
        session.rollback()
        raise LinkInvalid("this confirmation link was already used")
    session.commit()
    session.refresh(sub)
    return sub


def unsubscribe_token(secret: str, sub: Subscription) -> str:
    return tokens.unsubscribe_token(secret, sub.id, sub.unsubscribe_nonce)


def by_unsubscribe_token(session: Session, secret: str, token: str) -> Subscription:
    parsed = tokens.parse_unsubscribe_token(token)
    sub = session.get(Subscription, parsed[0]) if parsed else None
    if sub is None or parsed is None or not tokens.unsubscribe_token_matches(
            secret, sub.id, sub.unsubscribe_nonce, parsed[1]):
        raise LinkInvalid("this unsubscribe link is not valid (the subscription may have "
                          "expired unconfirmed)")
    return sub


def unsubscribe(session: Session, secret: str, token: str,
                now: dt.datetime | None = None) -> Subscription:
    """Idempotent: a second click changes nothing and still answers 'unsubscribed'."""
    sub = by_unsubscribe_token(session, secret, token)
    if sub.status != "unsubscribed":
        sub.status = "unsubscribed"
        sub.unsubscribed_at = now or utcnow()
        sub.confirm_token_hash = None
    session.commit()
    return sub


def expire_unconfirmed(session: Session, now: dt.datetime) -> int:
    result = session.execute(sa.delete(Subscription).where(
        Subscription.status == "pending", Subscription.expires_at < now))
    return int(getattr(result, "rowcount", 0) or 0)


def subscriber_counts(session: Session, product_id: int) -> dict[str, Any]:
    """Confirmed and pending subscribers for the product and per notice."""
    rows = session.execute(
        sa.select(Notice.public_id, Subscription.status, sa.func.count())
        .select_from(Subscription).outerjoin(Notice, Notice.id == Subscription.notice_id)
        .where(Subscription.product_id == product_id)
        .group_by(Notice.public_id, Subscription.status)).all()
    total = {"confirmed": 0, "pending": 0, "unsubscribed": 0}
    per_notice: dict[str, dict[str, int]] = {}
    product_wide = dict(total)
    for public_id, status, n in rows:
        total[status] = total.get(status, 0) + int(n)
        bucket = per_notice.setdefault(public_id, dict.fromkeys(total, 0)) if public_id \
            else product_wide
        bucket[status] = bucket.get(status, 0) + int(n)
    return {"total": total, "all_notices": product_wide, "per_notice": per_notice}


def list_subscriptions(session: Session, product_id: int) -> list[Subscription]:
    return list(session.scalars(sa.select(Subscription).where(
        Subscription.product_id == product_id).order_by(Subscription.id)))


def export_csv(session: Session, product_id: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "status", "notice", "version", "platform", "locale",
                     "created_at", "confirmed_at", "unsubscribed_at"])
    for sub in list_subscriptions(session, product_id):
        writer.writerow([_csv_safe(sub.email), sub.status,
                         sub.notice.public_id if sub.notice else "", sub.version or "",
                         sub.platform or "", sub.locale or "", rfc3339(sub.created_at),
                         rfc3339(sub.confirmed_at) or "", rfc3339(sub.unsubscribed_at) or ""])
    return out.getvalue()


def _csv_safe(value: str) -> str:
    # Spreadsheets run cells starting with = + - @ as formulas (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value

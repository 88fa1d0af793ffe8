from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow

MESSAGE_STATUSES = ("pending", "sending", "sent", "failed", "cancelled")


class OutboxEvent(Base):
    """Something happened that people or systems must hear about (a notice was published,
    updated or fixed, a release published or yanked). Written with the change itself; the
    scheduler expands it into one message per subscriber and webhook."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    # The same event is never recorded twice (e.g. notice:7:rev:3:entry:12).
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    notice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    # What was true when it happened, so later edits do not rewrite what is announced.
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expanded_at: Mapped[dt.datetime | None] = mapped_column(index=True)


class OutboxMessage(Base):
    """One mail or one webhook delivery. ``dedupe_key`` is unique, so a (subscription,
    notice, revision) gets one row however often an event is expanded; a row is claimed by
    a conditional UPDATE before it is sent, so two schedulers never send it twice."""

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16))  # mail | webhook
    purpose: Mapped[str] = mapped_column(sa.String(40))  # e.g. notice.fixed, confirm
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbox_events.id", ondelete="CASCADE"), index=True)
    notice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("subscriptions.id", ondelete="SET NULL"), index=True)
    webhook_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    # An address or URL, shown in the delivery log.
    recipient: Mapped[str] = mapped_column(sa.String(500))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_until: Mapped[dt.datetime | None]
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    response_status: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]

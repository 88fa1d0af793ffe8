from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow
from ..notices.models import Notice

SUBSCRIPTION_STATUSES = ("pending", "confirmed", "unsubscribed")


class Subscription(Base):
    __tablename__ = "subscriptions"
    # Subscribing again with the same address and filter finds this row, never a second.
    __table_args__ = (sa.UniqueConstraint("product_id", "email", "filter_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    # The address as its mail provider compares it (recipients.recipient_key): limits
    # per recipient count every spelling of one mailbox together.
    recipient_key: Mapped[str] = mapped_column(sa.String(254), index=True, default="",
                                               server_default="")
    notice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    version: Mapped[str | None] = mapped_column(sa.String(64))
    platform: Mapped[str | None] = mapped_column(sa.String(64))
    locale: Mapped[str | None] = mapped_column(sa.String(35))
    filter_key: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    # SHA-256 of the single-use confirmation token; cleared once used.
    confirm_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    confirm_sent_at: Mapped[dt.datetime | None]
    # Random per subscription; the unsubscribe token is an HMAC over it (see services).
    unsubscribe_nonce: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    confirmed_at: Mapped[dt.datetime | None]
    unsubscribed_at: Mapped[dt.datetime | None]

    notice: Mapped[Notice | None] = relationship()


class ConfirmationGate(Base):
    """When a confirmation mail last went to a recipient (by a hash of its key)."""

    __tablename__ = "confirmation_gates"

    recipient_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    last_sent_at: Mapped[dt.datetime] = mapped_column(index=True)

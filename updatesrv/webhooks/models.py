from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow

EVENTS = ("notice.published", "notice.updated", "notice.fixed", "release.published",
          "release.yanked", "failure.spike")


class Webhook(Base):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Public id (whk_…); database keys are never exposed.
    public_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    events: Mapped[list[str]] = mapped_column(sa.JSON)
    # whsec_<base64>: needed in clear to sign each delivery; shown to the owner once.
    secret: Mapped[str] = mapped_column(sa.String(100))
    created_by: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The circuit breaker: deliveries that failed in a row (reset by a success) and, once
    # they reach the threshold, when deliveries to this endpoint resume. Shown to the
    # vendor; while paused, its deliveries wait without using up attempts.
    failures_in_row: Mapped[int] = mapped_column(default=0, server_default="0")
    paused_until: Mapped[dt.datetime | None]
    last_failure: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

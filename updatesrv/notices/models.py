from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow
from ..products.models import Product
from ..versioning import Versioned, shown_in

SEVERITIES = ("critical", "major", "minor", "info")
STATUSES = ("investigating", "confirmed", "workaround", "fixed", "withdrawn")
RESOLVED_STATUSES = frozenset({"fixed", "withdrawn"})


class Notice(Versioned, Base):
    __tablename__ = "notices"
    __table_args__ = (sa.UniqueConstraint("product_id", "public_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    # The public id ({PREFIX}-{YYYY}-{NNNN}), unique server-wide (feeds, OSV and support
    # tickets quote it without the product); database keys are never exposed.
    public_id: Mapped[str] = mapped_column(sa.String(40), index=True, unique=True)
    revision: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(sa.String(120))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    details: Mapped[str] = mapped_column(sa.Text, default="")
    workaround: Mapped[str] = mapped_column(sa.Text, default="")
    severity: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))
    affected: Mapped[str] = mapped_column(sa.String(500))
    platforms: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    channels: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    fixed_in: Mapped[str | None] = mapped_column(sa.String(64))
    # Safeguard hold: matching installs are not offered this release or anything newer
    # until the notice is fixed or the hold is lifted.
    hold_release: Mapped[str | None] = mapped_column(sa.String(64))
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None]
    # None while the notice is a draft: drafts reach no install, page, feed or export.
    published_at: Mapped[dt.datetime | None]
    # Once fixed: offer the fixing release to affected installs as a critical update.
    fix_critical: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # {"hu": {"title": ..., "summary": ..., "details": ..., "workaround": ...}}: the text in
    # the product's other locales (the fields above are in its default locale).
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(
        sa.JSON, default=dict, server_default="{}")

    product: Mapped[Product] = relationship()
    timeline: Mapped[list[NoticeUpdate]] = relationship(
        back_populates="notice", order_by="NoticeUpdate.id", cascade="all, delete-orphan")

    @property
    def draft(self) -> bool:
        return self.published_at is None


@shown_in("notice")
class NoticeUpdate(Base):
    """One entry of a notice's public timeline. Append-only: what users were told is
    history and cannot be edited away (the ORM refuses updates and deletes)."""

    __tablename__ = "notice_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id", ondelete="CASCADE"),
                                           index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(16))
    revision: Mapped[int]
    message: Mapped[str] = mapped_column(sa.Text, default="")
    actor: Mapped[str] = mapped_column(sa.String(300), default="")
    # {"hu": "message"}: the message in the product's other locales.
    translations: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict,
                                                         server_default="{}")

    notice: Mapped[Notice] = relationship(back_populates="timeline")


class TimelineIsAppendOnly(RuntimeError):
    pass


@event.listens_for(NoticeUpdate, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, target: NoticeUpdate) -> None:
    raise TimelineIsAppendOnly(f"timeline entry {target.id} cannot be changed")


@event.listens_for(NoticeUpdate, "before_delete")
def _refuse_delete(_mapper: Any, _connection: Any, target: NoticeUpdate) -> None:
    raise TimelineIsAppendOnly(f"timeline entry {target.id} cannot be deleted")

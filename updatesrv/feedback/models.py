from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow
from ..notices.models import Notice

KINDS = ("affected", "workaround_helped", "workaround_failed")


class FeedbackVote(Base):
    """One vote per voter (keyed hash of an install id or a browser cookie) per notice; a
    second vote replaces the first."""

    __tablename__ = "feedback_votes"
    __table_args__ = (sa.UniqueConstraint("notice_id", "voter_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id", ondelete="CASCADE"),
                                           index=True)
    voter_hash: Mapped[str] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.String(16))  # client | page
    kind: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FeedbackMessage(Base):
    """"The workaround did not help": what the person wrote, for the vendor to read."""

    __tablename__ = "feedback_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id", ondelete="CASCADE"),
                                           index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    notice: Mapped[Notice] = relationship()

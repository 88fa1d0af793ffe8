"""Rollout state beside releases: ramp plans and per-channel emergency stops."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow
from ..releases.models import Release
from ..versioning import shown_in


@shown_in("release")
class RampStep(Base):
    """One step of a release's ramp plan. The database owns what is due; a scheduler tick
    applies due steps, each claimed by a conditional UPDATE in the same transaction as its
    effect, so it happens exactly once however many schedulers run or crash."""

    __tablename__ = "ramp_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(sa.ForeignKey("releases.id", ondelete="CASCADE"),
                                            index=True)
    percent: Mapped[int]
    due_at: Mapped[dt.datetime] = mapped_column(index=True)
    applied_at: Mapped[dt.datetime | None]

    release: Mapped[Release] = relationship(back_populates="ramp_steps")


class EmergencyStop(Base):
    """While present, installs on this product and channel are offered nothing."""

    __tablename__ = "emergency_stops"
    __table_args__ = (sa.UniqueConstraint("product_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    channel: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

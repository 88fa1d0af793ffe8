from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class CheckCount(Base):
    """Checks per day, product, version, channel and platform ('' when not given)."""

    __tablename__ = "check_counts"

    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    checks: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # Filled when the day's install hashes are rolled up and dropped (housekeeping).
    installs: Mapped[int | None] = mapped_column(sa.BigInteger)


class InstallSeen(Base):
    """One row per install per day and version: a keyed hash of the client's random
    install id, never the id itself nor an address. Kept long enough (> 31 days) for
    exact 30-day distinct counts, then rolled up into CheckCount.installs."""

    __tablename__ = "installs_seen"

    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    install_hash: Mapped[str] = mapped_column(sa.String(32), primary_key=True)

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


class UnrecordedCount(Base):
    """What the statistics could not store, per day and product, so the numbers say how
    incomplete they are: checks and installs dropped while the in-memory buffer was full
    (the database refused writes for a long time), and installs beyond the per-day cap
    (STATS_INSTALLS_PER_DAY, a flood of random install ids)."""

    __tablename__ = "stats_unrecorded"

    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    checks_dropped: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    installs_dropped: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    installs_over_cap: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class RejectedPlatform(Base):
    """Checks refused because the install sent a platform id the product does not know,
    per day, product and id (see stats/rejected.py)."""

    __tablename__ = "platforms_rejected"

    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    checks: Mapped[int] = mapped_column(sa.BigInteger, default=0)

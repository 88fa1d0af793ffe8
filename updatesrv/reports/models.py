"""Failure groups: reports counted per (kind, fingerprint, version, platform), and which
installs (keyed hashes, as the check statistics store them) sent them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base

KINDS = ("start_failure", "update_failure", "crash")


class FailureGroup(Base):
    __tablename__ = "failure_groups"
    __table_args__ = (sa.UniqueConstraint("product_id", "kind", "fingerprint", "version",
                                          "platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    fingerprint: Mapped[str] = mapped_column(sa.String(120))
    version: Mapped[str] = mapped_column(sa.String(64))
    # '' when the install did not say.
    platform: Mapped[str] = mapped_column(sa.String(64))
    reports: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    first_seen: Mapped[dt.datetime]
    last_seen: Mapped[dt.datetime]
    # The newest report's details (exit code, signal, seconds after start, step, exception
    # type): never a path, a stack or anything typed by a person.
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Set once, by the conditional UPDATE that raised the alarm (so it is raised once).
    alarmed_at: Mapped[dt.datetime | None]
    alarm_installs: Mapped[int | None]
    alarm_active_installs: Mapped[int | None]
    # The notice drafted from this group (its reach says how many failing installs were
    # told).
    notice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notices.id", ondelete="SET NULL"), index=True)


class FailureInstall(Base):
    """One row per group and install: a keyed hash of the install id, never the id."""

    __tablename__ = "failure_installs"

    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("failure_groups.id", ondelete="CASCADE"), primary_key=True)
    install_hash: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    reports: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    first_seen: Mapped[dt.datetime]
    last_seen: Mapped[dt.datetime] = mapped_column(index=True)


class FailureReportDay(Base):
    """Per day and product: reports accepted, and those refused by the caps (per install,
    per product) or dropped while the in-memory buffer was full, so the numbers say how
    incomplete they are."""

    __tablename__ = "failure_report_days"

    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    accepted: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    over_install_cap: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    over_product_cap: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    buffer_full: Mapped[int] = mapped_column(sa.BigInteger, default=0)

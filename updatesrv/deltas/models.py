from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow

# pending: to build; building: claimed by a scheduler (claimed_at); ready: stored and
# offered; skipped: built but not smaller than the configured share of the full file;
# failed: see error.
STATES = ("pending", "building", "ready", "skipped", "failed")


class Delta(Base):
    """A patch from one uploaded file (an earlier release's) to another (a newer one's) of
    the same product and platform. Both files' sha256 are kept: a patch is only offered while
    both artifacts still hold those bytes."""

    __tablename__ = "deltas"
    __table_args__ = (sa.UniqueConstraint("from_artifact_id", "to_artifact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    from_artifact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("artifacts.id", ondelete="CASCADE"), index=True)
    to_artifact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("artifacts.id", ondelete="CASCADE"), index=True)
    from_sha256: Mapped[str] = mapped_column(sa.String(64))
    to_sha256: Mapped[str] = mapped_column(sa.String(64))
    algorithm: Mapped[str] = mapped_column(sa.String(32))
    state: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    claimed_at: Mapped[dt.datetime | None]
    # Content-addressed key in the file storage (deltas/ab/abcd...), set when ready.
    storage_path: Mapped[str | None] = mapped_column(sa.String(500), index=True)
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    built_at: Mapped[dt.datetime | None]

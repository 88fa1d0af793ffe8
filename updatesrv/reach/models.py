from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class NoticeReach(Base):
    __tablename__ = "notice_reach"

    notice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    # Indexed alone too: each statistics flush looks up the reach rows of the installs
    # that checked (reach.recorder._moved).
    install_hash: Mapped[str] = mapped_column(sa.String(32), primary_key=True, index=True)
    told_at: Mapped[dt.datetime]
    shown_at: Mapped[dt.datetime | None]
    moved_at: Mapped[dt.datetime | None]

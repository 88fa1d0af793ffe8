from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class RateWindow(Base):
    __tablename__ = "rate_windows"

    # e.g. "subscribe:<keyed hash of the client address>"
    key: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    hits: Mapped[int] = mapped_column(default=0)

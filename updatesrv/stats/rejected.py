"""Platform ids that installs sent and the product does not know. The check refuses them
(400, naming the known ids), so such an install hears nothing; the vendor's dashboard lists
the ids with counts so a vendor who forgot to declare a platform finds out. Buffered in
memory with the check counts and written by the same flush. The dashboard also lists the
built-in ids installs were answered on that the product has not declared (nor uploaded
files for): valid installs that get only the files and notices for every platform."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import upsert
from ..updates.rules import ANY_PLATFORM
from .models import CheckCount, RejectedPlatform

# (day, product id, platform id)
RejectedKey = tuple[dt.date, int, str]
# Distinct ids kept per product and day by one process: a flood of made-up ids stays a
# short list (the first ones seen are the informative ones).
IDS_PER_DAY = 20


class RejectedPlatforms:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[RejectedKey] = Counter()
        self._seen: dict[tuple[dt.date, int], set[str]] = {}

    def add(self, product_id: int, platform: str, now: dt.datetime) -> None:
        day = now.date()
        with self._lock:
            seen = self._seen.setdefault((day, product_id), set())
            if platform not in seen:
                if len(seen) >= IDS_PER_DAY:
                    return
                seen.add(platform)
            self._counts[(day, product_id, platform)] += 1
            for old in [k for k in self._seen if k[0] < day - dt.timedelta(days=1)]:
                del self._seen[old]

    def take(self) -> Counter[RejectedKey]:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        return counts

    def put_back(self, counts: Counter[RejectedKey]) -> None:
        with self._lock:
            self._counts.update(counts)


def write(session: Session, counts: Counter[RejectedKey]) -> None:
    upsert(session, RejectedPlatform.__table__,  # type: ignore[arg-type]
           [{"day": day, "product_id": pid, "platform": platform, "checks": n}
            for (day, pid, platform), n in sorted(counts.items())],
           key=["day", "product_id", "platform"], increment={"checks": "checks"})


def rejected_platforms(session: Session, product_id: int,
                       since: dt.date) -> list[tuple[str, int]]:
    """(platform id, refused checks) since ``since``, most frequent first."""
    total = sa.func.sum(RejectedPlatform.checks)
    rows = session.execute(
        sa.select(RejectedPlatform.platform, total)
        .where(RejectedPlatform.product_id == product_id, RejectedPlatform.day >= since)
        .group_by(RejectedPlatform.platform).order_by(total.desc(), RejectedPlatform.platform))
    return [(platform, int(n)) for platform, n in rows]


def undeclared_platforms(session: Session, product_id: int, since: dt.date,
                         own: Collection[str]) -> list[tuple[str, int]]:
    """(platform id, answered checks) since ``since`` for the ids installs reported that are
    not among the product's own platforms (``own``: declared, or used by its files), most
    frequent first. Installs that said no platform, or 'any', are not listed."""
    total = sa.func.sum(CheckCount.checks)
    rows = session.execute(
        sa.select(CheckCount.platform, total)
        .where(CheckCount.product_id == product_id, CheckCount.day >= since,
               CheckCount.platform.not_in(["", ANY_PLATFORM, *own]))
        .group_by(CheckCount.platform).order_by(total.desc(), CheckCount.platform))
    return [(platform, int(n)) for platform, n in rows]

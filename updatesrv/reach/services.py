"""The reach funnel of one notice: affected → told → shown → moved, subscribers mailed,
feedback, and how long it took to tell half and nine in ten of the affected installs."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from ..feedback.services import counts as feedback_counts
from ..notices.models import Notice
from ..outbox.models import OutboxMessage
from ..stats.models import InstallSeen
from ..updates import rules
from .models import NoticeReach

# Install hashes are kept 35 days (scheduling.jobs.INSTALL_HASH_RETENTION); an install
# counts as active when it checked within 30 days.
RETENTION = dt.timedelta(days=35)
ACTIVE_WINDOW = dt.timedelta(days=30)


def published_at(notice: Notice) -> dt.datetime:
    value = getattr(notice, "published_at", None)
    return value if isinstance(value, dt.datetime) else notice.opened_at


def _matches(notice: Notice, version_text: str, channel: str, platform: str) -> bool:
    """Notice matching by the check's own rule; an install that sent no platform counts as
    matching, as it is told."""
    version = rules.installed_version(version_text)
    return version is not None and rules.notice_applies(
        notice.affected, notice.channels, notice.platforms, version, channel, platform)


def affected_installs(session: Session, notice: Notice, now: dt.datetime) -> int:
    """Distinct installs on an affected version, channel and platform: seen so on or after
    the publication day, or whose last check in the 30 days before it was so."""
    start = published_at(notice)
    pub_day = start.date()
    floor = (now - RETENTION).date()
    lookback = max((start - ACTIVE_WINDOW).date(), floor)
    end = notice.resolved_at.date() if notice.resolved_at else now.date()
    base = (InstallSeen.product_id == notice.product_id, InstallSeen.day >= lookback,
            InstallSeen.day <= end)
    keys = [tuple(k) for k in session.execute(
        sa.select(InstallSeen.version, InstallSeen.channel, InstallSeen.platform)
        .where(*base).distinct())
        if _matches(notice, *k)]
    if not keys:
        return 0
    key_cols = sa.tuple_(InstallSeen.version, InstallSeen.channel, InstallSeen.platform)
    after = (sa.select(InstallSeen.install_hash)
             .where(*base, InstallSeen.day >= max(pub_day, floor), key_cols.in_(keys)))
    latest = (sa.select(InstallSeen.install_hash, sa.func.max(InstallSeen.day).label("day"))
              .where(*base, InstallSeen.day < pub_day)
              .group_by(InstallSeen.install_hash).subquery())
    before = (sa.select(InstallSeen.install_hash)
              .join(latest, sa.and_(InstallSeen.install_hash == latest.c.install_hash,
                                    InstallSeen.day == latest.c.day))
              .where(InstallSeen.product_id == notice.product_id, key_cols.in_(keys)))
    union = sa.union(after, before).subquery()
    return int(session.scalar(sa.select(sa.func.count()).select_from(union)) or 0)


def _percentile_time(told_seconds: list[float], affected: int, share: float) -> int | None:
    """Seconds from publication until ``share`` of the affected installs were told."""
    if affected <= 0:
        return None
    needed = max(1, math.ceil(affected * share))
    if len(told_seconds) < needed:
        return None
    return round(told_seconds[needed - 1])


def notice_reach(session: Session, notice: Notice,
                 now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    start = published_at(notice)
    since = max(start, now - RETENTION) - dt.timedelta(seconds=1)
    told_rows = session.execute(
        sa.select(NoticeReach.told_at, NoticeReach.shown_at, NoticeReach.moved_at)
        .where(NoticeReach.notice_id == notice.id, NoticeReach.told_at >= since)).all()
    told_seconds = sorted(max(0.0, (t - start).total_seconds()) for t, _, _ in told_rows)
    affected = affected_installs(session, notice, now)
    mailed = session.scalar(
        sa.select(sa.func.count(sa.distinct(OutboxMessage.subscription_id)))
        .where(OutboxMessage.notice_id == notice.id, OutboxMessage.channel == "mail",
               OutboxMessage.status == "sent",
               OutboxMessage.purpose.in_(("notice.published", "notice.updated",
                                          "notice.fixed")))) or 0
    feedback = feedback_counts(session, [notice.id])[notice.id]
    return {
        "notice": notice.public_id,
        "published_at": start.isoformat().replace("+00:00", "Z"),
        "affected_installs": affected,
        "told": len(told_rows),
        "shown": sum(1 for _, shown, _ in told_rows if shown is not None),
        "moved": sum(1 for _, _, moved in told_rows if moved is not None),
        "subscribers_mailed": int(mailed),
        "feedback": feedback,
        "told_p50_seconds": _percentile_time(told_seconds, affected, 0.5),
        "told_p90_seconds": _percentile_time(told_seconds, affected, 0.9),
    }


def prune(session: Session, now: dt.datetime) -> int:
    result = session.execute(sa.delete(NoticeReach).where(
        NoticeReach.told_at < now - RETENTION))
    return int(getattr(result, "rowcount", 0) or 0)

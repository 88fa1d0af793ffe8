"""The vendor's side of failure reports: switching them on, the groups with their rates,
and drafting a notice from a group (whose reach then says how many failing installs were
told)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..accounts.services import Actor
from ..errors import InvalidInput
from ..notices.models import Notice
from ..notices.services import create_notice
from ..products.models import Product
from ..reach.models import NoticeReach
from ..timeutil import rfc3339
from .alarm import ALARM_WINDOW, KIND_WORDS, active_installs_on, failing_installs
from .errors import FailureGroupNotFound
from .models import FailureGroup, FailureInstall, FailureReportDay

MAX_ALARM_INSTALLS = 1_000_000


def apply_settings(product: Product, data: dict[str, Any]) -> None:
    """``failure_reports`` (bool) and ``failure_alarm`` ({"installs": 5, "percent": 2.0})
    onto a product being created or changed (the caller audits and commits)."""
    if "failure_reports" in data:
        if not isinstance(data["failure_reports"], bool):
            raise InvalidInput("failure_reports must be true or false",
                               field="failure_reports")
        product.failure_reports = data["failure_reports"]
    if "failure_alarm" in data:
        alarm = data["failure_alarm"]
        if not isinstance(alarm, dict) or not alarm or set(alarm) - {"installs", "percent"}:
            raise InvalidInput('failure_alarm must be an object such as {"installs": 5, '
                               '"percent": 2.0}', field="failure_alarm")
        if "installs" in alarm:
            installs = alarm["installs"]
            if not isinstance(installs, int) or isinstance(installs, bool) or \
                    not 1 <= installs <= MAX_ALARM_INSTALLS:
                raise InvalidInput(f"failure_alarm.installs must be a whole number from 1 to "
                                   f"{MAX_ALARM_INSTALLS}", field="failure_alarm")
            product.failure_alarm_installs = installs
        if "percent" in alarm:
            percent = alarm["percent"]
            if not isinstance(percent, int | float) or isinstance(percent, bool) or \
                    not 0 < percent <= 100:
                raise InvalidInput("failure_alarm.percent must be a number above 0 and at "
                                   "most 100", field="failure_alarm")
            product.failure_alarm_percent = float(percent)


def list_groups(session: Session, product: Product, *, limit: int = 100,
                offset: int = 0) -> list[FailureGroup]:
    """Alarmed groups first, then the most recently seen."""
    return list(session.scalars(
        sa.select(FailureGroup).where(FailureGroup.product_id == product.id)
        .order_by(FailureGroup.alarmed_at.is_(None), FailureGroup.last_seen.desc(),
                  FailureGroup.id.desc())
        .limit(limit).offset(offset)))


def get_group(session: Session, product: Product, group_id: int) -> FailureGroup:
    # Ids beyond a 32-bit key name nothing (and would overflow the database's integer).
    group = session.get(FailureGroup, group_id) if 0 < group_id < 2 ** 31 else None
    if group is None or group.product_id != product.id:
        raise FailureGroupNotFound(f"{product.slug} has no failure group {group_id}")
    return group


def reach_of(session: Session, group: FailureGroup) -> dict[str, int] | None:
    """Of the group's failing installs: how many the linked notice told, how many showed
    it, how many moved to a fixed version (None while no notice is linked)."""
    if group.notice_id is None:
        return None
    row = session.execute(
        sa.select(sa.func.count(NoticeReach.install_hash),
                  sa.func.count(NoticeReach.shown_at), sa.func.count(NoticeReach.moved_at))
        .join(FailureInstall, FailureInstall.install_hash == NoticeReach.install_hash)
        .where(FailureInstall.group_id == group.id,
               NoticeReach.notice_id == group.notice_id)).one()
    return {"failing": failing_installs(session, group.id), "told": int(row[0]),
            "shown": int(row[1]), "moved": int(row[2])}


def group_to_dict(session: Session, group: FailureGroup, now: dt.datetime) -> dict[str, Any]:
    installs = failing_installs(session, group.id)
    active = max(active_installs_on(session, group.product_id, group.version, group.platform,
                                    now.date()), installs)
    notice = session.get(Notice, group.notice_id) if group.notice_id else None
    return {
        "id": group.id, "kind": group.kind, "fingerprint": group.fingerprint,
        "version": group.version, "platform": group.platform or None,
        "reports": group.reports, "installs": installs,
        "installs_last_hour": failing_installs(session, group.id, now - ALARM_WINDOW),
        "active_installs": active,
        "failure_rate": round(installs / active, 4) if active else 0.0,
        "first_seen": rfc3339(group.first_seen), "last_seen": rfc3339(group.last_seen),
        "detail": group.detail,
        "alarmed": group.alarmed_at is not None, "alarmed_at": rfc3339(group.alarmed_at),
        "notice": notice.public_id if notice else None,
        "reach": reach_of(session, group),
    }


def refused_counts(session: Session, product: Product, since: dt.date) -> dict[str, int]:
    """Reports accepted and refused (caps, full buffer) since ``since``."""
    row = session.execute(
        sa.select(*(sa.func.coalesce(sa.func.sum(getattr(FailureReportDay, name)), 0)
                    for name in ("accepted", "over_install_cap", "over_product_cap",
                                 "buffer_full")))
        .where(FailureReportDay.product_id == product.id,
               FailureReportDay.day >= since)).one()
    return dict(zip(("accepted", "over_install_cap", "over_product_cap", "buffer_full"),
                    (int(v) for v in row), strict=True))


def hourly_failing_installs(session: Session, group: FailureGroup, now: dt.datetime,
                            hours: int = 24) -> list[int]:
    """Installs that first failed in each of the last ``hours`` hours, oldest first (the
    dashboard's chart)."""
    start = now - dt.timedelta(hours=hours)
    counts = [0] * hours
    for first_seen in session.scalars(sa.select(FailureInstall.first_seen).where(
            FailureInstall.group_id == group.id, FailureInstall.first_seen > start)):
        index = int((first_seen - start).total_seconds() // 3600)
        counts[min(max(index, 0), hours - 1)] += 1
    return counts


def draft_notice(session: Session, actor: Actor, product: Product,
                 group: FailureGroup) -> Notice:
    """A draft notice pre-filled from the group (exactly the failing version, its
    platform, a summary); the group links to it from now on."""
    actor.require("publisher")
    if group.notice_id is not None:
        existing = session.get(Notice, group.notice_id)
        if existing is not None:
            return existing
    where = f" on {group.platform}" if group.platform else ""
    data: dict[str, Any] = {
        "title": f"{product.name} {group.version} {KIND_WORDS[group.kind]}{where}"[:120],
        "severity": "major", "affected": f"=={group.version}",
        "summary": (f"Some installs of {group.version}{where} {KIND_WORDS[group.kind]} "
                    f"({group.fingerprint}). We are investigating."),
        "platforms": [group.platform] if group.platform else [], "draft": True}
    group_id = group.id
    try:
        notice = create_notice(session, actor, product, data)
    except InvalidInput as exc:
        if exc.field != "platforms":
            raise
        session.rollback()  # a platform the product does not declare: all platforms
        notice = create_notice(session, actor, product, {**data, "platforms": []})
    session.execute(sa.update(FailureGroup).where(FailureGroup.id == group_id)
                    .values(notice_id=notice.id))
    session.commit()
    return notice

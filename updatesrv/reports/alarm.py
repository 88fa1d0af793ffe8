"""The alarm: after each flush of failure reports, every group that received some is
measured against its product's thresholds (at least N failing installs and P % of the
active installs of that version and platform, within an hour). A group crossing them is
claimed by one conditional UPDATE (so the alarm is raised once, whichever process sees it
first) and, in the same transaction, every rollout shipping that version on that platform
is paused through the auto-halt the notices use, the vendor's people are mailed and a
``failure.spike`` webhook event is recorded in the outbox."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from ..accounts.models import Membership, User
from ..db import write_intent
from ..outbox.services import current_base_url, enqueue_mail, record_event
from ..products.models import Product
from ..products.services import bump_catalog
from ..rollouts.services import auto_pause, rolling_out
from ..stats.models import InstallSeen
from ..timeutil import rfc3339
from ..updates.rules import ships_on
from .models import FailureGroup, FailureInstall

log = logging.getLogger(__name__)

ALARM_WINDOW = dt.timedelta(hours=1)
# Installs count as active on a version and platform when they checked with it this
# many days back (today included).
ACTIVE_DAYS = 7
KIND_WORDS = {"start_failure": "fails to start", "update_failure": "fails to update",
              "crash": "crashes"}


def active_installs_on(session: Session, product_id: int, version: str, platform: str,
                       today: dt.date) -> int:
    """Distinct installs that checked with this version (and platform, when known) in the
    last ACTIVE_DAYS days, from the check statistics."""
    stmt = (sa.select(sa.func.count(sa.distinct(InstallSeen.install_hash)))
            .where(InstallSeen.product_id == product_id, InstallSeen.version == version,
                   InstallSeen.day > today - dt.timedelta(days=ACTIVE_DAYS)))
    if platform:
        stmt = stmt.where(InstallSeen.platform == platform)
    return int(session.scalar(stmt) or 0)


def failing_installs(session: Session, group_id: int,
                     since: dt.datetime | None = None) -> int:
    stmt = sa.select(sa.func.count()).select_from(FailureInstall).where(
        FailureInstall.group_id == group_id)
    if since is not None:
        stmt = stmt.where(FailureInstall.last_seen >= since)
    return int(session.scalar(stmt) or 0)


def crosses(failing: int, active: int, min_installs: int, min_percent: float) -> bool:
    """The thresholds, as a pure rule: enough installs, and enough of the active ones
    (every failing install is active, so the share is never computed against fewer)."""
    return failing >= min_installs and failing * 100 >= min_percent * max(active, failing)


def check_alarms(session_factory: Callable[[], Session], group_ids: list[int],
                 now: dt.datetime) -> list[int]:
    """Raises the alarm for each of ``group_ids`` that crosses its thresholds now;
    returns the ids of the groups it raised."""
    raised = []
    for group_id in group_ids:
        with session_factory() as session:
            group = session.get(FailureGroup, group_id)
            if group is None or group.alarmed_at is not None:
                continue
            product = session.get(Product, group.product_id)
            if product is None or not product.failure_reports:
                continue
            recent = failing_installs(session, group_id, now - ALARM_WINDOW)
            if recent < product.failure_alarm_installs:
                continue
            active = max(active_installs_on(session, product.id, group.version,
                                            group.platform, now.date()),
                         failing_installs(session, group_id))
            if not crosses(recent, active, product.failure_alarm_installs,
                           product.failure_alarm_percent):
                continue
        with session_factory() as session, write_intent():
            claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                sa.update(FailureGroup)
                .where(FailureGroup.id == group_id, FailureGroup.alarmed_at.is_(None))
                .values(alarmed_at=now, alarm_installs=recent, alarm_active_installs=active))
            if claimed.rowcount != 1:
                session.rollback()  # another process raised it
                continue
            group = session.get(FailureGroup, group_id)
            assert group is not None
            raise_alarm(session, group, now)
            session.commit()
            raised.append(group_id)
    return raised


def raise_alarm(session: Session, group: FailureGroup, now: dt.datetime) -> list[str]:
    """Pauses the rollouts, mails the vendor's people and records the webhook event, in
    the caller's transaction. Returns the versions paused."""
    product = session.get(Product, group.product_id)
    assert product is not None
    share = 100.0 * (group.alarm_installs or 0) / max(group.alarm_active_installs or 1, 1)
    where = f" on {group.platform}" if group.platform else ""
    reason = (f"Paused automatically: {product.name} {group.version}{where} "
              f"{KIND_WORDS[group.kind]} ({group.fingerprint}) on "
              f"{group.alarm_installs} installs ({share:.1f}% of active) within an hour.")
    paused = []
    for release in rolling_out(session, product.id):
        if ships_on(release.version, (a.platform for a in release.artifacts), group.version,
                    group.platform):
            auto_pause(session, release, reason)
            paused.append(release.version)
    if paused:
        bump_catalog(session, product.id)
    log.warning("failure spike: %s %s %s %s on %d installs; paused %s", product.slug,
                group.version, group.platform or "-", group.fingerprint,
                group.alarm_installs, ", ".join(paused) or "nothing")
    body = group_summary(product, group, share, paused)
    record_event(session, product_id=product.id, kind="failure.spike",
                 dedupe_key=f"failure-group:{group.id}:alarm:{now.isoformat()}",
                 payload={"product": {"slug": product.slug, "name": product.name},
                          "group": body})
    _mail_vendor(session, product, group, body, now)
    return paused


def group_summary(product: Product, group: FailureGroup, share: float,
                  paused: list[str]) -> dict[str, Any]:
    return {"kind": group.kind, "fingerprint": group.fingerprint, "version": group.version,
            "platform": group.platform or None, "installs": group.alarm_installs,
            "active_installs": group.alarm_active_installs,
            "failure_rate": round(share / 100, 4), "first_seen": rfc3339(group.first_seen),
            "alarmed_at": rfc3339(group.alarmed_at), "paused_releases": paused,
            "detail": group.detail}


def _mail_vendor(session: Session, product: Product, group: FailureGroup,
                 body: dict[str, Any], now: dt.datetime) -> None:
    recipients = session.execute(
        sa.select(User.id, User.email).join(Membership, Membership.user_id == User.id)
        .where(Membership.vendor_id == product.vendor_id,
               Membership.role.in_(("owner", "publisher")))
        .order_by(User.id)).all()
    vendor = product.vendor.slug
    url = f"{current_base_url()}/console/{vendor}/p/{product.slug}/reports/{group.id}"
    paused = ", ".join(body["paused_releases"]) or "none"
    subject = f"[{product.name}] Failure spike: {group.version} {KIND_WORDS[group.kind]}"
    text = (f"Failure reports for {product.name} crossed your alarm threshold.\n\n"
            f"Kind: {group.kind}\nFingerprint: {group.fingerprint}\n"
            f"Version: {group.version}\nPlatform: {group.platform or 'not said'}\n"
            f"Failing installs within the hour: {group.alarm_installs} of "
            f"{group.alarm_active_installs} active\n"
            f"Rollouts paused: {paused}\n\n"
            f"See the group and draft a notice: {url}\n")
    for user_id, email in recipients:
        enqueue_mail(session, to=email, subject=subject, text=text, purpose="failure.spike",
                     dedupe_key=f"failure-alarm:{group.id}:{user_id}:{now.isoformat()}",
                     product_id=product.id)

"""Rollout controls: the share of installs offered a release, its ramp plan, pauses, the
stepping-stone version, and per-channel emergency stops."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts.services import Actor
from ..audit import services as audit
from ..errors import InvalidInput
from ..products.models import Product
from ..products.services import bump_catalog
from ..releases.errors import ReleaseNotFound
from ..releases.models import Release
from ..textinput import check_text
from ..timeutil import parse_rfc3339
from ..versions import parse_version
from .models import EmergencyStop, RampStep

ROLLOUT_FIELDS = {"rollout_percent", "paused", "min_upgrade_from", "ramp"}
MAX_RAMP_STEPS = 20


def _percent(value: object, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        raise InvalidInput(f"{field} must be a whole number from 0 to 100", field=field)
    return value


def parse_ramp(value: object, start: dt.datetime) -> list[tuple[int, dt.datetime]]:
    """[{"percent": 5, "after_hours": 0}, {"percent": 100, "at": "2026-12-01T09:00:00Z"}]
    → [(percent, due_at)], percentages and times increasing."""
    if not isinstance(value, list) or len(value) > MAX_RAMP_STEPS:
        raise InvalidInput(f"ramp must be a list of at most {MAX_RAMP_STEPS} steps such as "
                           '{"percent": 25, "after_hours": 24}', field="ramp")
    steps: list[tuple[int, dt.datetime]] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) - {"percent", "after_hours", "at"} or \
                ("after_hours" in item) == ("at" in item):
            raise InvalidInput(f"ramp[{i}] needs percent and either after_hours or at",
                               field="ramp")
        percent = _percent(item.get("percent"), f"ramp[{i}].percent")
        if "at" in item:
            at = parse_rfc3339(item["at"], f"ramp[{i}].at")
            if at is None:
                raise InvalidInput(f"ramp[{i}].at must be a timestamp such as "
                                   "'2026-12-01T09:00:00Z'", field="ramp")
            due = at
        else:
            hours = item["after_hours"]
            if not isinstance(hours, int | float) or isinstance(hours, bool) or \
                    not 0 <= hours <= 24 * 365:
                raise InvalidInput(f"ramp[{i}].after_hours must be 0 to 8760", field="ramp")
            due = start + dt.timedelta(hours=hours)
        if steps and (percent < steps[-1][0] or due < steps[-1][1]):
            raise InvalidInput("ramp steps must go up in percent and forward in time",
                               field="ramp")
        steps.append((percent, due))
    return steps


def apply_rollout_fields(release: Release, data: dict[str, Any], now: dt.datetime) -> None:
    """Applies whichever of ROLLOUT_FIELDS ``data`` holds to a release being created or
    changed (the caller audits and commits)."""
    if "rollout_percent" in data:
        release.rollout_percent = _percent(data["rollout_percent"], "rollout_percent")
    if "paused" in data:
        if not isinstance(data["paused"], bool):
            raise InvalidInput("paused must be true or false", field="paused")
        release.paused = data["paused"]
        release.paused_reason = None
    if "min_upgrade_from" in data:
        value = data["min_upgrade_from"]
        release.min_upgrade_from = (None if value in (None, "") else
                                    str(parse_version(value, "min_upgrade_from")))
        if release.min_upgrade_from and parse_version(release.min_upgrade_from) >= \
                parse_version(release.version):
            raise InvalidInput("min_upgrade_from must be below the release's own version",
                               field="min_upgrade_from")
    if "ramp" in data:
        start = max(now, release.publish_at) if release.publish_at else now
        steps = parse_ramp(data["ramp"], start)
        # A new plan replaces the steps still to come; applied ones stay as history.
        release.ramp_steps = [s for s in release.ramp_steps if s.applied_at is not None]
        for percent, due in steps:
            step = RampStep(percent=percent, due_at=due)
            if due <= now and not release.paused:
                release.rollout_percent = percent  # steps increase: the last due one wins
                step.applied_at = now
            release.ramp_steps.append(step)


def auto_pause(session: Session, release: Release, reason: str) -> None:
    """THE auto-halt: the system pauses a rollout (a critical notice, a failure spike),
    says why on the release and in the audit log. In the caller's transaction; the caller
    bumps the catalog once for all the releases it paused."""
    release.paused = True
    release.paused_reason = reason
    audit.record(session, vendor_id=release.product.vendor_id, actor="system",
                 action="release.auto_pause", object_type="release",
                 object_key=f"{release.product.slug}/{release.version}",
                 before={"paused": False}, after={"paused": True, "reason": reason})


def rolling_out(session: Session, product_id: int) -> list[Release]:
    """Releases still rolling out (below 100 %, not paused, published, not yanked): what
    an auto-halt may pause."""
    return list(session.scalars(sa.select(Release).where(
        Release.product_id == product_id, Release.rollout_percent < 100,
        Release.paused.is_(False), Release.draft.is_(False), Release.yanked.is_(False))))


def set_emergency_stop(session: Session, actor: Actor, product: Product, channel: str,
                       stop: bool, reason: str = "") -> bool:
    """Stops (or resumes) every offer on a product's channel. Returns whether a stop is in
    force afterwards."""
    actor.require("publisher")
    if channel not in product.channels:
        raise ReleaseNotFound(f"{product.slug} has no channel {channel!r}")
    reason = check_text(reason, "reason", 2000)
    existing = session.scalar(sa.select(EmergencyStop).where(
        EmergencyStop.product_id == product.id, EmergencyStop.channel == channel))
    if stop and existing is None:
        session.add(EmergencyStop(product_id=product.id, channel=channel, reason=reason,
                                  created_by=actor.label))
    elif not stop and existing is not None:
        session.delete(existing)
    else:
        return stop  # already as asked: idempotent
    try:
        session.flush()
    except IntegrityError:
        session.rollback()  # a concurrent stop won: the state is as asked
        return stop
    bump_catalog(session, product.id)
    audit.record(session, vendor_id=actor.vendor_id, actor=actor.label,
                 action="channel.stop" if stop else "channel.resume", object_type="channel",
                 object_key=f"{product.slug}/{channel}", before={"stopped": not stop},
                 after={"stopped": stop, "reason": reason} if stop else {"stopped": False})
    session.commit()
    return stop


def emergency_stops(session: Session, product: Product) -> list[EmergencyStop]:
    return list(session.scalars(sa.select(EmergencyStop).where(
        EmergencyStop.product_id == product.id).order_by(EmergencyStop.channel)))

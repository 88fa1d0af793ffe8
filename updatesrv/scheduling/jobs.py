"""Work that must happen on time with nobody at the keyboard. The database owns what is due
(rows with a due time); these functions only look at the clock they are given (tests pass a
fixed one) and apply what is due. Each ramp step is claimed by a conditional UPDATE in the
same transaction as its effect, so two schedulers, a crash halfway or a missed tick never
apply a step twice or lose one: a crash rolls the claim back with the rest."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from ..accounts.models import ConsoleSession, Invitation, LoginThrottle
from ..accounts.resets import prune_resets
from ..audit import services as audit
from ..db import write_intent
from ..deltas.services import named_patch_keys
from ..products.services import bump_catalog
from ..releases.models import Artifact, Release
from ..rollouts.models import RampStep
from ..stats.models import CheckCount, InstallSeen
from ..storage import DirectoryStorage, FileStorage

log = logging.getLogger(__name__)

# Raw install hashes are kept this long (> 31 days, for exact 30-day distinct counts).
INSTALL_HASH_RETENTION = dt.timedelta(days=35)
STAGED_UPLOAD_MAX_AGE = dt.timedelta(days=1)
UNREFERENCED_FILE_GRACE = dt.timedelta(hours=6)


def apply_due_ramp_steps(session_factory: Callable[[], Session], now: dt.datetime) -> int:
    """Applies every ramp step due at ``now`` whose release is not paused; returns how many
    this call applied."""
    with session_factory() as session:
        due = session.scalars(
            sa.select(RampStep.id).join(Release)
            .where(RampStep.applied_at.is_(None), RampStep.due_at <= now,
                   Release.paused.is_(False))
            .order_by(RampStep.due_at, RampStep.id)).all()
    applied = 0
    for step_id in due:
        with session_factory() as session, write_intent():
            claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                sa.update(RampStep)
                .where(RampStep.id == step_id, RampStep.applied_at.is_(None))
                .values(applied_at=now))
            if claimed.rowcount != 1:
                session.rollback()  # another scheduler applied it
                continue
            step = session.get(RampStep, step_id)
            assert step is not None
            release = step.release
            if release.paused:
                session.rollback()  # paused after we looked: the step waits for a resume
                continue
            before = release.rollout_percent
            # Widening never drops anyone; a step below the current share changes nothing.
            release.rollout_percent = max(before, step.percent)
            bump_catalog(session, release.product_id)
            audit.record(session, vendor_id=release.product.vendor_id, actor="system",
                         action="release.ramp", object_type="release",
                         object_key=f"{release.product.slug}/{release.version}",
                         before={"rollout_percent": before},
                         after={"rollout_percent": release.rollout_percent,
                                "step_due_at": step.due_at.isoformat()})
            session.commit()
            applied += 1
            log.info("ramp step applied: %s %s → %d%%", release.product.slug,
                     release.version, release.rollout_percent)
    return applied


def roll_up_statistics(session_factory: Callable[[], Session], now: dt.datetime) -> int:
    """Turns old per-install hashes into per-day distinct counts, then drops the hashes."""
    cutoff = (now - INSTALL_HASH_RETENTION).date()
    with session_factory() as session, write_intent():
        keys = (InstallSeen.day, InstallSeen.product_id, InstallSeen.version,
                InstallSeen.channel, InstallSeen.platform)
        rows = session.execute(sa.select(*keys, sa.func.count()).where(
            InstallSeen.day < cutoff).group_by(*keys)).all()
        for day, product_id, version, channel, platform, installs in rows:
            updated: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                sa.update(CheckCount).where(
                CheckCount.day == day, CheckCount.product_id == product_id,
                CheckCount.version == version, CheckCount.channel == channel,
                CheckCount.platform == platform).values(installs=installs))
            if updated.rowcount == 0:
                session.add(CheckCount(day=day, product_id=product_id, version=version,
                                       channel=channel, platform=platform, checks=0,
                                       installs=installs))
        deleted: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            sa.delete(InstallSeen).where(InstallSeen.day < cutoff))
        session.commit()
        return int(deleted.rowcount or 0)


def prune_expired(session_factory: Callable[[], Session], now: dt.datetime) -> int:
    """Drops expired, unused invitations, stale login-throttle rows, ended sessions and
    password-reset links that can no longer be used."""
    with session_factory() as session, write_intent():
        invitations: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            sa.delete(Invitation).where(
            Invitation.accepted_at.is_(None), Invitation.expires_at < now))
        throttles: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            sa.delete(LoginThrottle).where(
            LoginThrottle.window_started_at < now - dt.timedelta(days=1),
            sa.or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now)))
        sessions: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            sa.delete(ConsoleSession).where(ConsoleSession.expires_at < now))
        resets = prune_resets(session, now)
        session.commit()
        return int((invitations.rowcount or 0) + (throttles.rowcount or 0)
                   + (sessions.rowcount or 0) + resets)


def remove_stale_uploads(store: FileStorage, now: dt.datetime) -> int:
    """Uploads a crash or a killed client left unfinished (staging files, multipart
    uploads never completed)."""
    return store.remove_abandoned(now.timestamp() - STAGED_UPLOAD_MAX_AGE.total_seconds())


def remove_unreferenced_files(session_factory: Callable[[], Session],
                              store: FileStorage | Path, now: dt.datetime) -> int:
    """Stored files no artifact row names (a lost upload race, a replaced draft file, a
    failed transaction), once older than any upload still in flight, on every storage.
    Uploads never delete stored files themselves, so a file a row points at is never
    removed by its own retry."""
    if isinstance(store, Path):
        store = DirectoryStorage(store)
    cutoff = now.timestamp() - UNREFERENCED_FILE_GRACE.total_seconds()
    candidates = [key for key, modified in store.entries() if modified < cutoff]
    if not candidates:
        return 0
    named: set[str | None] = set()
    with session_factory() as session:
        for start in range(0, len(candidates), 500):
            named.update(session.scalars(sa.select(Artifact.storage_path).where(
                Artifact.storage_path.in_(candidates[start:start + 500]))))
            named.update(named_patch_keys(session, candidates[start:start + 500]))
    removed = 0
    for key in candidates:
        if key in named:
            continue
        modified = store.modified(key)
        if modified is None or modified >= cutoff:  # re-uploaded meanwhile
            continue
        store.delete(key)
        removed += 1
    return removed


def run_due_work(session_factory: Callable[[], Session], store: FileStorage,
                 now: dt.datetime, housekeeping: bool = True,
                 ramps: bool = True) -> dict[str, int]:
    started = time.monotonic()
    done = {"ramp_steps": apply_due_ramp_steps(session_factory, now)} if ramps else {}
    if housekeeping:
        done["install_hashes_rolled_up"] = roll_up_statistics(session_factory, now)
        done["expired_rows_pruned"] = prune_expired(session_factory, now)
        done["stale_uploads_removed"] = remove_stale_uploads(store, now)
        done["unreferenced_files_removed"] = remove_unreferenced_files(
            session_factory, store, now)
    log.debug("due work done in %.3fs: %s", time.monotonic() - started, done)
    return done

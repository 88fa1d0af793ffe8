"""Anonymous usage counts. The check endpoint only adds to an in-memory buffer; a
background thread per process flushes it in batches with additive upserts, so counting
never slows the check and concurrent flushers never overwrite each other. A crash loses at
most one flush interval of counts."""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import hmac
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import upsert, utcnow, write_intent
from ..reach import recorder as reach
from .models import CheckCount, InstallSeen

log = logging.getLogger(__name__)

Key = tuple[dt.date, int, str, str, str]


class CheckRecorder:
    def __init__(self, hash_key: bytes, session_factory: Callable[[], Session],
                 flush_interval: float = 5.0) -> None:
        self._hash_key = hash_key
        self._session_factory = session_factory
        self._flush_interval = flush_interval
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._counts: Counter[Key] = Counter()
        self._installs: set[tuple[Key, str]] = set()
        self._thread_pid: int | None = None
        self._stop = threading.Event()
        self.reach = reach.ReachBuffer()

    def install_hash(self, install_id: str) -> str:
        return hmac.new(self._hash_key, install_id.encode(), hashlib.sha256).hexdigest()[:32]

    def record(self, product_id: int, version: str, channel: str, platform: str | None,
               install_id: str | None, now: dt.datetime | None = None, *,
               told: tuple[str, ...] = (), shown: tuple[tuple[str, int], ...] = ()) -> None:
        """``told``: public ids of the notices the answer carried; ``shown``: notices
        (id, revision) the app acknowledged showing. Both need an install id."""
        now = now or utcnow()
        key: Key = (now.date(), product_id, version, channel, platform or "")
        hashed = self.install_hash(install_id) if install_id else None
        with self._lock:
            self._counts[key] += 1
            if hashed:
                self._installs.add((key, hashed))
        if hashed:
            self.reach.add(product_id, hashed, version, told, shown, now)
        self._ensure_thread()

    def _ensure_thread(self) -> None:
        # Started lazily, and again after a fork: gunicorn workers each get their own.
        if self._flush_interval <= 0 or self._thread_pid == os.getpid():
            return
        with self._lock:
            if self._thread_pid == os.getpid():
                return
            self._thread_pid = os.getpid()
            self._stop = threading.Event()
            threading.Thread(target=self._run, name="updatesrv-stats-flush",
                             daemon=True).start()
            atexit.register(self._flush_at_exit)

    def _run(self) -> None:
        stop = self._stop
        while not stop.wait(self._flush_interval):
            try:
                self.flush()
            except Exception:  # keep counting; the next flush retries what is buffered
                log.exception("flushing check statistics failed; will retry")

    def _flush_at_exit(self) -> None:
        try:
            self.flush()
        except Exception:
            log.exception("could not write buffered check statistics at exit")

    def stop(self) -> None:
        self._stop.set()

    def flush(self) -> int:
        """Writes the buffer to the database; on failure the counts go back into it."""
        with self._flush_lock:
            with self._lock:
                counts, self._counts = self._counts, Counter()
                installs, self._installs = self._installs, set()
            told, shown, checks = self.reach.take()
            if not counts and not installs and not (told or shown or checks):
                return 0
            session = self._session_factory()
            try:
                with write_intent():
                    upsert(session, CheckCount.__table__,  # type: ignore[arg-type]
                           [_key_row(k) | {"checks": n} for k, n in counts.items()],
                           key=["day", "product_id", "version", "channel", "platform"],
                           increment={"checks": "checks"})
                    upsert(session, InstallSeen.__table__,  # type: ignore[arg-type]
                           [_key_row(k) | {"install_hash": h} for k, h in installs],
                           key=["day", "product_id", "version", "channel", "platform",
                                "install_hash"])
                    reach.write(session, told, shown, checks)
                    session.commit()
            except Exception:
                session.rollback()
                with self._lock:
                    self._counts.update(counts)
                    self._installs.update(installs)
                self.reach.put_back(told, shown, checks)
                raise
            finally:
                session.close()
            return sum(counts.values())


def _key_row(key: Key) -> dict[str, Any]:
    day, product_id, version, channel, platform = key
    return {"day": day, "product_id": product_id, "version": version, "channel": channel,
            "platform": platform}


def installs_by_version(session: Session, product_id: int, since: dt.date,
                        until: dt.date) -> list[dict[str, Any]]:
    """Per day and version: checks and distinct installs. Days whose raw install hashes
    were rolled up read the stored count instead."""
    checks: dict[tuple[dt.date, str], int] = {}
    rolled: dict[tuple[dt.date, str], int] = {}
    for day, version, n, installs in session.execute(
            sa.select(CheckCount.day, CheckCount.version, sa.func.sum(CheckCount.checks),
                      sa.func.sum(CheckCount.installs))
            .where(CheckCount.product_id == product_id, CheckCount.day >= since,
                   CheckCount.day <= until)
            .group_by(CheckCount.day, CheckCount.version)):
        checks[(day, version)] = int(n or 0)
        if installs is not None:
            rolled[(day, version)] = int(installs)
    distinct: dict[tuple[dt.date, str], int] = {
        (day, version): int(n) for day, version, n in session.execute(
            sa.select(InstallSeen.day, InstallSeen.version,
                      sa.func.count(sa.distinct(InstallSeen.install_hash)))
            .where(InstallSeen.product_id == product_id, InstallSeen.day >= since,
                   InstallSeen.day <= until)
            .group_by(InstallSeen.day, InstallSeen.version))}
    days: dict[dt.date, dict[str, dict[str, int]]] = {}
    for key in sorted(set(checks) | set(distinct)):
        day, version = key
        days.setdefault(day, {})[version] = {
            "checks": checks.get(key, 0),
            "installs": distinct.get(key, rolled.get(key, 0)),
        }
    return [{"date": day.isoformat(), "versions": versions} for day, versions in days.items()]


def active_installs(session: Session, product_id: int, since: dt.date) -> dict[str, int]:
    """Distinct installs per version over the window, counting each install once at the
    newest day it was seen (an install that upgraded counts for its new version)."""
    latest = (sa.select(InstallSeen.install_hash, sa.func.max(InstallSeen.day).label("day"))
              .where(InstallSeen.product_id == product_id, InstallSeen.day >= since)
              .group_by(InstallSeen.install_hash).subquery())
    rows = session.execute(
        sa.select(InstallSeen.version, sa.func.count(sa.distinct(InstallSeen.install_hash)))
        .join(latest, sa.and_(InstallSeen.install_hash == latest.c.install_hash,
                              InstallSeen.day == latest.c.day))
        .where(InstallSeen.product_id == product_id)
        .group_by(InstallSeen.version))
    return {version: int(n) for version, n in rows}


def matching_active_installs(session: Session, product_id: int, since: dt.date,
                             matches: Callable[[str, str, str | None], bool]) -> int:
    """Distinct installs seen since ``since`` whose newest (version, channel, platform)
    satisfies ``matches``: how many installs a notice would reach now."""
    latest = (sa.select(InstallSeen.install_hash, sa.func.max(InstallSeen.day).label("day"))
              .where(InstallSeen.product_id == product_id, InstallSeen.day >= since)
              .group_by(InstallSeen.install_hash).subquery())
    rows = session.execute(
        sa.select(InstallSeen.install_hash, InstallSeen.version, InstallSeen.channel,
                  InstallSeen.platform)
        .join(latest, sa.and_(InstallSeen.install_hash == latest.c.install_hash,
                              InstallSeen.day == latest.c.day))
        .where(InstallSeen.product_id == product_id))
    hashes = {h for h, version, channel, platform in rows
              if matches(version, channel, platform or None)}
    return len(hashes)

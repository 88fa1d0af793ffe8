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
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import upsert, utcnow, write_intent
from ..reach import recorder as reach
from ..reports import store as failure_reports
from ..reports.batch import Report
from ..reports.buffer import Accepted, ReportBuffer
from . import rejected
from .models import CheckCount, InstallSeen, UnrecordedCount

log = logging.getLogger(__name__)

Key = tuple[dt.date, int, str, str, str]


DayProduct = tuple[dt.date, int]
# How long a process trusts its idea of how many installs a product has stored today
# before counting again (the per-day cap is shared by every process).
STORED_COUNT_TTL = 60.0
FAILURE_LOG_INTERVAL = 60.0


class CheckRecorder:
    """Buffers check counts and install hashes in memory and writes them in batches.

    Bounded whatever happens: at most ``buffer_limit`` distinct entries wait in memory (a
    database stall, a flood of random versions or install ids); beyond that new entries are
    counted as dropped, said once in the log, and stored in ``stats_unrecorded`` when the
    database accepts writes again. At most ``installs_per_day`` install hashes are stored per
    product and day (a cap, not a sketch: below it counts are exact); installs beyond it are
    counted in ``stats_unrecorded.installs_over_cap``."""

    def __init__(self, hash_key: bytes, session_factory: Callable[[], Session],
                 flush_interval: float = 5.0, *, buffer_limit: int = 200_000,
                 installs_per_day: int = 1_000_000,
                 reports: ReportBuffer | None = None) -> None:
        self._hash_key = hash_key
        self._session_factory = session_factory
        self._flush_interval = flush_interval
        self.buffer_limit = buffer_limit
        self.installs_per_day = installs_per_day
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._counts: Counter[Key] = Counter()
        self._installs: set[tuple[Key, str]] = set()
        self._checks_dropped: Counter[DayProduct] = Counter()
        self._installs_dropped: Counter[DayProduct] = Counter()
        self._overflowing = False
        self._stored: dict[DayProduct, tuple[int, float]] = {}
        self._failing_since: float | None = None
        self._last_failure_log = 0.0
        self._thread_pid: int | None = None
        self._stop = threading.Event()
        self.reach = reach.ReachBuffer()
        self.rejected = rejected.RejectedPlatforms()
        # Failure reports ride on the same flush thread (written after the checks, so the
        # alarm measures against fresh active-install counts).
        self.reports = reports or ReportBuffer()

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
        kept = True
        with self._lock:
            room = len(self._counts) + len(self._installs) < self.buffer_limit
            if room or key in self._counts:
                self._counts[key] += 1
            else:
                self._checks_dropped[(key[0], product_id)] += 1
                kept = False
            if hashed and (key, hashed) not in self._installs:
                if room:
                    self._installs.add((key, hashed))
                else:
                    self._installs_dropped[(key[0], product_id)] += 1
                    kept = False
            if not kept and not self._overflowing:
                self._overflowing = True
                log.warning("check statistics buffer full (%d entries: the database has not "
                            "accepted them for a while); new checks are counted as not "
                            "recorded until it does", self.buffer_limit)
        if hashed and kept:
            self.reach.add(product_id, hashed, version, told, shown, now)
        self._ensure_thread()

    def record_reports(self, product_id: int, install_id: str, platform: str,
                       reports: tuple[Report, ...], now: dt.datetime | None = None,
                       ) -> Accepted:
        """Failure reports of one install (see updatesrv.reports): counted in memory,
        written with the next flush."""
        accepted = self.reports.add(product_id, self.install_hash(install_id), platform,
                                    reports, now or utcnow())
        self._ensure_thread()
        return accepted

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
            except Exception as exc:  # keep counting; the next flush retries what is buffered
                self._log_failure(exc)

    def _log_failure(self, exc: Exception) -> None:
        # One traceback when writes start failing, then one short line a minute: a long
        # stall must not flood the log. Statement parameters are never logged
        # (hide_parameters on the engine).
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = self._last_failure_log = now
            log.error("writing check statistics failed; keeping them in memory and retrying",
                      exc_info=exc)
        elif now - self._last_failure_log >= FAILURE_LOG_INTERVAL:
            self._last_failure_log = now
            log.error("writing check statistics still fails after %.0f s (%s); %d entries "
                      "buffered", now - self._failing_since, type(exc).__name__,
                      self.buffered())

    def _flush_at_exit(self) -> None:
        try:
            self.flush()
        except Exception:
            log.exception("could not write buffered check statistics at exit")

    def stop(self) -> None:
        self._stop.set()

    def buffered(self) -> int:
        with self._lock:
            return len(self._counts) + len(self._installs) + self.reports.buffered()

    def flush(self) -> int:
        """Writes the buffer to the database; on failure the counts go back into it
        (within the buffer limit; what does not fit is counted as dropped). Then the
        failure reports, and their alarm."""
        try:
            return self._flush_checks()
        finally:
            with self._flush_lock:
                failure_reports.flush(self.reports, self._session_factory, utcnow())

    def _flush_checks(self) -> int:
        with self._flush_lock:
            with self._lock:
                counts, self._counts = self._counts, Counter()
                installs, self._installs = self._installs, set()
                checks_dropped, self._checks_dropped = self._checks_dropped, Counter()
                installs_dropped, self._installs_dropped = self._installs_dropped, Counter()
            told, shown, checks = self.reach.take()
            refused = self.rejected.take()
            if not (counts or installs or checks_dropped or installs_dropped or told or shown
                    or checks or refused):
                return 0
            session = self._session_factory()
            try:
                with write_intent():
                    kept, over_cap = self._apply_cap(session, installs)
                    upsert(session, CheckCount.__table__,  # type: ignore[arg-type]
                           [_key_row(k) | {"checks": n} for k, n in counts.items()],
                           key=["day", "product_id", "version", "channel", "platform"],
                           increment={"checks": "checks"})
                    upsert(session, InstallSeen.__table__,  # type: ignore[arg-type]
                           [_key_row(k) | {"install_hash": h} for k, h in kept],
                           key=["day", "product_id", "version", "channel", "platform",
                                "install_hash"])
                    _write_unrecorded(session, checks_dropped, installs_dropped, over_cap)
                    reach.write(session, told, shown, checks)
                    rejected.write(session, refused)
                    session.commit()
            except Exception:
                session.rollback()
                self._put_back(counts, installs, checks_dropped, installs_dropped)
                self.reach.put_back(told, shown, checks)
                self.rejected.put_back(refused)
                raise
            finally:
                session.close()
            self._note_stored(kept)
            self._recovered(checks_dropped, installs_dropped)
            return sum(counts.values())

    def _put_back(self, counts: Counter[Key], installs: set[tuple[Key, str]],
                  checks_dropped: Counter[DayProduct],
                  installs_dropped: Counter[DayProduct]) -> None:
        with self._lock:
            self._checks_dropped.update(checks_dropped)
            self._installs_dropped.update(installs_dropped)
            for key, n in counts.items():
                if key in self._counts or \
                        len(self._counts) + len(self._installs) < self.buffer_limit:
                    self._counts[key] += n
                else:
                    self._checks_dropped[(key[0], key[1])] += n
            for item in installs:
                if len(self._counts) + len(self._installs) < self.buffer_limit:
                    self._installs.add(item)
                else:
                    self._installs_dropped[(item[0][0], item[0][1])] += 1

    def _recovered(self, checks_dropped: Counter[DayProduct],
                   installs_dropped: Counter[DayProduct]) -> None:
        if self._failing_since is not None:
            log.warning("writing check statistics works again after %.0f s",
                        time.monotonic() - self._failing_since)
            self._failing_since = None
        with self._lock:
            overflowing, self._overflowing = self._overflowing, False
        if overflowing or checks_dropped or installs_dropped:
            log.warning("check statistics buffer drained; %d checks and %d installs could not "
                        "be recorded (reported by the stats endpoint as 'unrecorded')",
                        sum(checks_dropped.values()), sum(installs_dropped.values()))

    def _apply_cap(self, session: Session, installs: set[tuple[Key, str]]
                   ) -> tuple[list[tuple[Key, str]], Counter[DayProduct]]:
        """The install hashes to store now, within each product's per-day cap."""
        groups: dict[DayProduct, list[tuple[Key, str]]] = {}
        for item in installs:
            groups.setdefault((item[0][0], item[0][1]), []).append(item)
        kept: list[tuple[Key, str]] = []
        over_cap: Counter[DayProduct] = Counter()
        for day_product, items in groups.items():
            room = max(0, self.installs_per_day - self._stored_count(session, day_product))
            if len(items) > room:
                items.sort(key=lambda item: item[1])  # deterministic: the same ids win
                over_cap[day_product] = len(items) - room
                items = items[:room]
            kept.extend(items)
        return kept, over_cap

    def _stored_count(self, session: Session, day_product: DayProduct) -> int:
        known = self._stored.get(day_product)
        if known is not None and time.monotonic() - known[1] < STORED_COUNT_TTL:
            return known[0]
        day, product_id = day_product
        count = int(session.scalar(
            sa.select(sa.func.count()).select_from(InstallSeen)
            .where(InstallSeen.day == day, InstallSeen.product_id == product_id)) or 0)
        if len(self._stored) > 10_000:
            self._stored.clear()
        self._stored[day_product] = (count, time.monotonic())
        return count

    def _note_stored(self, kept: list[tuple[Key, str]]) -> None:
        # An upper bound (an install already stored today counts again): the cap errs on
        # the side of storing less, and the next count from the database corrects it.
        added: Counter[DayProduct] = Counter((k[0], k[1]) for k, _ in kept)
        for day_product, n in added.items():
            known = self._stored.get(day_product)
            if known is not None:
                self._stored[day_product] = (known[0] + n, known[1])


def _write_unrecorded(session: Session, checks_dropped: Counter[DayProduct],
                      installs_dropped: Counter[DayProduct],
                      over_cap: Counter[DayProduct]) -> None:
    keys = set(checks_dropped) | set(installs_dropped) | set(over_cap)
    upsert(session, UnrecordedCount.__table__,  # type: ignore[arg-type]
           [{"day": day, "product_id": pid, "checks_dropped": checks_dropped[(day, pid)],
             "installs_dropped": installs_dropped[(day, pid)],
             "installs_over_cap": over_cap[(day, pid)]} for day, pid in sorted(keys)],
           key=["day", "product_id"],
           increment={"checks_dropped": "checks_dropped", "installs_dropped": "installs_dropped",
                      "installs_over_cap": "installs_over_cap"})


def unrecorded(session: Session, product_id: int, since: dt.date) -> dict[str, Any]:
    """What the statistics of a product could not store since ``since``, for the stats
    endpoint: totals and the days concerned."""
    rows = session.execute(
        sa.select(UnrecordedCount.day, UnrecordedCount.checks_dropped,
                  UnrecordedCount.installs_dropped, UnrecordedCount.installs_over_cap)
        .where(UnrecordedCount.product_id == product_id, UnrecordedCount.day >= since)
        .order_by(UnrecordedCount.day)).all()
    return {
        "checks_dropped": sum(r.checks_dropped for r in rows),
        "installs_dropped": sum(r.installs_dropped for r in rows),
        "installs_over_cap": sum(r.installs_over_cap for r in rows),
        "days": [{"date": r.day.isoformat(), "checks_dropped": r.checks_dropped,
                  "installs_dropped": r.installs_dropped,
                  "installs_over_cap": r.installs_over_cap} for r in rows],
    }


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

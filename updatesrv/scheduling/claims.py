"""One holder at a time for scheduled work that is not claimed row by row (housekeeping),
across every scheduler of a deployment: every host may run ``updatesrv serve`` with its
scheduler, and the first to take a job's lock does the work while the others skip it.

PostgreSQL: a session-level advisory lock, held on a connection of its own for the job's
duration and released by the server if the holder dies. SQLite (one database file, one
host): an exclusive ``flock`` on a lock file beside the database. Ramp steps and the outbox
need no lock: each of their rows is claimed by a conditional UPDATE."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

# pg_try_advisory_lock(int4, int4): the first key names updatesrv ('upds'), the second
# the job, so the locks never collide with another application's on the same server.
ADVISORY_NAMESPACE = 0x75706473
_memory_locks: dict[str, threading.Lock] = {}


def _job_key(job: str) -> int:
    value = zlib.crc32(job.encode())
    return value - (1 << 32) if value >= (1 << 31) else value


@contextmanager
def exclusive(engine: sa.Engine, job: str) -> Iterator[bool]:
    """Yields True when this process holds JOB's lock for the block, False when another
    scheduler holds it now (the caller skips the work)."""
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine, job) as held:
            yield held
    else:
        with _file_lock(engine, job) as held:
            yield held


@contextmanager
def _pg_lock(engine: sa.Engine, job: str) -> Iterator[bool]:
    key = _job_key(job)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        held = bool(conn.scalar(sa.select(sa.func.pg_try_advisory_lock(
            ADVISORY_NAMESPACE, key))))
        try:
            yield held
        finally:
            if held:
                conn.scalar(sa.select(sa.func.pg_advisory_unlock(ADVISORY_NAMESPACE, key)))


@contextmanager
def _file_lock(engine: sa.Engine, job: str) -> Iterator[bool]:
    database = engine.url.database
    try:
        import fcntl
    except ImportError:  # Windows: no gunicorn, the one dev-server process runs the jobs
        fcntl = None  # type: ignore[assignment]
    if fcntl is None or not database or database == ":memory:":
        lock = _memory_locks.setdefault(job, threading.Lock())
        held = lock.acquire(blocking=False)
        try:
            yield held
        finally:
            if held:
                lock.release()
        return
    with open(f"{database}.{job}.lock", "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

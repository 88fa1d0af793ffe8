"""Writing buffered failure reports: one additive upsert per table for a whole flush, so
concurrent flushers (several workers) add up and never overwrite each other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import dialect_insert, upsert, write_intent
from .buffer import GroupKey, ReportBuffer, Taken
from .models import FailureGroup, FailureInstall, FailureReportDay


def _newer(table: sa.Table, excluded: Any, column: str) -> Any:
    return sa.case((excluded.last_seen > table.c.last_seen, getattr(excluded, column)),
                   else_=table.c[column])


def _merge(session: Session, table: sa.Table, key: list[str], rows: list[dict[str, Any]],
           latest: tuple[str, ...]) -> None:
    """Adds ``reports``, keeps the earliest first_seen and the newest last_seen (and the
    ``latest`` columns of the newest row)."""
    if not rows:
        return
    stmt = dialect_insert(session, table)
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(index_elements=key, set_={
        "reports": table.c.reports + excluded.reports,
        "first_seen": sa.case((excluded.first_seen < table.c.first_seen, excluded.first_seen),
                              else_=table.c.first_seen),
        **{column: _newer(table, excluded, column) for column in latest},
        "last_seen": _newer(table, excluded, "last_seen")})
    for start in range(0, len(rows), 1000):
        session.execute(stmt, rows[start:start + 1000])


def write(session: Session, taken: Taken) -> list[int]:
    """Stores a flush's reports in the caller's transaction; returns the ids of the groups
    that received reports (the alarm looks at those)."""
    groups: Any = FailureGroup.__table__
    _merge(session, groups, ["product_id", "kind", "fingerprint", "version", "platform"],
           [{"product_id": k[0], "kind": k[1], "fingerprint": k[2], "version": k[3],
             "platform": k[4], "reports": t.reports, "first_seen": t.first,
             "last_seen": t.last, "detail": t.detail, "alarmed_at": None,
             "alarm_installs": None, "alarm_active_installs": None, "notice_id": None}
            for k, t in taken.groups.items()], latest=("detail",))
    ids = _group_ids(session, list(taken.groups))
    installs: Any = FailureInstall.__table__
    _merge(session, installs, ["group_id", "install_hash"],
           [{"group_id": ids[key], "install_hash": install_hash, "reports": t.reports,
             "first_seen": t.first, "last_seen": t.last}
            for (key, install_hash), t in taken.installs.items() if key in ids], latest=())
    days = set(taken.accepted).union(*taken.refused.values())
    upsert(session, FailureReportDay.__table__,  # type: ignore[arg-type]
           [{"day": day, "product_id": pid, "accepted": taken.accepted[(day, pid)],
             **{name: counts[(day, pid)] for name, counts in taken.refused.items()}}
            for day, pid in sorted(days)],
           key=["day", "product_id"],
           increment={name: name for name in ("accepted", "over_install_cap",
                                              "over_product_cap", "buffer_full")})
    return sorted(ids.values())


def _group_ids(session: Session, keys: list[GroupKey]) -> dict[GroupKey, int]:
    found: dict[GroupKey, int] = {}
    by_product: dict[int, list[GroupKey]] = {}
    for key in keys:
        by_product.setdefault(key[0], []).append(key)
    for product_id, product_keys in by_product.items():
        fingerprints = {k[2] for k in product_keys}
        wanted = set(product_keys)
        for start in range(0, len(fingerprints), 500):
            chunk = sorted(fingerprints)[start:start + 500]
            for row in session.execute(sa.select(
                    FailureGroup.id, FailureGroup.kind, FailureGroup.fingerprint,
                    FailureGroup.version, FailureGroup.platform).where(
                    FailureGroup.product_id == product_id,
                    FailureGroup.fingerprint.in_(chunk))):
                key = (product_id, row.kind, row.fingerprint, row.version, row.platform)
                if key in wanted:
                    found[key] = row.id
    return found


def flush(buffer: ReportBuffer, session_factory: Callable[[], Session],
          now: dt.datetime) -> list[int]:
    """Writes what the buffer holds (put back on failure), then checks the alarm for the
    groups that received reports; returns the groups that raised it."""
    from .alarm import check_alarms

    taken = buffer.take()
    if not taken:
        return []
    session = session_factory()
    try:
        with write_intent():
            group_ids = write(session, taken)
            session.commit()
    except Exception:
        session.rollback()
        buffer.put_back(taken)
        raise
    finally:
        session.close()
    return check_alarms(session_factory, group_ids, now)

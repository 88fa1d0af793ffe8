"""Buffers, per web process, which installs a check answer told about which notices,
which notices apps acknowledged showing, and each install's latest checked version; the
check recorder writes them with its periodic flush, in the same transaction as the
install hashes they are compared against."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import sqlalchemy as sa
from packaging.version import Version
from sqlalchemy.orm import Session

from ..db import upsert
from ..notices.models import Notice
from ..updates import rules
from .models import NoticeReach

# Install hashes per query when looking up the reach rows of the installs that checked.
MOVED_CHUNK = 500
# (product_id, notice public id, install hash)
NoticeKey = tuple[int, str, str]


class ReachBuffer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.told: dict[NoticeKey, dt.datetime] = {}
        self.shown: dict[NoticeKey, dt.datetime] = {}
        self.checks: dict[tuple[int, str], tuple[dt.datetime, str]] = {}

    def add(self, product_id: int, install_hash: str, version: str, told: tuple[str, ...],
            shown: tuple[tuple[str, int], ...], now: dt.datetime) -> None:
        with self._lock:
            for public_id in told:
                self.told.setdefault((product_id, public_id, install_hash), now)
            for public_id, _revision in shown:
                self.shown.setdefault((product_id, public_id, install_hash), now)
            self.checks[(product_id, install_hash)] = (now, version)

    def take(self) -> tuple[dict[NoticeKey, dt.datetime], dict[NoticeKey, dt.datetime],
                            dict[tuple[int, str], tuple[dt.datetime, str]]]:
        with self._lock:
            taken = (self.told, self.shown, self.checks)
            self.told, self.shown, self.checks = {}, {}, {}
        return taken

    def put_back(self, told: dict[NoticeKey, dt.datetime], shown: dict[NoticeKey, dt.datetime],
                 checks: dict[tuple[int, str], tuple[dt.datetime, str]]) -> None:
        with self._lock:
            for key, at in told.items():
                self.told[key] = min(at, self.told.get(key, at))
            for key, at in shown.items():
                self.shown[key] = min(at, self.shown.get(key, at))
            for ckey, value in checks.items():
                self.checks.setdefault(ckey, value)

    def empty(self) -> bool:
        with self._lock:
            return not (self.told or self.shown or self.checks)


def write(session: Session, told: dict[NoticeKey, dt.datetime],
          shown: dict[NoticeKey, dt.datetime],
          checks: dict[tuple[int, str], tuple[dt.datetime, str]]) -> None:
    product_ids = {k[0] for k in told} | {k[0] for k in shown} | {k[0] for k in checks}
    if not product_ids:
        return
    notices: dict[tuple[int, str], tuple[int, str]] = {
        (pid, public_id): (nid, affected) for nid, pid, public_id, affected in session.execute(
            sa.select(Notice.id, Notice.product_id, Notice.public_id, Notice.affected)
            .where(Notice.product_id.in_(product_ids)))}
    table: Any = NoticeReach.__table__
    rows: list[dict[str, Any]] = []
    for (pid, public_id, install_hash), at in [*told.items(), *shown.items()]:
        found = notices.get((pid, public_id))
        if found:
            rows.append({"notice_id": found[0], "install_hash": install_hash, "told_at": at,
                         "shown_at": None, "moved_at": None})
    # One row per (notice, install), the first told time kept.
    rows.sort(key=lambda r: r["told_at"])
    upsert(session, table, list({(r["notice_id"], r["install_hash"]): r
                                 for r in reversed(rows)}.values()),
           key=["notice_id", "install_hash"])
    shown_params = [{"n": notices[(pid, pub)][0], "h": h, "t": at}
                    for (pid, pub, h), at in shown.items() if (pid, pub) in notices]
    if shown_params:
        session.execute(
            sa.update(table).where(table.c.notice_id == sa.bindparam("n"),
                                   table.c.install_hash == sa.bindparam("h"),
                                   table.c.shown_at.is_(None))
            .values(shown_at=sa.bindparam("t")), shown_params)
    moved_params = _moved(session, table, notices, checks)
    if moved_params:
        session.execute(
            sa.update(table).where(table.c.notice_id == sa.bindparam("n"),
                                   table.c.install_hash == sa.bindparam("h"),
                                   table.c.moved_at.is_(None),
                                   table.c.told_at < sa.bindparam("t"))
            .values(moved_at=sa.bindparam("t")), moved_params)


def _moved(session: Session, table: Any, notices: dict[tuple[int, str], tuple[int, str]],
           checks: dict[tuple[int, str], tuple[dt.datetime, str]]) -> list[dict[str, Any]]:
    """(notice, install) pairs whose install now checks with a version the notice does not
    affect. Only the installs' own reach rows are read (index on install_hash), so the cost
    follows the notices that told them, not every notice of the product."""
    affected_by_id = {nid: (pid, affected) for (pid, _pub), (nid, affected) in notices.items()}
    versions: dict[str, Version | None] = {}
    moved: list[dict[str, Any]] = []
    hashes = sorted({install_hash for _pid, install_hash in checks})
    for start in range(0, len(hashes), MOVED_CHUNK):
        chunk = hashes[start:start + MOVED_CHUNK]
        pairs = session.execute(
            sa.select(table.c.notice_id, table.c.install_hash)
            .where(table.c.install_hash.in_(chunk), table.c.moved_at.is_(None))).all()
        for nid, install_hash in pairs:
            found = affected_by_id.get(nid)
            checked = found and checks.get((found[0], install_hash))
            if not found or not checked:
                continue
            at, version_text = checked
            if version_text not in versions:
                versions[version_text] = rules.installed_version(version_text)
            version = versions[version_text]
            if version is not None and not rules.version_affected(found[1], version):
                moved.append({"n": nid, "h": install_hash, "t": at})
    return moved

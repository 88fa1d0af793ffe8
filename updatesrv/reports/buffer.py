"""Failure reports wait in memory and are written in bulk with the check statistics (the
statistics recorder's flush thread writes them), never one database write per report.

Bounded whatever installs send: per install and per product each day only so many reports
are taken (the caps), and at most ``limit`` distinct entries wait in memory; whatever is
refused is counted, per day and product, and stored with the rest (failure_report_days)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .batch import Report

# product_id, kind, fingerprint, version, platform ('' = not said)
GroupKey = tuple[int, str, str, str, str]
DayProduct = tuple[dt.date, int]
REFUSALS = ("over_install_cap", "over_product_cap", "buffer_full")


@dataclass
class Tally:
    reports: int
    first: dt.datetime
    last: dt.datetime
    detail: dict[str, Any] = field(default_factory=dict)

    def add(self, n: int, now: dt.datetime, detail: dict[str, Any] | None = None) -> None:
        self.reports += n
        self.first = min(self.first, now)
        if now >= self.last:
            self.last = now
            if detail is not None:
                self.detail = detail


@dataclass
class Taken:
    groups: dict[GroupKey, Tally]
    installs: dict[tuple[GroupKey, str], Tally]
    accepted: Counter[DayProduct]
    refused: dict[str, Counter[DayProduct]]

    def __bool__(self) -> bool:
        return bool(self.groups or self.installs or self.accepted
                    or any(self.refused.values()))


@dataclass(frozen=True)
class Accepted:
    accepted: int
    refused: int


class ReportBuffer:
    def __init__(self, *, per_install_per_day: int = 100,
                 per_product_per_day: int = 100_000, limit: int = 100_000) -> None:
        self.per_install_per_day = per_install_per_day
        self.per_product_per_day = per_product_per_day
        self.limit = limit
        self._lock = threading.Lock()
        self._quota_day: dt.date | None = None
        self._per_install: Counter[tuple[int, str]] = Counter()
        self._per_product: Counter[int] = Counter()
        self._taken = self._empty()

    @staticmethod
    def _empty() -> Taken:
        return Taken({}, {}, Counter(), {name: Counter() for name in REFUSALS})

    def add(self, product_id: int, install_hash: str, platform: str,
            reports: tuple[Report, ...], now: dt.datetime) -> Accepted:
        day = now.date()
        accepted = refused = 0
        with self._lock:
            if self._quota_day != day:
                self._quota_day = day
                self._per_install.clear()
                self._per_product.clear()
            buf = self._taken
            for report in reports:
                n = report.count
                install_room = self.per_install_per_day - self._per_install[
                    (product_id, install_hash)]
                product_room = self.per_product_per_day - self._per_product[product_id]
                key: GroupKey = (product_id, report.kind, report.fingerprint, report.version,
                                 platform)
                new_entries = (key not in buf.groups) + ((key, install_hash)
                                                         not in buf.installs)
                over = None
                if install_room <= 0:
                    over = "over_install_cap"
                elif product_room <= 0:
                    over = "over_product_cap"
                elif new_entries and (len(buf.groups) + len(buf.installs) + new_entries
                                      > self.limit or len(self._per_install) >= self.limit):
                    over = "buffer_full"
                if over is not None:
                    buf.refused[over][(day, product_id)] += n
                    refused += n
                    continue
                taken = min(n, install_room, product_room)
                if taken < n:
                    buf.refused["over_install_cap" if install_room < n
                                else "over_product_cap"][(day, product_id)] += n - taken
                    refused += n - taken
                self._per_install[(product_id, install_hash)] += taken
                self._per_product[product_id] += taken
                buf.accepted[(day, product_id)] += taken
                accepted += taken
                group = buf.groups.get(key)
                if group is None:
                    buf.groups[key] = Tally(taken, now, now, dict(report.detail))
                else:
                    group.add(taken, now, dict(report.detail))
                install = buf.installs.get((key, install_hash))
                if install is None:
                    buf.installs[(key, install_hash)] = Tally(taken, now, now)
                else:
                    install.add(taken, now)
        return Accepted(accepted, refused)

    def take(self) -> Taken:
        with self._lock:
            taken, self._taken = self._taken, self._empty()
        return taken

    def put_back(self, taken: Taken) -> None:
        """After a failed write: back into the buffer, within its limit (what does not fit
        is counted as dropped)."""
        with self._lock:
            buf = self._taken
            buf.accepted.update(taken.accepted)
            for name, counts in taken.refused.items():
                buf.refused[name].update(counts)
            for key, tally in taken.groups.items():
                if key in buf.groups:
                    buf.groups[key].add(tally.reports, tally.first, tally.detail)
                    buf.groups[key].add(0, tally.last, tally.detail)
                elif len(buf.groups) + len(buf.installs) < self.limit:
                    buf.groups[key] = tally
                else:
                    day_product = (tally.last.date(), key[0])
                    buf.refused["buffer_full"][day_product] += tally.reports
                    buf.accepted[day_product] -= tally.reports
            for item, tally in taken.installs.items():
                if item in buf.installs:
                    buf.installs[item].add(tally.reports, tally.first)
                    buf.installs[item].add(0, tally.last)
                elif item[0] in buf.groups and \
                        len(buf.groups) + len(buf.installs) < self.limit:
                    buf.installs[item] = tally

    def buffered(self) -> int:
        with self._lock:
            return len(self._taken.groups) + len(self._taken.installs)

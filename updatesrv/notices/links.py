"""How releases and notices point at each other: a release page lists the notices that
affect its version and those it fixes; a notice page links the releases it affects and the
one that fixes it, by the check's own rules (updates.rules)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from packaging.version import Version
from sqlalchemy.orm import Session

from ..db import utcnow
from ..products.models import Product
from ..releases.services import release_index
from ..updates import rules
from .models import Notice
from .services import list_notices

MAX_AFFECTED_LISTED = 20


@dataclass(frozen=True)
class IndexedRelease:
    """A light release row (releases.services.release_index) as the rules read it."""

    version: Version
    row: Any

    @property
    def channel(self) -> str:
        return str(self.row.channel)

    @property
    def yanked(self) -> bool:
        return bool(self.row.yanked)

    @property
    def published_at(self) -> dt.datetime | None:
        return None if self.row.draft else self.row.published_at

    @property
    def publish_at(self) -> dt.datetime | None:
        return self.row.publish_at


@dataclass(frozen=True)
class ReleaseNotices:
    affecting: list[Notice]
    fixed: list[Notice]


@dataclass(frozen=True)
class NoticeReleases:
    affected: list[str]  # newest first, at most MAX_AFFECTED_LISTED
    affected_total: int
    fix: str | None  # the release that fixes it, when one exists (visible to this reader)


def notices_for_release(session: Session, product: Product, version: str, *,
                        include_drafts: bool = False) -> ReleaseNotices:
    target = Version(version)
    rows = [n for n in list_notices(session, product, include_drafts=include_drafts)
            if n.status != "withdrawn"]
    index = [IndexedRelease(Version(r.version), r) for r in release_index(session, product)]
    now = utcnow()

    def fixed_here(notice: Notice) -> bool:
        """The vendor named this release as the fix, or it is the release that fixes it
        by the check's rule (the named one may be yanked, or a later one fixes it)."""
        if not notice.fixed_in:
            return False
        fixed_in = Version(notice.fixed_in)
        fix = rules.fixing_release(index, notice.affected, fixed_in, now)
        return fixed_in == target or (fix is not None and fix.version == target)

    return ReleaseNotices(
        affecting=[n for n in rows if rules.version_affected(n.affected, target)],
        fixed=[n for n in rows if fixed_here(n)])


def releases_for_notice(session: Session, product: Product, notice: Notice | Any, *,
                        include_hidden: bool = False) -> NoticeReleases:
    index = release_index(session, product, include_hidden=include_hidden)
    matching = rules.affected_versions(notice.affected,
                                       ((r.version, Version(r.version)) for r in index))
    # The fix is the release that makes "fix available" true (the check's answer), not
    # merely one spelled like fixed_in: a yanked fix is none, a later one outside the
    # range is one. Hidden releases never count, even for the owner.
    fix = rules.fixing_release(
        (IndexedRelease(Version(r.version), r) for r in index), notice.affected,
        Version(notice.fixed_in) if notice.fixed_in else None, utcnow())
    return NoticeReleases(affected=matching[:MAX_AFFECTED_LISTED],
                          affected_total=len(matching),
                          fix=fix.row.version if fix is not None else None)

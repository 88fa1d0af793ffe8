"""How releases and notices point at each other: a release page lists the notices that
affect its version and those it fixes; a notice page links the releases it affects and the
one that fixes it. Matching uses the same PEP 440 specifier the check uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version
from sqlalchemy.orm import Session

from ..products.models import Product
from ..releases.services import release_index
from .models import Notice
from .services import list_notices

MAX_AFFECTED_LISTED = 20


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
    return ReleaseNotices(
        affecting=[n for n in rows if SpecifierSet(n.affected).contains(target,
                                                                        prereleases=True)],
        fixed=[n for n in rows if n.fixed_in and Version(n.fixed_in) == target])


def releases_for_notice(session: Session, product: Product, notice: Notice | Any, *,
                        include_hidden: bool = False) -> NoticeReleases:
    spec = SpecifierSet(notice.affected)
    index = release_index(session, product, include_hidden=include_hidden)
    matching = [r.version for r in index if spec.contains(r.version, prereleases=True)]
    fix = None
    if notice.fixed_in:
        wanted = Version(notice.fixed_in)
        fix = next((r.version for r in index if Version(r.version) == wanted), None)
    return NoticeReleases(affected=matching[:MAX_AFFECTED_LISTED],
                          affected_total=len(matching), fix=fix)

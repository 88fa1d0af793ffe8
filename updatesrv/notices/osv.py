"""Notices as OSV records (https://ossf.github.io/osv-schema/), so vulnerability and
inventory tools can read a vendor's known issues. The id is 'x_' + the notice id (the
schema's prefix for local databases)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ..timeutil import rfc3339
from ..updates import rules
from .models import Notice
from .services import notice_to_dict

SCHEMA_VERSION = "1.7.0"
ECOSYSTEM = "updatesrv"


def _ranges(specifier: SpecifierSet, fixed_in: str | None) -> list[dict[str, Any]] | None:
    """ECOSYSTEM events for specifiers that are one interval: >=, <, <=, == (exact).
    Others (>, !=, ~=, wildcards) cannot be said with OSV events; None then."""
    lower: Version | None = None
    fixed: Version | None = None
    last: Version | None = None
    for spec in specifier:
        if spec.version.endswith(".*") or spec.operator not in (">=", "<", "<=", "=="):
            return None
        version = Version(spec.version)
        if spec.operator in (">=", "=="):
            lower = version if lower is None else max(lower, version)
        if spec.operator == "<":
            fixed = version if fixed is None else min(fixed, version)
        if spec.operator in ("<=", "=="):
            last = version if last is None else min(last, version)
    events: list[dict[str, str]] = [{"introduced": str(lower) if lower else "0"}]
    if fixed is not None and (last is None or fixed <= last):
        events.append({"fixed": str(fixed)})
    elif last is not None:
        events.append({"last_affected": str(last)})
    elif fixed_in:
        events.append({"fixed": fixed_in})
    return [{"type": "ECOSYSTEM", "events": events}]


def notice_to_osv(notice: Notice, base_url: str,
                  published_versions: Iterable[tuple[str, Version]] = ()) -> dict[str, Any]:
    """``published_versions``: (text, parsed) pairs, parsed once for a whole export."""
    product = notice.product
    plain = notice_to_dict(notice, base_url)
    specifier = rules.affected_range(notice.affected)
    ascending = sorted(published_versions, key=lambda pair: pair[1])
    affected: dict[str, Any] = {
        "package": {"ecosystem": ECOSYSTEM, "name": product.slug},
        "versions": rules.affected_versions(specifier, ascending),
        "ecosystem_specific": {"platforms": notice.platforms, "channels": notice.channels},
        "database_specific": {"affected_specifier": notice.affected},
    }
    ranges = _ranges(specifier, notice.fixed_in)
    if ranges:
        affected["ranges"] = ranges
    details = "\n\n".join(part for part in (notice.summary, notice.details) if part)
    references = [{"type": "WEB", "url": plain["url"]}]
    if notice.fixed_in:
        references.append({"type": "FIX",
                           "url": f"{base_url}/p/{product.slug}/releases/{notice.fixed_in}"})
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": f"x_{notice.public_id}",
        "modified": rfc3339(notice.updated_at),
        "published": rfc3339(notice.opened_at),
        "summary": notice.title,
        "details": details,
        "affected": [affected],
        "references": references,
        "database_specific": {
            "severity": notice.severity, "status": notice.status,
            "workaround": notice.workaround, "fixed_in": notice.fixed_in,
            "revision": notice.revision, "url": plain["url"],
            "support_url": plain["support_url"],
        },
    }
    if notice.status == "withdrawn" and notice.resolved_at is not None:
        record["withdrawn"] = rfc3339(notice.resolved_at)
    return record

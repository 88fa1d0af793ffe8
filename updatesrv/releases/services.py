"""Releases: create, change, publish, yank, and the listings pages and the API read.
Files live in artifacts.py; rollout controls in updatesrv.rollouts."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..accounts.services import Actor
from ..audit import services as audit
from ..db import utcnow
from ..errors import InvalidInput
from ..i18n.content import merge_translations, parse_translations, require_offered
from ..outbox import release_events
from ..products.models import Product
from ..products.platforms import known_platforms, require_known
from ..products.services import bump_catalog
from ..rollouts.services import ROLLOUT_FIELDS, apply_rollout_fields
from ..textinput import check_optional_text, check_text
from ..timeutil import parse_rfc3339, rfc3339
from ..updates.rules import release_public
from ..versioning import lock_for_edit
from ..versions import parse_version, version_key
from .artifacts import (
    ArtifactInput,
    artifact_from_input,
    artifact_identity,
    artifact_to_dict,
    check_input_signatures,
    parse_artifact,
    require_sha512,
)
from .errors import ReleaseNotFound, VersionExists
from .models import Release

MAX_NOTES = 100_000
MAX_REASON = 2000
CREATE_FIELDS = {"version", "channel", "notes", "critical", "draft", "artifacts", "publish_at",
                 "translations", *ROLLOUT_FIELDS - {"paused"}}
PATCH_FIELDS = {"notes", "critical", "draft", "yanked", "yank_reason", "publish_at",
                "translations", *ROLLOUT_FIELDS}


def _bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false", field=field)
    return value


def _notes(value: object) -> str:
    return check_text(value, "notes", MAX_NOTES, strip=False)


def _translations(product: Product, value: object,
                  current: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """``{"hu": {"notes": "…"}}``: the notes in the product's offered locales, checked
    like the notes themselves; a PATCH changes only the locales it names."""
    parsed = parse_translations(
        value, {"notes": lambda text, field: check_text(text, field, MAX_NOTES, strip=False)},
        product.default_locale)
    require_offered(parsed, product.offered_locales or ())
    return merge_translations(current, parsed)


def _channel(product: Product, value: object) -> str:
    if value is None:
        return product.channels[0]
    if value not in product.channels:
        raise InvalidInput(f"channel must be one of {', '.join(product.channels)}; got {value!r}",
                           field="channel")
    return str(value)


def release_to_dict(release: Release, base_url: str) -> dict[str, Any]:
    slug = release.product.slug
    return {
        "version": release.version,
        "channel": release.channel,
        "notes": release.notes,
        "translations": {tag: dict(t) for tag, t in sorted((release.translations or {}).items())},
        "critical": release.critical,
        "draft": release.draft,
        "yanked": release.yanked,
        "yank_reason": release.yank_reason,
        "publish_at": rfc3339(release.publish_at),
        "published_at": rfc3339(release.published_at),
        "created_at": rfc3339(release.created_at),
        "url": f"{base_url}/p/{slug}/releases/{release.version}",
        "artifacts": [artifact_to_dict(a, base_url) for a in release.artifacts],
        "rollout_percent": release.rollout_percent,
        "paused": release.paused,
        "paused_reason": release.paused_reason,
        "min_upgrade_from": release.min_upgrade_from,
        "ramp": [{"percent": s.percent, "at": rfc3339(s.due_at),
                  "applied_at": rfc3339(s.applied_at)} for s in release.ramp_steps],
    }


def _snapshot(release: Release) -> dict[str, Any]:
    return {
        "version": release.version, "channel": release.channel, "notes": release.notes,
        "translations": release.translations or {}, "critical": release.critical,
        "draft": release.draft, "yanked": release.yanked,
        "yank_reason": release.yank_reason, "publish_at": rfc3339(release.publish_at),
        "published_at": rfc3339(release.published_at),
        "artifacts": {a.platform if a.kind == "full" else f"{a.platform}:{a.kind}": a.sha256
                      for a in release.artifacts},
        "rollout_percent": release.rollout_percent, "paused": release.paused,
        "min_upgrade_from": release.min_upgrade_from,
        "ramp": [[s.percent, rfc3339(s.due_at)] for s in release.ramp_steps
                 if s.applied_at is None],
    }


def get_release(session: Session, product: Product, version: str) -> Release:
    try:
        key = version_key(parse_version(version))
    except InvalidInput:
        raise ReleaseNotFound(f"{product.slug} has no release {version!r}") from None
    release = _find(session, product, key)
    if release is None:
        raise ReleaseNotFound(f"{product.slug} has no release {version!r}")
    return release


def release_index(session: Session, product: Product, *, include_hidden: bool = False,
                  channel: str | None = None) -> list[Any]:
    """Light rows (id, version, channel, draft, yanked, dates), newest version first: for
    lists and pages, which then load full releases only for what they show."""
    stmt = sa.select(Release.id, Release.version, Release.channel, Release.draft,
                     Release.yanked, Release.published_at, Release.publish_at,
                     Release.rollout_percent, Release.paused).where(
        Release.product_id == product.id)
    if channel:
        stmt = stmt.where(Release.channel == channel)
    rows = list(session.execute(stmt))
    if not include_hidden:
        now = utcnow()
        rows = [r for r in rows
                if release_public(r.draft, r.published_at, r.publish_at, now)]
    rows.sort(key=lambda r: parse_version(r.version), reverse=True)
    return rows


def load_releases(session: Session, ids: list[int]) -> list[Release]:
    """Full releases (with artifacts) for the given ids, in the given order."""
    if not ids:
        return []
    found = {r.id: r for r in session.scalars(
        sa.select(Release).where(Release.id.in_(ids)).options(selectinload(Release.artifacts)))}
    return [found[i] for i in ids if i in found]


def releases_page(session: Session, product: Product, page: int, per_page: int, *,
                  include_hidden: bool = False, channel: str | None = None,
                  catalog: Any = None) -> tuple[list[Release], int]:
    """One page of releases, newest first. For public listings pass the product's cached
    catalog (already in PEP 440 order) to skip building the index."""
    if catalog is not None and not include_hidden:
        now = utcnow()
        ids = [r.id for r in catalog.releases
               if r.visible_at(now) and (channel is None or r.channel == channel)]
    else:
        ids = [r.id for r in release_index(session, product, include_hidden=include_hidden,
                                           channel=channel)]
    start = (page - 1) * per_page
    return load_releases(session, ids[start:start + per_page]), len(ids)


def latest_per_channel(session: Session, product: Product,
                       catalog: Any = None) -> dict[str, Release | None]:
    """The newest visible, non-yanked release of each channel."""
    if catalog is not None:
        now = utcnow()
        index: list[Any] = [r for r in catalog.releases if r.visible_at(now)]
    else:
        index = release_index(session, product)
    ids = {c: next((r.id for r in index if r.channel == c and not r.yanked), None)
           for c in product.channels}
    loaded = {r.id: r for r in load_releases(session, [i for i in ids.values() if i])}
    return {c: loaded.get(i) if i else None for c, i in ids.items()}


def list_releases(session: Session, product: Product, *, include_hidden: bool = False,
                  channel: str | None = None) -> list[Release]:
    """Every release newest version first; without ``include_hidden`` only what the public
    may see now (published, not scheduled for later)."""
    index = release_index(session, product, include_hidden=include_hidden, channel=channel)
    return load_releases(session, [r.id for r in index])


def _matches_retry(release: Release, data: dict[str, Any], channel: str, notes: str,
                   critical: bool, draft: bool, artifacts: list[ArtifactInput] | None,
                   publish_at: Any) -> bool:
    """A retried create (CI jobs re-run) is answered 200 when it asks for exactly what is
    stored. Artifacts are compared only when the request lists them, because uploads
    arrive separately after the create."""
    if (release.channel, release.notes, release.critical, release.draft) != (
            channel, notes, critical, draft):
        return False
    if "publish_at" in data and release.publish_at != publish_at:
        return False
    if artifacts is not None:
        stored = {artifact_identity(a) for a in release.artifacts}
        wanted = {artifact_identity(a) for a in artifacts}
        if stored != wanted:
            return False
    return True


def create_release(session: Session, actor: Actor, product: Product,
                   data: dict[str, Any]) -> tuple[Release, bool]:
    """Returns (release, created). An identical retry returns the stored release with
    created=False; any other reuse of a version is a conflict."""
    actor.require("publisher")
    unknown = set(data) - CREATE_FIELDS
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    version = parse_version(data.get("version"))
    channel = _channel(product, data.get("channel"))
    notes = _notes(data.get("notes"))
    translations = _translations(product, data.get("translations", {}), {})
    critical = _bool(data.get("critical", False), "critical")
    draft = _bool(data.get("draft", False), "draft")
    publish_at = parse_rfc3339(data.get("publish_at"), "publish_at")
    artifacts: list[ArtifactInput] | None = None
    if "artifacts" in data:
        if not isinstance(data["artifacts"], list):
            raise InvalidInput("artifacts must be a list", field="artifacts")
        artifacts = [parse_artifact(item, i) for i, item in enumerate(data["artifacts"])]
        platforms = [(a.platform, a.meta.kind) for a in artifacts]
        if len(set(platforms)) != len(platforms):
            raise InvalidInput("artifacts lists a platform (of the same kind) twice",
                               field="artifacts")
        known = known_platforms(session, product)
        for i, a in enumerate(artifacts):
            require_known(session, product, a.platform, f"artifacts[{i}].platform",
                          allow_any=True, known=known)
            check_input_signatures(product, str(version), a)
            require_sha512(product, a)
    if not draft and not artifacts:
        raise InvalidInput("a published release needs at least one artifact: list them in "
                           "'artifacts', or create it with \"draft\": true, upload the files, "
                           "then publish", field="artifacts")

    existing = _find(session, product, version_key(version))
    if existing is None:
        release = Release(product_id=product.id, version=str(version),
                          version_key=version_key(version), channel=channel, notes=notes,
                          translations=translations, critical=critical, draft=draft,
                          publish_at=publish_at,
                          published_at=None if draft else (publish_at or utcnow()))
        release.artifacts = [artifact_from_input(a) for a in artifacts or []]
        apply_rollout_fields(release, data, utcnow())
        session.add(release)
        try:
            session.flush()
        except IntegrityError:
            # Another request created the same version between our read and write.
            session.rollback()
            existing = _find(session, product, version_key(version))
            if existing is None:
                raise
        else:
            if not draft:
                bump_catalog(session, product.id)
                release_events.release_published(session, release)
            audit.record(session, vendor_id=actor.vendor_id, actor=actor.label,
                         action="release.create", object_type="release",
                         object_key=f"{product.slug}/{release.version}",
                         after=_snapshot(release))
            session.commit()
            return release, True
    if _matches_retry(existing, data, channel, notes, critical, draft, artifacts,
                      publish_at) and (existing.translations or {}) == translations:
        return existing, False
    raise VersionExists(
        f"{product.slug} {existing.version} already exists (PEP 440 treats {str(version)!r} and "
        f"{existing.version!r} as the same version) with different contents. Versions are "
        "never reused: publish a new version instead.", field="version")


def _find(session: Session, product: Product, key: str) -> Release | None:
    return session.scalar(sa.select(Release).where(
        Release.product_id == product.id, Release.version_key == key)
        .options(selectinload(Release.artifacts)))


def update_release(session: Session, actor: Actor, release: Release,
                   changes: dict[str, Any], *, if_match: set[int] | None = None) -> Release:
    """Applies a partial change; ``if_match``: the row versions the editor saw (412 when
    the release changed since)."""
    actor.require("publisher")
    lock_for_edit(session, release, if_match)
    unknown = set(changes) - PATCH_FIELDS
    if unknown:
        raise InvalidInput(f"unknown or read-only field(s): {', '.join(sorted(unknown))}")
    before = _snapshot(release)
    now = utcnow()
    if "notes" in changes:
        release.notes = _notes(changes["notes"])
    if "translations" in changes:
        release.translations = _translations(release.product, changes["translations"],
                                             release.translations or {})
    if "critical" in changes:
        release.critical = _bool(changes["critical"], "critical")
    if "publish_at" in changes:
        publish_at = parse_rfc3339(changes["publish_at"], "publish_at")
        if release.visible_at(now) and publish_at != release.publish_at:
            raise InvalidInput("publish_at can only change while the release is a draft or "
                               "still scheduled", field="publish_at")
        release.publish_at = publish_at
        if not release.draft:
            release.published_at = publish_at or now
    if "draft" in changes:
        draft = _bool(changes["draft"], "draft")
        if draft and not release.draft:
            raise InvalidInput("a published release cannot go back to draft: yank it instead",
                               field="draft")
        if not draft and release.draft:
            if not release.artifacts:
                raise InvalidInput("upload or list at least one artifact before publishing",
                                   field="draft")
            release.draft = False
            release.published_at = max(now, release.publish_at) if release.publish_at else now
    apply_rollout_fields(release, changes, now)
    if "yanked" in changes:
        release.yanked = _bool(changes["yanked"], "yanked")
        if release.yanked:
            reason = check_optional_text(changes.get("yank_reason"), "yank_reason", MAX_REASON)
            release.yank_reason = reason or release.yank_reason
        else:
            release.yank_reason = None
    elif "yank_reason" in changes:
        if not release.yanked:
            raise InvalidInput("yank_reason only applies to a yanked release",
                               field="yank_reason")
        release.yank_reason = check_text(changes["yank_reason"], "yank_reason", MAX_REASON)
    after = _snapshot(release)
    if after != before:
        release.updated_at = now
        bump_catalog(session, release.product_id)
        action = "release.update"
        if before["draft"] and not after["draft"]:
            action = "release.publish"
        elif before["paused"] != after["paused"]:
            action = "release.pause" if after["paused"] else "release.resume"
        elif before["yanked"] != after["yanked"]:
            action = "release.yank" if after["yanked"] else "release.unyank"
        audit.record(session, vendor_id=actor.vendor_id, actor=actor.label, action=action,
                     object_type="release",
                     object_key=f"{release.product.slug}/{release.version}",
                     before=before, after=after)
        # Webhooks (outbox, same transaction).
        if before["draft"] and not after["draft"]:
            release_events.release_published(session, release)
        if after["yanked"] and not before["yanked"]:
            release_events.release_yanked(session, release)
    session.commit()
    return release

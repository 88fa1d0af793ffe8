from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from werkzeug.utils import secure_filename

from ..accounts.services import Actor
from ..audit import services as audit
from ..db import utcnow
from ..errors import InvalidInput
from ..products.models import Product
from ..products.services import bump_catalog
from ..signing import parse_signature, verify_file
from ..timeutil import parse_rfc3339, rfc3339
from ..versions import parse_platform, parse_version, version_key
from .errors import ArtifactImmutable, BadSignature, ReleaseNotFound, VersionExists
from .models import Artifact, EmergencyStop, RampStep, Release
from .storage import ArtifactStore

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
MAX_NOTES = 100_000
ROLLOUT_FIELDS = {"rollout_percent", "paused", "min_upgrade_from", "ramp"}
CREATE_FIELDS = {"version", "channel", "notes", "critical", "draft", "artifacts", "publish_at",
                 *ROLLOUT_FIELDS - {"paused"}}
PATCH_FIELDS = {"notes", "critical", "draft", "yanked", "yank_reason", "publish_at",
                *ROLLOUT_FIELDS}
MAX_RAMP_STEPS = 20


@dataclass(frozen=True)
class ArtifactInput:
    platform: str
    url: str
    size: int
    sha256: str
    signature: str | None


def _bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false", field=field)
    return value


def _notes(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("notes must be a Markdown string", field="notes")
    if len(value) > MAX_NOTES:
        raise InvalidInput(f"notes are longer than {MAX_NOTES} characters", field="notes")
    return value


def _channel(product: Product, value: object) -> str:
    if value is None:
        return product.channels[0]
    if value not in product.channels:
        raise InvalidInput(f"channel must be one of {', '.join(product.channels)}; got {value!r}",
                           field="channel")
    return str(value)


def parse_artifact(item: object, index: int | None = None) -> ArtifactInput:
    where = "artifact" if index is None else f"artifacts[{index}]"
    if not isinstance(item, dict):
        raise InvalidInput(f"{where} must be an object with platform, url, size and sha256",
                           field="artifacts")
    unknown = set(item) - {"platform", "url", "size", "sha256", "signature"}
    if unknown:
        raise InvalidInput(f"{where} has unknown field(s): {', '.join(sorted(unknown))}",
                           field="artifacts")
    platform = parse_platform(item.get("platform"), f"{where}.platform")
    url = item.get("url")
    if not isinstance(url, str) or not URL_RE.match(url) or len(url) > 2000:
        raise InvalidInput(f"{where}.url must be an absolute http(s) URL", field="artifacts")
    size = item.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0 or size > 2**53:
        raise InvalidInput(f"{where}.size must be the file's size in bytes", field="artifacts")
    sha = item.get("sha256")
    if not isinstance(sha, str) or not SHA256_RE.match(sha.lower()):
        raise InvalidInput(f"{where}.sha256 must be 64 hexadecimal characters",
                           field="artifacts")
    signature = item.get("signature")
    if signature is not None:
        signature = parse_signature(signature, f"{where}.signature")
    return ArtifactInput(platform=platform, url=url, size=size, sha256=sha.lower(),
                         signature=signature)


def _require_signature(product: Product, signature: str | None, platform: str) -> None:
    if product.active_signing_keys and signature is None:
        raise BadSignature(f"{product.slug} has signing keys, so the {platform} artifact needs "
                           "a base64 Ed25519 signature of the file", field="signature")


def release_to_dict(release: Release, base_url: str) -> dict[str, Any]:
    slug = release.product.slug
    return {
        "version": release.version,
        "channel": release.channel,
        "notes": release.notes,
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


def download_path(artifact: Artifact) -> str:
    release = artifact.release
    return (f"/downloads/{release.product.slug}/{release.version}/{artifact.platform}/"
            f"{artifact.filename}")


def artifact_url(artifact: Artifact, base_url: str) -> str:
    return artifact.url if artifact.url else base_url + download_path(artifact)


def artifact_to_dict(artifact: Artifact, base_url: str) -> dict[str, Any]:
    return {"platform": artifact.platform, "url": artifact_url(artifact, base_url),
            "size": artifact.size, "sha256": artifact.sha256, "signature": artifact.signature,
            "uploaded": artifact.storage_path is not None}


def _snapshot(release: Release) -> dict[str, Any]:
    return {
        "version": release.version, "channel": release.channel, "notes": release.notes,
        "critical": release.critical, "draft": release.draft, "yanked": release.yanked,
        "yank_reason": release.yank_reason, "publish_at": rfc3339(release.publish_at),
        "published_at": rfc3339(release.published_at),
        "artifacts": {a.platform: a.sha256 for a in release.artifacts},
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
        rows = [r for r in rows if not r.draft and r.published_at is not None
                and (r.publish_at is None or r.publish_at <= now)]
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
        stored = {(a.platform, a.url, a.size, a.sha256, a.signature) for a in release.artifacts}
        wanted = {(a.platform, a.url, a.size, a.sha256, a.signature) for a in artifacts}
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
    critical = _bool(data.get("critical", False), "critical")
    draft = _bool(data.get("draft", False), "draft")
    publish_at = parse_rfc3339(data.get("publish_at"), "publish_at")
    artifacts: list[ArtifactInput] | None = None
    if "artifacts" in data:
        if not isinstance(data["artifacts"], list):
            raise InvalidInput("artifacts must be a list", field="artifacts")
        artifacts = [parse_artifact(item, i) for i, item in enumerate(data["artifacts"])]
        platforms = [a.platform for a in artifacts]
        if len(set(platforms)) != len(platforms):
            raise InvalidInput("artifacts lists a platform twice", field="artifacts")
        for a in artifacts:
            _require_signature(product, a.signature, a.platform)
    if not draft and not artifacts:
        raise InvalidInput("a published release needs at least one artifact: list them in "
                           "'artifacts', or create it with \"draft\": true, upload the files, "
                           "then publish", field="artifacts")

    existing = _find(session, product, version_key(version))
    if existing is None:
        release = Release(product_id=product.id, version=str(version),
                          version_key=version_key(version), channel=channel, notes=notes,
                          critical=critical, draft=draft, publish_at=publish_at,
                          published_at=None if draft else (publish_at or utcnow()))
        release.artifacts = [Artifact(platform=a.platform, url=a.url, size=a.size,
                                      sha256=a.sha256, signature=a.signature)
                             for a in artifacts or []]
        _apply_rollout_fields(release, data, utcnow())
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
            audit.record(session, vendor_id=actor.vendor_id, actor=actor.label,
                         action="release.create", object_type="release",
                         object_key=f"{product.slug}/{release.version}",
                         after=_snapshot(release))
            session.commit()
            return release, True
    if _matches_retry(existing, data, channel, notes, critical, draft, artifacts, publish_at):
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
                   changes: dict[str, Any]) -> Release:
    actor.require("publisher")
    unknown = set(changes) - PATCH_FIELDS
    if unknown:
        raise InvalidInput(f"unknown or read-only field(s): {', '.join(sorted(unknown))}")
    before = _snapshot(release)
    now = utcnow()
    if "notes" in changes:
        release.notes = _notes(changes["notes"])
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
    _apply_rollout_fields(release, changes, now)
    if "yanked" in changes:
        release.yanked = _bool(changes["yanked"], "yanked")
        if release.yanked:
            reason = changes.get("yank_reason")
            if reason is not None and (not isinstance(reason, str) or len(reason) > 2000):
                raise InvalidInput("yank_reason must be text of at most 2000 characters",
                                   field="yank_reason")
            release.yank_reason = reason or release.yank_reason
        else:
            release.yank_reason = None
    elif "yank_reason" in changes:
        if not release.yanked:
            raise InvalidInput("yank_reason only applies to a yanked release",
                               field="yank_reason")
        reason = changes["yank_reason"]
        if not isinstance(reason, str) or len(reason) > 2000:
            raise InvalidInput("yank_reason must be text of at most 2000 characters",
                               field="yank_reason")
        release.yank_reason = reason
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
    session.commit()
    return release


def _existing_artifact(release: Release, platform: str) -> Artifact | None:
    return next((a for a in release.artifacts if a.platform == platform), None)


def _guard_replace(release: Release, platform: str, same: bool) -> Artifact | None:
    """Returns the artifact to replace (drafts only) or None; raises when a published
    release would have its file swapped."""
    existing = _existing_artifact(release, platform)
    if existing is None or same:
        return existing
    if not release.draft:
        raise ArtifactImmutable(
            f"{release.version} is published and already has a {platform} artifact; published "
            "files never change under clients that may have cached their sha256. Yank this "
            "release and publish a new version instead.", field="platform")
    return existing


def add_external_artifact(session: Session, actor: Actor, release: Release,
                          data: dict[str, Any]) -> tuple[Artifact, bool]:
    actor.require("publisher")
    item = parse_artifact(data)
    _require_signature(release.product, item.signature, item.platform)
    existing = _existing_artifact(release, item.platform)
    same = existing is not None and (existing.url, existing.size, existing.sha256,
                                     existing.signature) == (item.url, item.size, item.sha256,
                                                             item.signature)
    if same:
        assert existing is not None
        return existing, False
    old = _guard_replace(release, item.platform, same)
    if old is not None:
        release.artifacts.remove(old)
        session.flush()
    artifact = Artifact(platform=item.platform, url=item.url, size=item.size,
                        sha256=item.sha256, signature=item.signature)
    release.artifacts.append(artifact)
    return _finish_artifact(session, actor, release, artifact, old), True


def upload_artifact(session: Session, actor: Actor, release: Release, store: ArtifactStore, *,
                    platform: object, stream: IO[bytes], filename: str | None,
                    signature: object, max_bytes: int) -> tuple[Artifact, bool]:
    """Streams an upload to disk while hashing it, checks the signature against the
    product's keys, and only then points the database at the file."""
    actor.require("publisher")
    platform = parse_platform(platform)
    sig = parse_signature(signature) if signature not in (None, "") else None
    _require_signature(release.product, sig, platform)
    existing = _existing_artifact(release, platform)
    if existing is not None and not release.draft and existing.storage_path is None:
        _guard_replace(release, platform, same=False)
    staged = store.stage(stream, max_bytes)
    try:
        keys = [k.public_key for k in release.product.active_signing_keys]
        if sig is not None and keys and not verify_file(staged.path, sig, keys):
            raise BadSignature(f"the signature does not verify the uploaded {platform} file "
                               f"with any of {release.product.slug}'s signing keys",
                               field="signature")
        same = existing is not None and (existing.sha256, existing.size) == (
            staged.sha256, staged.size) and (existing.signature == sig or sig is None)
        if same:
            assert existing is not None
            store.discard(staged)
            return existing, False
        old = _guard_replace(release, platform, same)
        name = secure_filename(filename or "") or f"{release.product.slug}-{release.version}.bin"
        relative = (f"{release.product.slug}/{release.version_key}/{platform}/"
                    f"{staged.sha256[:16]}/{name}")
        store.commit(staged, relative)
    except BaseException:
        store.discard(staged)
        raise
    if old is not None:
        release.artifacts.remove(old)
        session.flush()
    artifact = Artifact(platform=platform, url=None, storage_path=relative, filename=name,
                        size=staged.size, sha256=staged.sha256, signature=sig)
    release.artifacts.append(artifact)
    try:
        result = _finish_artifact(session, actor, release, artifact, old)
    except BaseException:
        session.rollback()
        store.remove(relative)
        raise
    if old is not None and old.storage_path and old.storage_path != relative:
        store.remove(old.storage_path)
    return result, True


def _finish_artifact(session: Session, actor: Actor, release: Release, artifact: Artifact,
                     replaced: Artifact | None) -> Artifact:
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ArtifactImmutable(f"another request added a {artifact.platform} artifact to "
                                f"{release.version} at the same time; retry",
                                field="platform") from None
    if not release.draft:
        bump_catalog(session, release.product_id)
    audit.record(session, vendor_id=actor.vendor_id, actor=actor.label,
                 action="artifact.replace" if replaced else "artifact.add",
                 object_type="release", object_key=f"{release.product.slug}/{release.version}",
                 before={"platform": artifact.platform, "sha256": replaced.sha256}
                 if replaced else None,
                 after={"platform": artifact.platform, "sha256": artifact.sha256,
                        "size": artifact.size, "uploaded": artifact.storage_path is not None})
    session.commit()
    return artifact


def find_download(session: Session, product_slug: str, version: str,
                  platform: str) -> Artifact | None:
    try:
        key = version_key(parse_version(version))
    except InvalidInput:
        return None
    return session.scalar(
        sa.select(Artifact).join(Release).join(Product)
        .where(Product.slug == product_slug, Release.version_key == key,
               Artifact.platform == platform, Artifact.storage_path.is_not(None)))


def _percent(value: object, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        raise InvalidInput(f"{field} must be a whole number from 0 to 100", field=field)
    return value


def parse_ramp(value: object, start: Any) -> list[tuple[int, Any]]:
    """[{"percent": 5, "after_hours": 0}, {"percent": 100, "at": "2026-12-01T09:00:00Z"}]
    → [(percent, due_at)], percentages and times increasing."""
    import datetime as dt

    if not isinstance(value, list) or len(value) > MAX_RAMP_STEPS:
        raise InvalidInput(f"ramp must be a list of at most {MAX_RAMP_STEPS} steps such as "
                           '{"percent": 25, "after_hours": 24}', field="ramp")
    steps: list[tuple[int, Any]] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) - {"percent", "after_hours", "at"} or \
                ("after_hours" in item) == ("at" in item):
            raise InvalidInput(f"ramp[{i}] needs percent and either after_hours or at",
                               field="ramp")
        percent = _percent(item.get("percent"), f"ramp[{i}].percent")
        if "at" in item:
            due = parse_rfc3339(item["at"], f"ramp[{i}].at")
        else:
            hours = item["after_hours"]
            if not isinstance(hours, int | float) or isinstance(hours, bool) or \
                    not 0 <= hours <= 24 * 365:
                raise InvalidInput(f"ramp[{i}].after_hours must be 0 to 8760", field="ramp")
            due = start + dt.timedelta(hours=hours)
        if steps and (percent < steps[-1][0] or due < steps[-1][1]):
            raise InvalidInput("ramp steps must go up in percent and forward in time",
                               field="ramp")
        steps.append((percent, due))
    return steps


def _apply_rollout_fields(release: Release, data: dict[str, Any], now: Any) -> None:
    if "rollout_percent" in data:
        percent = _percent(data["rollout_percent"], "rollout_percent")
        release.rollout_percent = percent
    if "paused" in data:
        release.paused = _bool(data["paused"], "paused")
        release.paused_reason = None
    if "min_upgrade_from" in data:
        value = data["min_upgrade_from"]
        release.min_upgrade_from = (None if value in (None, "") else
                                    str(parse_version(value, "min_upgrade_from")))
        if release.min_upgrade_from and parse_version(release.min_upgrade_from) >= \
                parse_version(release.version):
            raise InvalidInput("min_upgrade_from must be below the release's own version",
                               field="min_upgrade_from")
    if "ramp" in data:
        start = max(now, release.publish_at) if release.publish_at else now
        steps = parse_ramp(data["ramp"], start)
        # A new plan replaces the steps still to come; applied ones stay as history.
        release.ramp_steps = [s for s in release.ramp_steps if s.applied_at is not None]
        for percent, due in steps:
            step = RampStep(percent=percent, due_at=due)
            if due <= now and not release.paused:
                release.rollout_percent = percent  # steps increase: the last due one wins
                step.applied_at = now
            release.ramp_steps.append(step)


def set_emergency_stop(session: Session, actor: Actor, product: Product, channel: str,
                       stop: bool, reason: str = "") -> bool:
    """Stops (or resumes) every offer on a product's channel. Returns whether a stop is in
    force afterwards."""
    actor.require("publisher")
    if channel not in product.channels:
        raise ReleaseNotFound(f"{product.slug} has no channel {channel!r}")
    if not isinstance(reason, str) or len(reason) > 2000:
        raise InvalidInput("reason must be text of at most 2000 characters", field="reason")
    existing = session.scalar(sa.select(EmergencyStop).where(
        EmergencyStop.product_id == product.id, EmergencyStop.channel == channel))
    if stop and existing is None:
        session.add(EmergencyStop(product_id=product.id, channel=channel, reason=reason,
                                  created_by=actor.label))
    elif not stop and existing is not None:
        session.delete(existing)
    else:
        return stop  # already as asked: idempotent
    try:
        session.flush()
    except IntegrityError:
        session.rollback()  # a concurrent stop won: the state is as asked
        return stop
    bump_catalog(session, product.id)
    audit.record(session, vendor_id=actor.vendor_id, actor=actor.label,
                 action="channel.stop" if stop else "channel.resume", object_type="channel",
                 object_key=f"{product.slug}/{channel}", before={"stopped": not stop},
                 after={"stopped": stop, "reason": reason} if stop else {"stopped": False})
    session.commit()
    return stop


def emergency_stops(session: Session, product: Product) -> list[EmergencyStop]:
    return list(session.scalars(sa.select(EmergencyStop).where(
        EmergencyStop.product_id == product.id).order_by(EmergencyStop.channel)))

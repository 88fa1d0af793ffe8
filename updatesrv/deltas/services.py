"""Planning, building and cleaning binary deltas; called by the scheduler (never by a web
request: a build takes seconds to minutes). Rows are claimed by a conditional UPDATE, so
two schedulers never build the same patch at once, and a crash mid-build leaves a claim
that expires and is taken again."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from packaging.version import Version
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from ..db import write_intent
from ..products.models import Product
from ..products.services import bump_catalog
from ..releases.models import Artifact, Release
from ..storage import FileStorage
from ..storage.interface import DELTAS_PREFIX
from ..updates import rules
from .errors import DeltaError
from .models import Delta
from .patching import ALGORITHM, apply_patch, build_patch

log = logging.getLogger(__name__)

# A build claimed longer ago than this is taken to have died with its scheduler.
CLAIM_EXPIRES = dt.timedelta(hours=1)
# The files the check offers (updates/catalog.py KIND_PREFERENCE without Velopack deltas).
PATCHED_KINDS = ("full", "installer")


@dataclass(frozen=True)
class DeltaSettings:
    from_releases: int = 3
    max_share: float = 0.5
    max_file_bytes: int = 512 * 1024**2
    level: int = 3
    new_release_days: int = 30

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DeltaSettings:
        return cls(from_releases=int(config.get("DELTA_FROM_RELEASES", 3)),
                   max_share=float(config.get("DELTA_MAX_SHARE", 0.5)),
                   max_file_bytes=int(config.get("DELTA_MAX_FILE_BYTES", 512 * 1024**2)),
                   level=int(config.get("DELTA_LEVEL", 3)),
                   new_release_days=int(config.get("DELTA_NEW_RELEASE_DAYS", 30)))


def delta_key(sha256: str) -> str:
    """Content-addressed: the same patch bytes are stored once, under their digest."""
    return f"{DELTAS_PREFIX}{sha256[:2]}/{sha256}.zst"


def _offered(artifacts: Iterable[Artifact]) -> dict[str, Artifact]:
    """Per platform, the uploaded file the check offers (full before installer)."""
    chosen: dict[str, Artifact] = {}
    for a in sorted(artifacts, key=lambda a: PATCHED_KINDS.index(a.kind)
                    if a.kind in PATCHED_KINDS else len(PATCHED_KINDS)):
        if a.kind in PATCHED_KINDS:
            chosen.setdefault(a.platform, a)
    return {p: a for p, a in chosen.items() if a.storage_path is not None}


def plan_deltas(session: Session, settings: DeltaSettings, now: dt.datetime) -> int:
    """Adds a pending row for each patch a recently published release should have: from
    the same platform's offered file of each of the ``from_releases`` newest earlier
    published, non-yanked releases. Returns how many rows were added."""
    if settings.from_releases <= 0:
        return 0
    since = now - dt.timedelta(days=settings.new_release_days)
    targets = session.scalars(sa.select(Release).where(
        Release.draft.is_(False), Release.yanked.is_(False),
        Release.published_at.is_not(None), Release.published_at >= since)).all()
    added = 0
    for target in targets:
        if not rules.release_public(target.draft, target.published_at, target.publish_at, now):
            continue
        earlier = [r for r in session.scalars(sa.select(Release).where(
            Release.product_id == target.product_id, Release.id != target.id,
            Release.draft.is_(False), Release.yanked.is_(False),
            Release.published_at.is_not(None)))
            if Version(r.version) < Version(target.version)]
        earlier.sort(key=lambda r: Version(r.version), reverse=True)
        for platform, new in _offered(target.artifacts).items():
            if new.size > settings.max_file_bytes:
                continue
            bases = [b for b in (_offered(r.artifacts).get(platform) for r in earlier)
                     if b is not None and b.size <= settings.max_file_bytes]
            for base in bases[: settings.from_releases]:
                added += _add_row(session, target.product_id, base, new)
    return added


def _add_row(session: Session, product_id: int, base: Artifact, new: Artifact) -> int:
    exists = session.scalar(sa.select(Delta.id).where(
        Delta.from_artifact_id == base.id, Delta.to_artifact_id == new.id))
    if exists is not None:
        return 0
    try:
        with session.begin_nested():  # another scheduler may add the same row
            session.add(Delta(product_id=product_id, from_artifact_id=base.id,
                              to_artifact_id=new.id, from_sha256=base.sha256,
                              to_sha256=new.sha256, algorithm=ALGORITHM, state="pending"))
    except IntegrityError:
        return 0
    return 1


def claim_next(session_factory: Callable[[], Session], now: dt.datetime) -> int | None:
    """Takes one pending row (or one whose build claim expired); None when none is left."""
    while True:
        with session_factory() as session, write_intent():
            candidate = session.scalar(sa.select(Delta.id).where(sa.or_(
                Delta.state == "pending",
                sa.and_(Delta.state == "building",
                        Delta.claimed_at < now - CLAIM_EXPIRES))).order_by(Delta.id).limit(1))
            if candidate is None:
                return None
            claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                sa.update(Delta).where(Delta.id == candidate, sa.or_(
                    Delta.state == "pending",
                    sa.and_(Delta.state == "building",
                            Delta.claimed_at < now - CLAIM_EXPIRES)))
                .values(state="building", claimed_at=now))
            session.commit()
            if claimed.rowcount == 1:
                return candidate


def build_one(session_factory: Callable[[], Session], store: FileStorage, delta_id: int,
              settings: DeltaSettings, now: dt.datetime) -> str:
    """Builds a claimed row's patch outside any transaction, checks that applying it
    rebuilds the new file exactly, stores it, and records the outcome (its state)."""
    with session_factory() as session:
        delta = session.get(Delta, delta_id)
        if delta is None:
            return "gone"
        base, new = session.get(Artifact, delta.from_artifact_id), session.get(
            Artifact, delta.to_artifact_id)
        if (base is None or new is None or base.storage_path is None
                or new.storage_path is None or base.sha256 != delta.from_sha256
                or new.sha256 != delta.to_sha256):
            session.delete(delta)  # a file was replaced or removed: plan again
            session.commit()
            return "gone"
        base_key, new_key, new_size = base.storage_path, new.storage_path, new.size
    outcome: dict[str, Any]
    try:
        with tempfile.TemporaryDirectory(dir=_scratch(store)) as folder:
            work = Path(folder)
            _fetch(store, base_key, work / "base", delta.from_sha256)
            _fetch(store, new_key, work / "new", delta.to_sha256)
            sha256 = build_patch(work / "base", work / "new", work / "patch", settings.level)
            if apply_patch(work / "base", work / "patch", work / "check") != delta.to_sha256:
                raise DeltaError("the patch does not rebuild the new file")
            size = (work / "patch").stat().st_size
            if size > settings.max_share * new_size:
                outcome = {"state": "skipped", "size": size, "sha256": sha256}
            else:
                key = delta_key(sha256)
                if not store.exists(key):
                    store.put_file(work / "patch", key)
                outcome = {"state": "ready", "size": size, "sha256": sha256,
                           "storage_path": key}
    except (DeltaError, OSError, ValueError) as error:
        log.warning("delta %d not built: %s", delta_id, error)
        outcome = {"state": "failed", "error": str(error)[:2000]}
    with session_factory() as session, write_intent():
        updated: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            sa.update(Delta).where(Delta.id == delta_id, Delta.state == "building",
                                   Delta.claimed_at == now)
            .values(built_at=now, **outcome))
        if updated.rowcount == 1 and outcome["state"] == "ready":
            bump_catalog(session, _product_of(session, delta_id))
        session.commit()
    return str(outcome["state"])


def _product_of(session: Session, delta_id: int) -> int:
    return int(session.scalar(sa.select(Delta.product_id).where(Delta.id == delta_id)) or 0)


def _scratch(store: FileStorage) -> Path:
    store.staging.mkdir(parents=True, exist_ok=True)
    return store.staging


def _fetch(store: FileStorage, key: str, target: Path, sha256: str) -> None:
    import hashlib

    digest = hashlib.sha256()
    try:
        with store.open(key) as source, open(target, "wb") as sink:
            while chunk := source.read(1024 * 1024):
                digest.update(chunk)
                sink.write(chunk)
    except FileNotFoundError as error:
        raise DeltaError(f"{key} is missing from the storage") from error
    if digest.hexdigest() != sha256:
        raise DeltaError(f"{key} in the storage does not match its sha256")


def clean_deltas(session_factory: Callable[[], Session], store: FileStorage) -> int:
    """Drops the patches to yanked releases and those whose files changed, and deletes
    stored patch bytes no row names any more (deltas of deleted releases go with their
    artifact rows). Patches from a yanked release stay: its installs must leave fast."""
    removed_keys: set[str] = set()
    with session_factory() as session, write_intent():
        target = aliased(Artifact)
        base = aliased(Artifact)
        stale = session.execute(
            sa.select(Delta.id, Delta.storage_path, Delta.product_id, Delta.state)
            .join(target, target.id == Delta.to_artifact_id)
            .join(base, base.id == Delta.from_artifact_id)
            .join(Release, Release.id == target.release_id)
            .where(sa.or_(Release.yanked.is_(True), target.sha256 != Delta.to_sha256,
                          base.sha256 != Delta.from_sha256))).all()
        if stale:
            session.execute(sa.delete(Delta).where(Delta.id.in_([s.id for s in stale])))
            for product_id in {s.product_id for s in stale if s.state == "ready"}:
                bump_catalog(session, product_id)
            removed_keys.update(s.storage_path for s in stale if s.storage_path)
        session.commit()
    return len(stale) + remove_unnamed_patches(session_factory, store, removed_keys)


def remove_unnamed_patches(session_factory: Callable[[], Session], store: FileStorage,
                           keys: set[str]) -> int:
    removed = 0
    with session_factory() as session:
        named = set(session.scalars(sa.select(Delta.storage_path).where(
            Delta.storage_path.in_(keys)))) if keys else set()
    for key in keys - named:
        with contextlib.suppress(FileNotFoundError):
            store.delete(key)
            removed += 1
    return removed


def named_patch_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of these storage keys a delta row names (housekeeping keeps those)."""
    return set(k for k in session.scalars(sa.select(Delta.storage_path).where(
        Delta.storage_path.in_(keys))) if k)


def ready_patch_key(session: Session, product_slug: str, sha256: str) -> str | None:
    """The storage key of a built, offered delta of this product, by its sha256."""
    return session.scalar(
        sa.select(Delta.storage_path).join(Product, Product.id == Delta.product_id)
        .where(Product.slug == product_slug, Delta.sha256 == sha256.lower(),
               Delta.state == "ready").limit(1))


def run_deltas(session_factory: Callable[[], Session], store: FileStorage,
               settings: DeltaSettings, now: dt.datetime, max_builds: int = 4) -> dict[str, int]:
    """One scheduler pass: clean, plan, then build up to ``max_builds`` patches."""
    done = {"deltas_cleaned": clean_deltas(session_factory, store)}
    with session_factory() as session, write_intent():
        done["deltas_planned"] = plan_deltas(session, settings, now)
        session.commit()
    built = 0
    for _ in range(max_builds):
        delta_id = claim_next(session_factory, now)
        if delta_id is None:
            break
        build_one(session_factory, store, delta_id, settings, now)
        built += 1
    done["deltas_built"] = built
    return done

"""A release's files: listed by URL (external) or uploaded and stored here; immutable once
the release is published."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from ..accounts.services import Actor
from ..audit import services as audit
from ..errors import InvalidInput
from ..products.models import Product
from ..products.platforms import require_known
from ..products.services import bump_catalog
from ..signing import parse_signature, verify_bytes, verify_file
from ..storage import FileStorage, StagedFile
from ..trust.manifest import release_manifest
from ..versions import parse_platform, parse_version, version_key
from .artifact_meta import ArtifactMeta, parse_kind, parse_meta, parse_minisign
from .errors import ArtifactImmutable, BadSignature
from .models import Artifact, Release

SHA256_RE = re.compile(r"^[0-9a-f]{64}\Z")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*\Z", re.IGNORECASE)


@dataclass(frozen=True)
class ArtifactInput:
    platform: str
    url: str
    size: int
    sha256: str
    signature: str | None
    manifest_signature: str | None = None
    meta: ArtifactMeta = field(default_factory=ArtifactMeta)


def parse_artifact(item: object, index: int | None = None) -> ArtifactInput:
    where = "artifact" if index is None else f"artifacts[{index}]"
    if not isinstance(item, dict):
        raise InvalidInput(f"{where} must be an object with platform, url, size and sha256",
                           field="artifacts")
    unknown = set(item) - {"platform", "url", "size", "sha256", "signature",
                           "manifest_signature", "kind", "sha512", "sha1",
                           "minisign_signature"}
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
    manifest_signature = item.get("manifest_signature")
    if manifest_signature is not None:
        manifest_signature = parse_signature(manifest_signature, f"{where}.manifest_signature")
    return ArtifactInput(platform=platform, url=url, size=size, sha256=sha.lower(),
                         signature=signature, manifest_signature=manifest_signature,
                         meta=parse_meta(item, where))


def require_sha512(product: Product, item: ArtifactInput) -> None:
    # electron-updater refuses a file it cannot check, and we cannot hash a file we do
    # not hold: the vendor states it.
    if "electron" in (product.feed_formats or []) and item.meta.sha512 is None:
        raise InvalidInput(f"{product.slug} serves the electron-updater feed, which verifies "
                           f"sha512: give the {item.platform} file's sha512 (hex or base64, "
                           "as electron-builder prints it)", field="sha512")


def require_signature(product: Product, signature: str | None, platform: str,
                      manifest_signature: str | None = None) -> None:
    if product.active_signing_keys and signature is None and manifest_signature is None:
        raise BadSignature(f"{product.slug} has signing keys, so the {platform} artifact needs "
                           "a base64 Ed25519 signature of its manifest (manifest_signature) "
                           "or of the file (signature)", field="signature")


def verify_manifest_signature(product: Product, version: str, platform: str, size: int,
                              sha256: str, manifest_signature: str | None) -> None:
    """The manifest names this product, version, platform, size and sha256: a signature
    made for any other release does not verify here."""
    if manifest_signature is None:
        return
    keys = [k.public_key for k in product.active_signing_keys]
    if not keys:
        raise BadSignature(f"{product.slug} has no signing keys to verify manifest_signature "
                           "with; add the public key first (signing_keys)",
                           field="manifest_signature")
    manifest = release_manifest(product.slug, version, platform, size, sha256)
    if not verify_bytes(manifest, manifest_signature, keys):
        raise BadSignature(f"manifest_signature does not verify the manifest "
                           f"{manifest.decode()} with any of {product.slug}'s signing keys",
                           field="manifest_signature")


def check_input_signatures(product: Product, version: str, item: ArtifactInput) -> None:
    require_signature(product, item.signature, item.platform, item.manifest_signature)
    verify_manifest_signature(product, version, item.platform, item.size, item.sha256,
                              item.manifest_signature)


def download_path(artifact: Artifact) -> str:
    release = artifact.release
    return (f"/downloads/{release.product.slug}/{release.version}/{artifact.platform}/"
            f"{artifact.filename}")


def artifact_url(artifact: Artifact, base_url: str) -> str:
    return artifact.url if artifact.url else base_url + download_path(artifact)


def artifact_to_dict(artifact: Artifact, base_url: str) -> dict[str, Any]:
    return {"platform": artifact.platform, "kind": artifact.kind,
            "url": artifact_url(artifact, base_url),
            "size": artifact.size, "sha256": artifact.sha256, "signature": artifact.signature,
            "manifest_signature": artifact.manifest_signature,
            "sha512": artifact.sha512, "sha1": artifact.sha1,
            "minisign_signature": artifact.minisign_signature,
            "uploaded": artifact.storage_path is not None}


def artifact_from_input(a: ArtifactInput) -> Artifact:
    return Artifact(platform=a.platform, url=a.url, size=a.size, sha256=a.sha256,
                    signature=a.signature, manifest_signature=a.manifest_signature,
                    kind=a.meta.kind, sha512=a.meta.sha512, sha1=a.meta.sha1,
                    minisign_signature=a.meta.minisign_signature)


def artifact_identity(a: Artifact | ArtifactInput) -> tuple[object, ...]:
    if isinstance(a, ArtifactInput):
        return (a.platform, a.url, a.size, a.sha256, a.signature, a.manifest_signature,
                a.meta.kind, a.meta.sha512, a.meta.sha1, a.meta.minisign_signature)
    return (a.platform, a.url, a.size, a.sha256, a.signature, a.manifest_signature, a.kind,
            a.sha512, a.sha1, a.minisign_signature)


def _existing_artifact(release: Release, platform: str, kind: str = "full") -> Artifact | None:
    return next((a for a in release.artifacts if a.platform == platform and a.kind == kind),
                None)


def _guard_replace(release: Release, platform: str, same: bool,
                   kind: str = "full") -> Artifact | None:
    """Returns the artifact to replace (drafts only) or None; raises when a published
    release would have its file swapped."""
    existing = _existing_artifact(release, platform, kind)
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
    require_known(session, release.product, item.platform, "platform", allow_any=True)
    check_input_signatures(release.product, release.version, item)
    require_sha512(release.product, item)
    existing = _existing_artifact(release, item.platform, item.meta.kind)
    same = existing is not None and artifact_identity(existing) == artifact_identity(item)
    if same:
        assert existing is not None
        return existing, False
    old = _guard_replace(release, item.platform, same, item.meta.kind)
    if old is not None:
        release.artifacts.remove(old)
        session.flush()
    artifact = artifact_from_input(item)
    release.artifacts.append(artifact)
    return _finish_artifact(session, actor, release, artifact, old), True


MAX_FILENAME_BYTES = 200


def receive_upload(store: FileStorage, stream: IO[bytes], max_bytes: int) -> StagedFile:
    """Receives and hashes an upload into the staging folder. Call it with no database
    transaction open: a slow upload must never hold the write lock other vendors wait for."""
    staged = store.stage(stream, max_bytes)
    if staged.size == 0:
        store.discard(staged)
        raise InvalidInput("the file is empty (0 bytes): choose the real installer or archive",
                           field="file")
    return staged


def stored_filename(filename: str | None, release: Release) -> str:
    name = secure_filename(filename or "") or f"{release.product.slug}-{release.version}.bin"
    if len(name.encode()) > MAX_FILENAME_BYTES:
        raise InvalidInput(f"the file name is {len(name.encode())} bytes long; the limit is "
                           f"{MAX_FILENAME_BYTES}. Rename the file and upload it again.",
                           field="file")
    return name


def upload_artifact(session: Session, actor: Actor, release: Release, store: FileStorage, *,
                    platform: object, staged: StagedFile, filename: str | None,
                    signature: object, manifest_signature: object = None,
                    kind: object = None,
                    minisign_signature: object = None) -> tuple[Artifact, bool]:
    """Points the database at a file already received by ``receive_upload`` (consumed:
    moved into the store or discarded), after checking the signatures against the
    product's keys. Stored files are content-addressed and never deleted here: two identical
    uploads racing share one file, and a file no row names is removed later by housekeeping
    (scheduling/jobs.py), never while a row may still point at it."""
    try:
        return _upload(session, actor, release, store, platform, staged, filename, signature,
                       manifest_signature, kind, minisign_signature)
    finally:
        store.discard(staged)


def _upload(session: Session, actor: Actor, release: Release, store: FileStorage,
            platform_value: object, staged: StagedFile, filename: str | None,
            signature: object, manifest_signature: object, kind_value: object,
            minisign_signature: object) -> tuple[Artifact, bool]:
    actor.require("publisher")
    platform = require_known(session, release.product, platform_value, "platform",
                             allow_any=True)
    kind = parse_kind(kind_value)
    minisig = parse_minisign(minisign_signature)
    sig = parse_signature(signature) if signature not in (None, "") else None
    msig = (parse_signature(manifest_signature, "manifest_signature")
            if manifest_signature not in (None, "") else None)
    require_signature(release.product, sig, platform, msig)
    name = stored_filename(filename, release)
    existing = _existing_artifact(release, platform, kind)
    if existing is not None and not release.draft and existing.storage_path is None:
        _guard_replace(release, platform, False, kind)
    keys = [k.public_key for k in release.product.active_signing_keys]
    if sig is not None and keys and not verify_file(staged.path, sig, keys):
        raise BadSignature(f"the signature does not verify the uploaded {platform} file "
                           f"with any of {release.product.slug}'s signing keys",
                           field="signature")
    verify_manifest_signature(release.product, release.version, platform, staged.size,
                              staged.sha256, msig)
    if _same_upload(existing, staged, sig, msig) and (
            existing is not None and (existing.minisign_signature == minisig or minisig is None)):
        return _restore_file(store, existing, staged), False
    old = _guard_replace(release, platform, False, kind)
    relative = (f"{release.product.slug}/{release.version_key}/{platform}/"
                f"{'' if kind == 'full' else kind + '/'}"
                f"{staged.sha256[:16]}/{name}")
    relative = store.commit(staged, relative)
    if old is not None:
        release.artifacts.remove(old)
        session.flush()
    artifact = Artifact(platform=platform, url=None, storage_path=relative, filename=name,
                        size=staged.size, sha256=staged.sha256, signature=sig,
                        manifest_signature=msig, kind=kind, sha512=staged.sha512,
                        sha1=staged.sha1, minisign_signature=minisig)
    release.artifacts.append(artifact)
    try:
        result = _finish_artifact(session, actor, release, artifact, old)
    except ArtifactImmutable:
        # Another request stored this platform first (a CI retry, two pipelines). If it
        # stored the same bytes this is an identical retry: answer as one.
        winner = _existing_artifact(release, platform, kind)
        if winner is not None and (winner.sha256, winner.size) == (staged.sha256, staged.size):
            return _restore_file(store, winner, None), False
        raise
    if old is not None and old.storage_path and old.storage_path != relative:
        remove_if_unreferenced(session, store, old.storage_path)
    return result, True


def _same_upload(existing: Artifact | None, staged: StagedFile, sig: str | None,
                 msig: str | None) -> bool:
    return existing is not None and (existing.sha256, existing.size) == (
        staged.sha256, staged.size) and (existing.signature == sig or sig is None) and (
        existing.manifest_signature == msig or msig is None)


def _restore_file(store: FileStorage, artifact: Artifact,
                  staged: StagedFile | None) -> Artifact:
    """An identical re-upload puts back a stored file that has gone missing."""
    if (artifact.storage_path is not None and staged is not None and staged.path.is_file()
            and not store.exists(artifact.storage_path)):
        store.commit(staged, artifact.storage_path)
    return artifact


def remove_if_unreferenced(session: Session, store: FileStorage, relative: str) -> bool:
    """Deletes a stored file only when no committed row names it."""
    session.commit()
    if session.scalar(sa.select(sa.func.count()).select_from(Artifact)
                      .where(Artifact.storage_path == relative)):
        return False
    store.delete(relative)
    return True


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


def find_download(session: Session, product_slug: str, version: str, platform: str,
                  filename: str) -> Artifact | None:
    try:
        key = version_key(parse_version(version))
    except InvalidInput:
        return None
    return session.scalar(
        sa.select(Artifact).join(Release).join(Product)
        .where(Product.slug == product_slug, Release.version_key == key,
               Artifact.platform == platform, Artifact.filename == filename,
               Artifact.storage_path.is_not(None)))

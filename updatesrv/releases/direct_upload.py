"""Big files from CI straight into the bucket: the server starts a multipart upload and hands
out presigned part URLs; when the client says it is done, the server assembles the object,
reads it back (size, sha256, and the sha512/sha1 the feeds need) and only then treats it as
an upload like any other (signatures, rows). An upload it cannot verify is deleted, never
published. The state between the two calls lives in a signed token, not in the database."""

from __future__ import annotations

import dataclasses
import math
import uuid
from typing import Any

from itsdangerous import BadSignature as BadToken
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import Session

from ..accounts.services import Actor
from ..errors import InvalidInput
from ..products.platforms import require_known
from ..storage import FileStorage
from ..storage.interface import stage_to_file
from ..storage.s3 import INCOMING_PREFIX, S3Storage, content_key
from .artifact_meta import parse_kind
from .artifacts import SHA256_RE, stored_filename, upload_artifact
from .errors import DirectUploadUnsupported
from .models import Artifact, Release

# Part URLs stay valid this long; a token a little longer (the last part may finish late).
PART_URL_SECONDS = 6 * 3600
TOKEN_SECONDS = PART_URL_SECONDS + 3600
MIN_PART_BYTES = 16 * 1024 * 1024
MAX_PARTS = 10_000  # S3's limit


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="updatesrv.direct-upload")


def _bucket(store: FileStorage) -> S3Storage:
    if not isinstance(store, S3Storage):
        raise DirectUploadUnsupported(
            "this server keeps files in a directory, not in object storage: upload the file "
            "to .../artifacts as multipart/form-data instead", field="storage")
    return store


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string", field=name)
    return value or None


def begin_direct_upload(session: Session, actor: Actor, release: Release, store: FileStorage,
                        data: dict[str, Any], max_bytes: int, secret: str) -> dict[str, Any]:
    actor.require("publisher")
    bucket = _bucket(store)
    unknown = set(data) - {"platform", "filename", "size", "sha256", "kind", "signature",
                           "manifest_signature", "minisign_signature"}
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}", field="upload")
    platform = require_known(session, release.product, data.get("platform"), "platform",
                             allow_any=True)
    kind = parse_kind(data.get("kind"))
    size = data.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= max_bytes:
        raise InvalidInput(f"size must be the file's size in bytes, 1 to {max_bytes} "
                           "(MAX_UPLOAD_BYTES)", field="size")
    sha256 = data.get("sha256")
    if not isinstance(sha256, str) or not SHA256_RE.match(sha256.lower()):
        raise InvalidInput("sha256 must be 64 hexadecimal characters", field="sha256")
    filename = stored_filename(_text(data, "filename"), release)
    part_size = max(MIN_PART_BYTES, math.ceil(size / MAX_PARTS))
    key = INCOMING_PREFIX + uuid.uuid4().hex
    upload_id = bucket.begin_multipart(key)
    count = math.ceil(size / part_size)
    token = _serializer(secret).dumps({
        "release": release.id, "key": key, "upload_id": upload_id, "platform": platform,
        "kind": kind, "filename": filename, "size": size, "sha256": sha256.lower(),
        "parts": count, "signature": _text(data, "signature"),
        "manifest_signature": _text(data, "manifest_signature"),
        "minisign_signature": _text(data, "minisign_signature")})
    return {"token": token, "part_size": part_size, "expires_in": PART_URL_SECONDS,
            "parts": [{"part_number": n,
                       "url": bucket.part_url(key, upload_id, n, PART_URL_SECONDS)}
                      for n in range(1, count + 1)]}


def _parts(value: object, count: int) -> list[tuple[int, str]]:
    wanted = f"parts must list all {count} part(s) as {{part_number, etag}}, in order"
    if not isinstance(value, list) or len(value) != count:
        raise InvalidInput(wanted, field="parts")
    parts = []
    for number, item in enumerate(value, start=1):
        if (not isinstance(item, dict) or type(item.get("part_number")) is not int
                or item["part_number"] != number
                or not isinstance(item.get("etag"), str) or not item["etag"]
                or len(item["etag"]) > 200):
            raise InvalidInput(wanted, field="parts")
        parts.append((number, item["etag"]))
    return parts


def read_completion(release: Release, data: dict[str, Any], secret: str) -> dict[str, Any]:
    """The upload a completion request names (its token checked), with its parts."""
    try:
        upload: dict[str, Any] = _serializer(secret).loads(str(data.get("token") or ""),
                                                           max_age=TOKEN_SECONDS)
    except BadToken:
        raise InvalidInput("token is not one this server handed out for an upload, or it "
                           "has expired; begin a new upload", field="token") from None
    if upload["release"] != release.id:
        raise InvalidInput("token belongs to an upload for another release", field="token")
    return {**upload, "parts": _parts(data.get("parts"), upload["parts"])}


def finish_direct_upload(session: Session, actor: Actor, release: Release,
                         store: FileStorage, upload: dict[str, Any],
                         max_bytes: int) -> tuple[Artifact, bool]:
    """Call with no database transaction open: assembling and reading back a big object
    takes a while, and must not hold the write lock."""
    actor.require("publisher")
    bucket = _bucket(store)
    bucket.complete_multipart(upload["key"], upload["upload_id"], upload["parts"])
    try:
        with bucket.open(upload["key"]) as body:
            staged = stage_to_file(bucket.staging, body, max_bytes)
    except BaseException:
        bucket.delete(upload["key"])
        raise
    if (staged.size, staged.sha256) != (upload["size"], upload["sha256"]):
        bucket.discard(staged)
        bucket.delete(upload["key"])
        raise InvalidInput(
            f"the uploaded file could not be verified: the bucket holds {staged.size} bytes "
            f"with sha256 {staged.sha256}, but {upload['size']} bytes with sha256 "
            f"{upload['sha256']} were declared. Nothing was published; upload it again.",
            field="sha256")
    try:
        bucket.copy(upload["key"], content_key(staged.sha256))
    except BaseException:
        bucket.discard(staged)
        raise
    bucket.delete(upload["key"])
    return upload_artifact(
        session, actor, release, store, platform=upload["platform"],
        staged=dataclasses.replace(staged, key=content_key(staged.sha256)),
        filename=upload["filename"], signature=upload["signature"],
        manifest_signature=upload["manifest_signature"], kind=upload["kind"],
        minisign_signature=upload["minisign_signature"])

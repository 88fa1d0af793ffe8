"""Uploaded files in an S3-compatible bucket (AWS S3, MinIO, SeaweedFS, Garage, R2…) via
boto3, credentials from the standard AWS chain. Objects are keyed by their sha256, so an
object never changes once written; downloads are redirects to a short-lived presigned URL
or to a public (CDN) base URL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from ..errors import InvalidInput
from .errors import StorageUnavailable
from .interface import CHUNK, DELTAS_PREFIX, StagedFile, remove_old_files, stage_to_file

CONTENT_PREFIX = "sha256/"
INCOMING_PREFIX = "incoming/"
OWN_NAMESPACES = (CONTENT_PREFIX, INCOMING_PREFIX, DELTAS_PREFIX)


def content_key(sha256: str) -> str:
    return CONTENT_PREFIX + sha256


class S3Storage:

    def __init__(self, client: Any, bucket: str, prefix: str, staging: Path, *,
                 public_base_url: str | None = None, url_seconds: int = 300) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.staging = staging
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.url_seconds = url_seconds

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def object_key(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"storage key {key!r} escapes the prefix")
        return self.prefix + key

    # Receiving ------------------------------------------------------------------------

    def stage(self, stream: IO[bytes], max_bytes: int) -> StagedFile:
        """Hashes the upload into a local file, then streams it to its content key. The
        bucket receives the bytes here, while no database transaction is open; an
        identical object is written again (same bytes) so housekeeping sees it fresh."""
        staged = stage_to_file(self.staging, stream, max_bytes)
        key = content_key(staged.sha256)
        try:
            self.put_file(staged.path, key)
        except BaseException:
            staged.path.unlink(missing_ok=True)
            raise
        return StagedFile(path=staged.path, size=staged.size, sha256=staged.sha256,
                          sha512=staged.sha512, sha1=staged.sha1, key=key)

    def commit(self, staged: StagedFile, key: str) -> str:
        if staged.key is not None:
            return staged.key
        self.put_file(staged.path, key)
        return key

    def discard(self, staged: StagedFile) -> None:
        # Only the local copy: the object may already be named by another row, and one no
        # row names is removed by housekeeping.
        staged.path.unlink(missing_ok=True)

    def put_file(self, path: Path, key: str) -> None:
        size = path.stat().st_size
        try:
            # Managed transfer: multipart for big files, read from disk part by part.
            self.client.upload_file(str(path), self.bucket, self.object_key(key),
                                    ExtraArgs={"ContentType": "application/octet-stream"})
            stored = self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except _failures() as exc:
            raise self._unavailable("store a file in", exc) from exc
        if int(stored["ContentLength"]) != size:
            raise StorageUnavailable(f"{self.describe()} stored {stored['ContentLength']} "
                                     f"bytes of a {size} byte file; nothing was published")

    # Reading --------------------------------------------------------------------------

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def modified(self, key: str) -> float | None:
        head = self._head(key)
        return None if head is None else head["LastModified"].timestamp()

    def size(self, key: str) -> int | None:
        head = self._head(key)
        return None if head is None else int(head["ContentLength"])

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self.client.head_object(Bucket=self.bucket,
                                                           Key=self.object_key(key))
        except _failures() as exc:
            if hasattr(exc, "response") and _status(exc) == 404:
                return None
            raise self._unavailable("look up a file in", exc) from exc
        return head

    def open(self, key: str) -> IO[bytes]:
        try:
            body: IO[bytes] = self.client.get_object(Bucket=self.bucket,
                                                     Key=self.object_key(key))["Body"]
            return body
        except _failures() as exc:
            raise self._unavailable("read a file from", exc) from exc

    def read_range(self, key: str, start: int, stop: int) -> Iterator[bytes]:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key),
                                          Range=f"bytes={start}-{stop - 1}")["Body"]
            yield from body.iter_chunks(CHUNK)
        except _failures() as exc:
            raise self._unavailable("read a file from", exc) from exc

    def url(self, key: str, filename: str) -> str | None:
        if self.public_base_url:
            return f"{self.public_base_url}/{quote(self.object_key(key))}"
        ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "") or "download"
        url: str = self.client.generate_presigned_url(
            "get_object", ExpiresIn=self.url_seconds,
            Params={"Bucket": self.bucket, "Key": self.object_key(key),
                    "ResponseContentType": "application/octet-stream",
                    "ResponseContentDisposition":
                        f"attachment; filename=\"{ascii_name}\"; "
                        f"filename*=UTF-8''{quote(filename)}"})
        return url

    # Direct uploads (presigned multipart) -----------------------------------------------

    def begin_multipart(self, key: str) -> str:
        try:
            started = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.object_key(key),
                ContentType="application/octet-stream")
        except _failures() as exc:
            raise self._unavailable("start an upload in", exc) from exc
        return str(started["UploadId"])

    def part_url(self, key: str, upload_id: str, number: int, seconds: int) -> str:
        url: str = self.client.generate_presigned_url(
            "upload_part", ExpiresIn=seconds,
            Params={"Bucket": self.bucket, "Key": self.object_key(key), "UploadId": upload_id,
                    "PartNumber": number})
        return url

    def complete_multipart(self, key: str, upload_id: str,
                           parts: list[tuple[int, str]]) -> None:
        """Raises InvalidInput when the bucket refuses the parts as given (a missing or
        wrong ETag, an upload already completed or aborted)."""
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=self.object_key(key), UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag}
                                           for n, etag in parts]})
        except _failures() as exc:
            status = _status(exc) if hasattr(exc, "response") else None
            if status is not None and 400 <= status < 500 and status not in (401, 403):
                raise InvalidInput(
                    "the bucket refused to assemble the upload (a part is missing or its ETag "
                    "does not match, or the upload was already completed or has expired); "
                    "begin a new upload", field="parts") from exc
            raise self._unavailable("finish an upload in", exc) from exc

    def copy(self, source: str, target: str) -> None:
        try:
            # Managed copy: a multipart server-side copy for objects over 5 GB.
            self.client.copy({"Bucket": self.bucket, "Key": self.object_key(source)},
                             self.bucket, self.object_key(target))
        except _failures() as exc:
            raise self._unavailable("copy a file in", exc) from exc

    # Housekeeping ---------------------------------------------------------------------

    def entries(self) -> Iterator[tuple[str, float]]:
        """The keys this storage writes itself (content keys, direct uploads in progress):
        a bucket or prefix shared with anything else is never listed as ours, so
        housekeeping cannot remove what it did not write."""
        try:
            for namespace in OWN_NAMESPACES:
                pages = self.client.get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=self.prefix + namespace)
                for page in pages:
                    for item in page.get("Contents", []):
                        yield item["Key"][len(self.prefix):], item["LastModified"].timestamp()
        except _failures() as exc:
            raise self._unavailable("list the files in", exc) from exc

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        except _failures() as exc:
            raise self._unavailable("delete a file from", exc) from exc

    def remove_abandoned(self, older_than: float) -> int:
        """Multipart uploads begun before ``older_than`` and never completed (a CI job
        killed mid-upload) still hold their parts in the bucket: abort them."""
        removed = remove_old_files(self.staging, older_than)
        cutoff = dt.datetime.fromtimestamp(older_than, dt.UTC)
        try:
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for upload in page.get("Uploads", []):
                    if upload["Initiated"] < cutoff:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
                        removed += 1
        except _failures() as exc:
            raise self._unavailable("list unfinished uploads in", exc) from exc
        return removed

    def _unavailable(self, what: str, exc: Exception) -> StorageUnavailable:
        code = _status(exc) if hasattr(exc, "response") else None
        reason = f"HTTP {code}" if code else type(exc).__name__
        return StorageUnavailable(f"could not {what} the object storage {self.describe()} "
                                  f"({reason}); nothing was changed, try again shortly")


def _failures() -> tuple[type[Exception], ...]:
    """boto3's failures: an unreachable endpoint, refused credentials, server errors."""
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, Boto3Error)


def _status(exc: Any) -> int | None:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status else None


def client_for(endpoint_url: str | None, region: str | None) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise RuntimeError("ARTIFACT_STORAGE names an S3 bucket, which needs boto3: "
                           "pip install 'updatesrv[s3]'") from None

    config = Config(signature_version="s3v4", connect_timeout=5, read_timeout=60,
                    retries={"max_attempts": 3, "mode": "standard"},
                    # S3-compatible servers on a plain host name want path-style URLs.
                    s3={"addressing_style": "path" if endpoint_url else "auto"},
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required")
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url or None,
                                          region_name=region or None, config=config)

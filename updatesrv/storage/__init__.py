"""Where uploaded files live, chosen by one setting, ARTIFACT_STORAGE: unset or
``file:///path`` for a directory (ARTIFACTS_DIR when unset), ``s3://BUCKET/PREFIX`` for an
S3-compatible bucket (S3_ENDPOINT_URL, S3_REGION; credentials from the AWS chain)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .errors import StorageUnavailable
from .interface import FileStorage, StagedFile
from .local import DirectoryStorage

__all__ = ["DirectoryStorage", "FileStorage", "StagedFile", "StorageUnavailable",
           "open_storage"]


def open_storage(config: Mapping[str, Any], instance_path: str) -> FileStorage:
    setting = (config.get("ARTIFACT_STORAGE") or "").strip()
    if not setting:
        return DirectoryStorage(_local_path(str(config["ARTIFACTS_DIR"]), instance_path))
    parts = urlsplit(setting)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"ARTIFACT_STORAGE {setting!r}: write file:///absolute/path")
        return DirectoryStorage(_local_path(unquote(parts.path), instance_path))
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"ARTIFACT_STORAGE {setting!r}: write s3://BUCKET/PREFIX")
        from .s3 import S3Storage, client_for

        staging = _local_path(str(config.get("UPLOAD_STAGING_DIR") or "upload-staging"),
                              instance_path)
        return S3Storage(client_for(config.get("S3_ENDPOINT_URL"), config.get("S3_REGION")),
                         parts.netloc, unquote(parts.path), staging,
                         public_base_url=config.get("ARTIFACT_PUBLIC_BASE_URL") or None,
                         url_seconds=int(config.get("ARTIFACT_URL_SECONDS") or 300))
    raise ValueError(f"ARTIFACT_STORAGE {setting!r}: use file:///path or s3://BUCKET/PREFIX")


def _local_path(value: str, instance_path: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else Path(instance_path) / path

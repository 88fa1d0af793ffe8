"""ARTIFACT_STORAGE chooses the storage: unset or file:// for a directory (the default,
unchanged), s3://BUCKET/PREFIX for a bucket; anything else is refused with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from updatesrv.storage import DirectoryStorage, open_storage
from updatesrv.storage.s3 import S3Storage


def test_unset_is_the_artifacts_directory(tmp_path: Path):
    store = open_storage({"ARTIFACTS_DIR": "artifacts"}, str(tmp_path))
    assert isinstance(store, DirectoryStorage) and store.root == tmp_path / "artifacts"


def test_a_file_url_is_that_directory(tmp_path: Path):
    store = open_storage({"ARTIFACT_STORAGE": f"file://{tmp_path}/files",
                          "ARTIFACTS_DIR": "unused"}, "/elsewhere")
    assert isinstance(store, DirectoryStorage) and store.root == tmp_path / "files"


def test_an_s3_url_is_a_bucket_and_prefix(tmp_path: Path):
    store = open_storage({"ARTIFACT_STORAGE": "s3://updates/deploy/files",
                          "S3_ENDPOINT_URL": "http://127.0.0.1:9", "S3_REGION": "us-east-1",
                          "ARTIFACTS_DIR": "unused"}, str(tmp_path))
    assert isinstance(store, S3Storage)
    assert (store.bucket, store.prefix) == ("updates", "deploy/files/")
    assert store.object_key("sha256/ab") == "deploy/files/sha256/ab"
    assert store.staging == tmp_path / "upload-staging"
    with pytest.raises(ValueError, match="escapes"):
        store.object_key("../other")


@pytest.mark.parametrize("value", ["s3:///no-bucket", "ftp://host/x", "file://host/x"])
def test_anything_else_is_refused(value: str, tmp_path: Path):
    with pytest.raises(ValueError, match="ARTIFACT_STORAGE"):
        open_storage({"ARTIFACT_STORAGE": value, "ARTIFACTS_DIR": "a"}, str(tmp_path))

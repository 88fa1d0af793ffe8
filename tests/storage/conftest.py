"""The S3 backend against a real S3 server (tests/seaweed.py): every test here gets an app
whose ARTIFACT_STORAGE is a fresh private bucket, credentials from the AWS environment
variables (the standard chain)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class Bucket:
    """The session's bucket, and the folder in it that is this test's alone."""

    name: str
    root: str

    def key(self, key: str) -> str:
        return f"{self.root}/{key}"


@pytest.fixture(scope="session")
def session_bucket(seaweed: Any) -> str:
    name: str = seaweed.new_bucket()
    return name


@pytest.fixture
def bucket(session_bucket: str) -> Bucket:
    return Bucket(session_bucket, f"t{uuid.uuid4().hex[:16]}")


@pytest.fixture
def app_config(seaweed: Any, bucket: Bucket, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    for name, value in seaweed.credentials_env().items():
        monkeypatch.setenv(name, value)
    return {"ARTIFACT_STORAGE": f"s3://{bucket.name}/{bucket.root}/updates",
            "S3_ENDPOINT_URL": seaweed.endpoint, "S3_REGION": "us-east-1"}


def objects(seaweed: Any, bucket: Bucket) -> dict[str, bytes]:
    """Everything in this test's folder of the bucket, by key under it."""
    client = seaweed.client()
    listed = client.list_objects_v2(Bucket=bucket.name, Prefix=bucket.root + "/").get(
        "Contents", [])
    return {item["Key"].removeprefix(bucket.root + "/"):
            client.get_object(Bucket=bucket.name, Key=item["Key"])["Body"].read()
            for item in listed}

"""The S3 backend against a real S3 server (tests/seaweed.py): every test here gets an app
whose ARTIFACT_STORAGE is a fresh private bucket, credentials from the AWS environment
variables (the standard chain)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def bucket(seaweed: Any) -> str:
    name: str = seaweed.new_bucket()
    return name


@pytest.fixture
def app_config(seaweed: Any, bucket: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    for name, value in seaweed.credentials_env().items():
        monkeypatch.setenv(name, value)
    return {"ARTIFACT_STORAGE": f"s3://{bucket}/updates", "S3_ENDPOINT_URL": seaweed.endpoint,
            "S3_REGION": "us-east-1"}


def objects(seaweed: Any, bucket: str) -> dict[str, bytes]:
    client = seaweed.client()
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for item in listed}

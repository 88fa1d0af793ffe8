"""The production topology on object storage: nginx in front of three `updatesrv serve`
processes that share nothing but the database and a bucket on a real S3 server (SeaweedFS).
A file uploaded through nginx to any host is downloaded through any other: the web host
decides and redirects to the bucket, Range goes along, several ranges are answered as
multipart/byteranges; a web process killed mid-traffic still costs no client a check."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from ..storage.conftest import Bucket, objects
from ..storage.conftest import app_config as app_config  # the app itself uploads to the bucket
from ..storage.conftest import bucket as bucket
from ..storage.conftest import session_bucket as session_bucket
from ..storage.test_s3_downloads import parts_of
from .conftest import Topology, running_topology
from .test_topology import (
    test_a_web_process_killed_mid_traffic_fails_no_check as test_killed_backend_on_a_bucket,
)

pytestmark = pytest.mark.live

__all__ = ["test_killed_backend_on_a_bucket"]


@pytest.fixture
def topology(app: Any, tmp_path: Path, seaweed: Any, bucket: Bucket) -> Iterator[Topology]:
    with running_topology(app, tmp_path, {
            **seaweed.credentials_env(),
            "UPDATESRV_ARTIFACT_STORAGE": app.config["ARTIFACT_STORAGE"],
            "UPDATESRV_S3_ENDPOINT_URL": seaweed.endpoint,
            "UPDATESRV_S3_REGION": "us-east-1"}) as top:
        yield top


def test_files_go_through_the_bucket_not_through_a_shared_directory(app, api, product,
                                                                     seaweed, bucket,
                                                                     topology):
    payload = bytes(range(256)) * 5000
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {api.token}"
    assert session.post(topology.url + "/api/v1/products/ledgerly/releases",
                        json={"version": "1.0", "draft": True}, timeout=30).status_code == 201
    uploaded = session.post(topology.url + "/api/v1/products/ledgerly/releases/1.0/artifacts",
                            data={"platform": "linux-x86_64"},
                            files={"file": ("ledgerly.tar.gz", io.BytesIO(payload))},
                            timeout=60)
    assert uploaded.status_code == 201, uploaded.text
    sha256 = hashlib.sha256(payload).hexdigest()
    assert objects(seaweed, bucket) == {f"updates/sha256/{sha256}": payload}
    assert not any(Path(app.config["ARTIFACTS_DIR"]).rglob("*.*"))  # nothing on a shared disk
    assert session.patch(topology.url + "/api/v1/products/ledgerly/releases/1.0",
                         json={"draft": False}, timeout=30).status_code == 200

    url = topology.url + "/downloads/ledgerly/1.0/linux-x86_64/ledgerly.tar.gz"
    for _ in range(3):  # each backend in turn
        redirect = requests.get(url, allow_redirects=False, timeout=10)
        assert redirect.status_code == 302
        assert redirect.headers["Location"].startswith(seaweed.endpoint)
        assert redirect.headers["Server"].startswith("nginx")
    whole = requests.get(url, timeout=10)
    assert whole.status_code == 200 and whole.content == payload
    part = requests.get(url, headers={"Range": "bytes=100-199"}, timeout=10)
    assert part.status_code == 206 and part.content == payload[100:200]
    several = requests.get(url, headers={"Range": "bytes=0-9,1000-1009"}, timeout=10)
    assert several.status_code == 206
    assert [body for _, body in parts_of(several)] == [payload[:10], payload[1000:1010]]

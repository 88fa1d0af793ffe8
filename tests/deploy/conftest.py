"""The production topology on loopback: a real nginx (updatesrv nginx-config's output) in
front of three `updatesrv serve` processes sharing one database and one artifacts
directory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from updatesrv.deploy.local import LocalNginx, find_nginx
from updatesrv.deploy.nginx import ACCEL_LOCATION, NginxSite


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{url} did not come up")
            time.sleep(0.1)


@dataclass
class Topology:
    url: str
    backends: list[subprocess.Popen[bytes]] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    def kill_backend(self, index: int) -> None:
        """As a crashed host: the whole process group at once, no graceful shutdown."""
        os.killpg(self.backends[index].pid, signal.SIGKILL)
        self.backends[index].wait(10)


@contextmanager
def running_topology(app, tmp_path: Path, storage_env: dict[str, str]) -> Iterator[Topology]:
    """nginx over three serve processes on the app's database; ``storage_env`` says where
    the files are (a shared directory sent by nginx, or a bucket)."""
    if find_nginx() is None:
        message = "nginx is not installed (apt-get install nginx; .ci/run installs it)"
        if os.environ.get("UPDATESRV_REQUIRE_NGINX"):
            pytest.fail(message)
        pytest.skip(message)
    artifacts = Path(app.config["ARTIFACTS_DIR"])
    artifacts.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "UPDATESRV_DATABASE_URL": app.config["DATABASE_URL"],
           "UPDATESRV_SECRET_KEY": "topology", **storage_env,
           "UPDATESRV_STATS_FLUSH_INTERVAL": "1", "UPDATESRV_CATALOG_REVALIDATE_SECONDS": "0"}
    top = Topology(url="")
    try:
        for i in range(3):
            port = free_port()
            top.ports.append(port)
            top.backends.append(subprocess.Popen(
                [sys.executable, "-m", "updatesrv.cli", "serve", "--bind", f"127.0.0.1:{port}",
                 "--workers", "1", "--no-scheduler"],
                env={**env, "UPDATESRV_INSTANCE_PATH": str(tmp_path / f"host{i}")},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True))
        for port, process in zip(top.ports, top.backends, strict=True):
            wait_up(f"http://127.0.0.1:{port}/healthz", process)
        listen = free_port()
        site = NginxSite(backends=tuple(f"127.0.0.1:{p}" for p in top.ports),
                         artifacts_dir=str(artifacts), listen=f"127.0.0.1:{listen}",
                         cache_dir=str(tmp_path / "nginx-cache"))
        nginx = LocalNginx(tmp_path / "nginx", site.render())
        top.url = f"http://127.0.0.1:{listen}"
        nginx.start(probe_url=top.url + "/healthz")
        try:
            yield top
        finally:
            nginx.stop()
    finally:
        for process in top.backends:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def topology(app, tmp_path: Path) -> Iterator[Topology]:
    """Files in one directory every host shares; nginx sends them (X-Accel-Redirect)."""
    with running_topology(app, tmp_path, {
            "UPDATESRV_ARTIFACTS_DIR": str(Path(app.config["ARTIFACTS_DIR"])),
            "UPDATESRV_DOWNLOADS_ACCEL_REDIRECT": ACCEL_LOCATION}) as top:
        yield top

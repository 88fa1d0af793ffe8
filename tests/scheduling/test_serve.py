"""`updatesrv serve` runs gunicorn workers plus exactly one scheduler process; the workers
never start one of their own, and stopping the server stops the scheduler."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.live


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to inspect processes")
def test_serve_runs_one_scheduler_beside_the_workers(app, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "UPDATESRV_DATABASE_URL": app.config["DATABASE_URL"],
           "UPDATESRV_INSTANCE_PATH": str(tmp_path / "inst"), "UPDATESRV_SECRET_KEY": "x"}
    server = subprocess.Popen([sys.executable, "-m", "updatesrv.cli", "serve", "--bind",
                               f"127.0.0.1:{port}", "--workers", "2"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        # Workers boot one after another; on a busy machine give the tree time to settle.
        deadline = time.monotonic() + 30
        while True:
            tree = _descendants(server.pid)
            schedulers = [p for p in tree if "updatesrv.cli scheduler" in _cmdline(p)]
            workers = [p for p in tree if p not in schedulers and not any(
                p in _descendants(s) for s in schedulers)]
            if (len(workers) >= 2 and schedulers) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(schedulers) == 1
        # The server process is gunicorn's master; its other children are the 2 workers.
        assert len(workers) == 2
        for worker in workers:
            assert not any("scheduler" in _cmdline(p) for p in _descendants(worker))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    time.sleep(0.5)
    assert all(not _cmdline(p) for p in schedulers)  # stopped with the server

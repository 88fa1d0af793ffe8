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
        # Booting gunicorn plus a scheduler takes seconds on a loaded 2-core CI machine.
        started = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                if time.monotonic() > started or server.poll() is not None:
                    pytest.fail("the server did not start")
                time.sleep(0.1)
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


def _start_serve(app, instance: Path, runtime_dir: Path,
                 *args: str) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "UPDATESRV_DATABASE_URL": app.config["DATABASE_URL"],
           "UPDATESRV_INSTANCE_PATH": str(instance), "UPDATESRV_SECRET_KEY": "x",
           "XDG_RUNTIME_DIR": str(runtime_dir), "HOME": str(runtime_dir)}
    server = subprocess.Popen([sys.executable, "-m", "updatesrv.cli", "serve", "--bind",
                               f"127.0.0.1:{port}", "--workers", "1", "--no-scheduler", *args],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    pytest.fail("the server did not start")


def test_two_servers_on_a_host_share_no_control_socket(app, tmp_path):
    """Gunicorn 25.1+ opens one control socket per user by default; two servers would share
    it and stopping one removed the other's. serve opens none unless given a path of its
    own, and stopping one server leaves the other serving."""
    runtime_dir = tmp_path / "run"
    runtime_dir.mkdir()
    first, _ = _start_serve(app, tmp_path / "a", runtime_dir)
    own = tmp_path / "b.ctl"
    second, second_port = _start_serve(app, tmp_path / "b", runtime_dir,
                                       "--control-socket", str(own))
    try:
        assert not (runtime_dir / "gunicorn.ctl").exists()
        assert not (runtime_dir / ".gunicorn").exists()
        import gunicorn.config

        if hasattr(gunicorn.config, "ControlSocket"):  # gunicorn 25.1+
            deadline = time.monotonic() + 10
            while not own.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert own.is_socket()
        first.send_signal(signal.SIGTERM)
        first.wait(30)
        with urllib.request.urlopen(f"http://127.0.0.1:{second_port}/healthz",
                                    timeout=5) as answer:
            assert answer.status == 200
        if own.exists():
            assert own.is_socket()
    finally:
        for server in (first, second):
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                server.wait(30)

"""`updatesrv serve` (and so `make run BIND=...`) prints the address it really serves."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request

from updatesrv.serve import listener_urls


def test_listener_urls():
    assert listener_urls([("127.0.0.1", 5000), ("0.0.0.0", 8080), ("::", 8081),
                          ("::1", 8082, 0, 0), "/run/u.sock"]) == [
        "http://127.0.0.1:5000/", "http://127.0.0.1:8080/ (all interfaces)",
        "http://[::1]:8081/ (all interfaces)", "http://[::1]:8082/", "unix:/run/u.sock"]


def test_serve_prints_the_port_it_really_bound(app, tmp_path):
    env = {**os.environ, "UPDATESRV_DATABASE_URL": app.config["DATABASE_URL"],
           "UPDATESRV_INSTANCE_PATH": str(tmp_path / "instance"), "UPDATESRV_SECRET_KEY": "x",
           "XDG_RUNTIME_DIR": str(tmp_path), "HOME": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-m", "updatesrv.cli", "serve", "--bind",
                               "127.0.0.1:0", "--workers", "1", "--no-scheduler"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.match(r"updatesrv is serving on (http://127\.0\.0\.1:(\d+)/)$", line.strip())
        assert match and match.group(2) != "0", line
        for _ in range(100):
            try:
                with urllib.request.urlopen(match.group(1) + "healthz", timeout=1) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("nothing answered at the printed address")
    finally:
        server.terminate()
        server.wait(30)

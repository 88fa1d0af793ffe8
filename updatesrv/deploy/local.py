"""The production topology on one machine, for tests, benchmarks and trying it out: a real
nginx (Debian's package) under a temporary prefix on loopback, in front of `updatesrv
serve` processes on their own ports. Nothing here writes outside the given directory."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

MAIN = """\
daemon off;
{user}worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log {access_log};
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    sendfile on;
    include {site};
}}
"""


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)),
        None)


class LocalNginx:
    def __init__(self, prefix: Path, site_conf: str, workers: int = 1,
                 access_log: bool = False) -> None:
        self.prefix = prefix
        self.site_conf = site_conf
        self.workers = workers
        self.access_log = access_log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, probe_url: str | None = None) -> None:
        nginx = find_nginx()
        if nginx is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        (self.prefix / "site.conf").write_text(self.site_conf)
        # As root, nginx workers would switch to 'nobody' and could not read a private
        # temporary directory; they stay the invoking user instead.
        user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
        (self.prefix / "nginx.conf").write_text(MAIN.format(
            user=user, workers=self.workers, prefix=self.prefix,
            access_log=f"{self.prefix}/access.log" if self.access_log else "off",
            site=self.prefix / "site.conf"))
        check = subprocess.run([nginx, "-t", "-p", str(self.prefix), "-c",
                                str(self.prefix / "nginx.conf")], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx rejected the configuration:\n{check.stderr}")
        self.process = subprocess.Popen(
            [nginx, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        if probe_url:
            deadline = time.monotonic() + 20
            while True:
                try:
                    urllib.request.urlopen(probe_url, timeout=2).read()
                    break
                except OSError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("nginx did not start: "
                                           + self.error_log()) from None
                    time.sleep(0.1)

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

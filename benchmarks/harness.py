"""Shared pieces of the wrk benchmarks: finding wrk, free ports, starting servers and
reading wrk's report. Imported by check_bench.py and topology_bench.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One Lua script for every row: optional extra headers, an optional fresh install_id per
# request (threads number themselves so ids never repeat across wrk threads), and either
# keep-alive or one connection per request.
LUA = """
local headers = %(headers)s
local vary = %(vary)s
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function request()
  counter = counter + 1
  local path = wrk.path
  if vary then
    path = path .. "&install_id=bench-" .. tostring(tid) .. "-" .. counter
  end
  return wrk.format("GET", path, headers)
end
"""


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: int
    # CPU the server's processes spent per answered request (set by the caller that knows
    # the server: see server_cpu_seconds). Unlike req/s it barely moves when other
    # programs share the machine, so ratios of it stay readable on a busy one.
    server_cpu_us: float = float("nan")


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found; installing Debian's wrk (apt-get)...", file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is required: apt-get install wrk")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {seconds}s") from None
            time.sleep(0.1)


def lua_script(directory: Path, name: str, *, install_ids: bool, keepalive: bool,
               headers: dict[str, str] | None = None) -> Path:
    all_headers = dict(headers or {})
    if not keepalive:
        all_headers["Connection"] = "close"
    table = "{" + ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}"
                            for k, v in all_headers.items()) + "}"
    path = directory / f"{name}.lua"
    path.write_text(LUA % {"headers": table, "vary": "true" if install_ids else "false"})
    return path


def run_wrk(wrk: str, url: str, seconds: float, script: Path, *, connections: int = 16,
            threads: int = 2) -> WrkResult:
    out = subprocess.run([wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s",
                          "--latency", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> WrkResult:
    """wrk's report (run with --latency) as figures."""
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    assert found and total, out

    def pct(name: str) -> float:
        m = re.search(rf"\s{name}%\s+([\d.]+)(us|ms|s)\b", out)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    socket_errors = sum(int(g) for g in errors.groups()) if errors else 0
    return WrkResult(rps=float(found.group(1)), p50_ms=pct("50"), p99_ms=pct("99"),
                     requests=int(total.group(1)),
                     non_2xx_3xx=int(bad.group(1)) if bad else 0, socket_errors=socket_errors)


def server_cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """User + system CPU of a server started by ``start`` and every process of its session
    (gunicorn's master and workers), from /proc; nan where /proc is missing."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        entries = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return float("nan")
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        # After the command name: state ppid pgrp session ... utime(11) stime(12).
        if int(fields[3]) == process.pid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def start(cmd: list[str], env: dict[str, str], log: Path | None = None) -> subprocess.Popen[bytes]:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - lives with the process
    return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(process: subprocess.Popen[bytes], seconds: float = 15) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

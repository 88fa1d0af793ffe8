"""Failure reports under overload: 1,000 reports a second from random install ids for
30 seconds, while wrk measures the check beside it; the check's throughput is compared
with a baseline measured just before (and after) on the same server. Also prints the
server's memory (resident set of its processes, sampled every half second) and what
happened to every report: accepted, or refused by a cap (the per-product cap is set to
10,000 a day here so it is reached), all of it counted by the server.

    make bench-reports     # or: python benchmarks/reports_overload.py [--seconds 30]
                           #        [--rate 1000] [--workers 2]

The flood is a second wrk with a Lua script: 40 connections, each waiting 40 ms between
requests (at most 1,000 a second), one report per request from a fresh random install id.
A benchmark: it prints, and exits 1 only when a report is unaccounted for. About 1.5
minutes. On a shared machine the two wrk processes and the server compete for the same
cores, so read the ratio together with the CPU figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleet import Vendor, serve
from harness import ensure_wrk, lua_script, parse_wrk, run_wrk, stop

FLOOD_LUA = """
local n = 0
function setup(thread)
  n = n + 1
  thread:set("tid", n)
end
function init(args)
  math.randomseed(os.time() * 1000 + tid)
end
function request()
  local id = string.format("flood-%%08x%%08x", math.random(0, 0x7fffffff),
                           math.random(0, 0x7fffffff))
  local body = '{"install_id":"' .. id .. '","version":"2.0","platform":"windows-x86_64",' ..
               '"reports":[{"kind":"start_failure","exit_code":3}]}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
function delay()
  return %(delay_ms)d
end
"""
PRODUCT_CAP = 10_000


def rss_kib(session_leader: int) -> int:
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) != session_leader:
                continue
            with open(f"/proc/{entry}/status") as f:
                total += next(int(line.split()[1]) for line in f
                              if line.startswith("VmRSS:"))
        except (OSError, StopIteration, ValueError):
            continue
    return total


class MemoryWatch(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="updatesrv-overload-") as tmp:
        workdir = Path(tmp)
        server, base, token, _ = serve(
            workdir, args.workers, FAILURE_REPORTS_PER_PRODUCT_PER_DAY=str(PRODUCT_CAP))
        try:
            ok = run(args, wrk, base, Vendor(base, token), workdir, server.pid)
        finally:
            stop(server)
    sys.exit(0 if ok else 1)


def run(args: argparse.Namespace, wrk: str, base: str, vendor: Vendor, workdir: Path,
        server_pid: int) -> bool:
    vendor.call("POST", "/api/v1/products", {"slug": "fleet", "name": "Fleet",
                                             "failure_reports": True})
    vendor.release("2.0")
    check_url = f"{base}/api/v1/products/fleet/check?version=2.0&platform=windows-x86_64"
    check_lua = lua_script(workdir, "check", install_ids=True, keepalive=True)
    flood_lua = workdir / "flood.lua"
    connections = 40
    flood_lua.write_text(FLOOD_LUA % {"delay_ms": round(1000 * connections / args.rate)})
    run_wrk(wrk, check_url, 2, check_lua, connections=8, threads=1)  # warm up
    time.sleep(1.5)
    idle_rss = rss_kib(server_pid)
    before = run_wrk(wrk, check_url, args.seconds / 2, check_lua, connections=8, threads=1)
    memory = MemoryWatch(server_pid)
    memory.start()
    flood = subprocess.Popen([wrk, "-t1", f"-c{connections}", f"-d{args.seconds:g}s",
                              "--latency", "-s", str(flood_lua),
                              f"{base}/api/v1/products/fleet/reports"],
                             stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    during = run_wrk(wrk, check_url, args.seconds - 2, check_lua, connections=8, threads=1)
    flood_out, _ = flood.communicate()
    memory.stop.set()
    flooded = parse_wrk(flood_out)
    time.sleep(2.5)  # every worker flushes
    after = run_wrk(wrk, check_url, args.seconds / 2, check_lua, connections=8, threads=1)
    body = requests.get(f"{base}/api/v1/products/fleet/reports",
                        headers=vendor.http.headers, timeout=60).json()
    today = body["today"]
    baseline = (before.rps + after.rps) / 2
    print(f"check alone:        {before.rps:8.0f} req/s before, {after.rps:8.0f} after "
          f"(p99 {before.p99_ms:.1f} / {after.p99_ms:.1f} ms)")
    print(f"check under flood:  {during.rps:8.0f} req/s (p99 {during.p99_ms:.1f} ms): "
          f"{during.rps / baseline:.1%} of the baseline "
          f"({'within' if during.rps >= 0.9 * baseline else 'OUTSIDE'} the 10% target)")
    print(f"reports sent:       {flooded.requests} in {args.seconds:g} s "
          f"({flooded.rps:.0f}/s; {flooded.non_2xx_3xx} not 2xx, "
          f"{flooded.socket_errors} socket errors)")
    answered = flooded.requests - flooded.non_2xx_3xx - flooded.socket_errors
    counted = sum(today[k] for k in ("accepted", "over_install_cap", "over_product_cap",
                                     "buffer_full"))
    print(f"server counted:     {json.dumps(today)}  (sum {counted}; answered 202: "
          f"{answered})")
    print(f"server memory:      {idle_rss / 1024:.0f} MiB idle, peak {memory.peak / 1024:.0f}"
          f" MiB during the flood")
    groups = body["items"]
    print(f"groups: {len(groups)}; installs in the flood's group: "
          f"{groups[0]['installs'] if groups else 0}")
    # wrk may count a request cut off at its deadline; each 202 must be counted.
    return counted >= answered and today["accepted"] <= PRODUCT_CAP


if __name__ == "__main__":
    main()

"""Throughput and latency of the check endpoint under gunicorn (2 workers), driven by wrk.

    make bench            # or: python benchmarks/check_bench.py [--seconds 5] [--rounds 3]

Measures, side by side in one run and interleaved over rounds (median reported):
  trivial      GET /healthz — the ceiling of this stack (Flask + gunicorn, no database)
  check-10     the check endpoint for a product with 10 releases
  check-10k    the check endpoint for a product with 10,000 releases
  check-notices  the check endpoint for a product with 1,000 notices (3 match the install)
Every check request carries a different install_id (the statistics path is exercised), and
every request opens its own connection (Connection: close), as desktop clients checking once
a day do; with keep-alive, wrk's connections stick to whichever worker accepted them and the
two workers get unequal shares, which makes the numbers noisy.
This is a benchmark, not a test: it prints numbers and ratios and never fails on them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = """
counter = 0
request = function()
  counter = counter + 1
  local id = "bench-" .. counter .. "-" .. math.random(1000000000)
  return wrk.format("GET", wrk.path .. "&install_id=" .. id, {["Connection"] = "close"})
end
"""
LUA_PLAIN = """
request = function() return wrk.format("GET", wrk.path, {["Connection"] = "close"}) end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found; installing Debian's wrk (apt-get)...", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is required: apt-get install wrk")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(instance: Path) -> dict[str, str]:
    """Builds the catalog directly in the database (10,000 releases through the API would
    take minutes); returns the check query per target."""
    os.environ["UPDATESRV_INSTANCE_PATH"] = str(instance)
    os.environ["UPDATESRV_SECRET_KEY"] = "bench"
    import sqlalchemy as sa

    from updatesrv import create_app, migrate
    from updatesrv.accounts.services import Actor, create_vendor
    from updatesrv.db import db, utcnow, write_intent
    from updatesrv.notices.models import Notice
    from updatesrv.products.services import create_product
    from updatesrv.releases.models import Artifact, Release

    app = create_app()
    targets = {}
    with app.app_context(), write_intent():
        migrate.upgrade(db.engine)
        vendor = create_vendor(db.session, "bench", "Bench")
        actor = Actor(vendor.id, "owner", "bench")
        now = utcnow() - dt.timedelta(days=1)
        for slug, count in (("small", 10), ("large", 10_000), ("noticed", 10)):
            product = create_product(db.session, actor, {"slug": slug, "name": slug})
            releases = [{"product_id": product.id, "version": f"1.{i}", "version_key": f"1.{i}",
                         "channel": "stable", "notes": f"Release 1.{i}\n\n- fixes",
                         "critical": i % 7 == 0, "draft": False, "yanked": False,
                         "published_at": now, "created_at": now, "updated_at": now}
                        for i in range(count)]
            db.session.execute(sa.insert(Release), releases)
            ids = db.session.scalars(sa.select(Release.id).where(
                Release.product_id == product.id)).all()
            db.session.execute(sa.insert(Artifact), [
                {"release_id": rid, "platform": "windows-x86_64",
                 "url": f"https://cdn.example/{rid}.exe", "size": 1000, "sha256": "0" * 64,
                 "created_at": now} for rid in ids])
            if slug == "noticed":
                # 1,000 notices over many version ranges; the benchmarked install
                # matches three of them, as a real install would match a few.
                db.session.execute(sa.insert(Notice), [
                    {"product_id": product.id, "public_id": f"NOTI-2026-{i:04d}",
                     "revision": 1, "title": f"Issue {i}", "summary": "Something breaks",
                     "details": "", "workaround": "Restart the app.",
                     "severity": ("critical", "major", "minor", "info")[i % 4],
                     "status": "confirmed",
                     "affected": f">=0.{i},<0.{i + 1}" if i > 2 else ">=1.0,<2",
                     "platforms": [], "channels": [], "opened_at": now, "updated_at": now}
                    for i in range(1000)])
            db.session.commit()
            name = {"small": "check-10", "large": "check-10k", "noticed": "check-notices"}[slug]
            targets[name] = (
                f"/api/v1/products/{slug}/check?version=1.{count - 3}&platform=windows-x86_64")
    return targets


def run_wrk(wrk: str, url: str, seconds: int, script: Path) -> tuple[float, float, float]:
    out = subprocess.run([wrk, "-t2", "-c32", f"-d{seconds}s", "--latency", "-s", str(script),
                          url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(name: str) -> float:
        m = re.search(rf"\s{name}%\s+([\d.]+)(us|ms|s)", out)
        assert m, out
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"  warning: {errors.group(1)} non-2xx answers for {url}", file=sys.stderr)
    return rps, pct("50"), pct("99")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    wrk = ensure_wrk()
    instance = Path(tempfile.mkdtemp(prefix="updatesrv-bench-"))
    targets = {"trivial": "/healthz?x=1", **seed(instance)}
    port = free_port()
    env = {**os.environ, "UPDATESRV_INSTANCE_PATH": str(instance),
           "UPDATESRV_SECRET_KEY": "bench"}
    server = subprocess.Popen(
        [sys.executable, "-m", "updatesrv.cli", "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--no-scheduler"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        scripts = {}
        for name, body in (("vary", LUA), ("plain", LUA_PLAIN)):
            path = instance / f"{name}.lua"
            path.write_text(body)
            scripts[name] = path
        for path in targets.values():  # warm caches and connections
            run_wrk(wrk, base + path, 1, scripts["plain"])
        results: dict[str, list[tuple[float, float, float]]] = {t: [] for t in targets}
        for round_no in range(1, args.rounds + 1):
            for name, path in targets.items():
                script = scripts["plain" if name == "trivial" else "vary"]
                results[name].append(run_wrk(wrk, base + path, args.seconds, script))
            print(f"round {round_no}/{args.rounds} done", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(15)
        shutil.rmtree(instance, ignore_errors=True)

    median = {name: tuple(statistics.median(r[i] for r in rows) for i in range(3))
              for name, rows in results.items()}
    print(f"\n{'target':<14} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}   (median of "
          f"{args.rounds} interleaved {args.seconds}s rounds, wrk -t2 -c32, gunicorn 2 workers)")
    for name, (rps, p50, p99) in median.items():
        print(f"{name:<14} {rps:>10.0f} {p50:>8.2f} {p99:>8.2f}")
    print()
    print(f"ratio check-10 / trivial:   {median['check-10'][0] / median['trivial'][0]:.2f} "
          "(target >= 0.70)")
    print(f"ratio check-10k / check-10: {median['check-10k'][0] / median['check-10'][0]:.2f} "
          "(target >= 0.90)")
    print(f"ratio check-notices / check-10: "
          f"{median['check-notices'][0] / median['check-10'][0]:.2f} (target >= 0.90)")


if __name__ == "__main__":
    main()

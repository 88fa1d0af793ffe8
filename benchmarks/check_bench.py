"""Throughput and latency of the check endpoint under gunicorn, driven by wrk, against a
bare Flask JSON route served with the same gunicorn settings, in one run.

    make bench       # or: python benchmarks/check_bench.py [--seconds 5] [--rounds 3]
                     #        [--worker-class sync|gthread] [--only check-10,bare-flask]

Every row is measured in both connection modes: keep-alive, and one connection per request
(Connection: close), as desktop clients checking once a day do. Rows and modes are
interleaved over the rounds and the median is reported. Check rows marked "ids" send a
different install_id on every request, so the statistics path is exercised. The last lines
print the ratios the project targets (see RATIOS). A benchmark, not a test: it prints and
never fails on the numbers.

To add a row, append a Row to ``rows()``: a path (the seeded products are "small" with 10
releases, "large" with 10,000 and "noticed" with 1,000 notices), whether it varies the
install id, extra request headers (or a function of the row's URL computing them once the
server is up, e.g. an If-None-Match from a first answer) and the status it must answer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    ROOT,
    WrkResult,
    ensure_wrk,
    free_port,
    lua_script,
    run_wrk,
    server_cpu_seconds,
    start,
    stop,
    wait_http,
)

MODES = ("keep-alive", "close")
# The servers flush check statistics every second here (5 s by default) so that each row's
# flush can be waited for and counted in that row.
FLUSH_INTERVAL = 1


@dataclass(frozen=True)
class Row:
    name: str
    path: str
    server: str = "updatesrv"  # or "bare": the bare Flask app (benchmarks/bare_app.py)
    install_ids: bool = False
    headers: dict[str, str] | Callable[[str], dict[str, str]] = field(default_factory=dict)
    status: int = 200


def check_path(product: str, version: str) -> str:
    return f"/api/v1/products/{product}/check?version={version}&platform=windows-x86_64"


def rows() -> list[Row]:
    return [
        Row("bare-flask", "/?x=1", server="bare"),
        Row("healthz", "/healthz?x=1"),
        Row("check-10", check_path("small", "1.7"), install_ids=True),
        Row("check-10k", check_path("large", "1.9997"), install_ids=True),
        Row("check-notices", check_path("noticed", "1.7"), install_ids=True),
        Row("check-no-id", check_path("small", "1.7")),
        # The app-start revalidation (If-None-Match, unchanged answer): must stay cheap.
        Row("check-304", check_path("noticed", "1.7"), install_ids=True, headers=etag_of,
            status=304),
        # The same check on a server without a signing key: what signing answers costs.
        Row("check-10-unsigned", check_path("small", "1.7"), server="unsigned",
            install_ids=True),
        # electron-updater's channel file for the same product and install (compatible feed).
        Row("electron-10", "/u/small/electron/latest.yml?version=1.7",
            headers={"x-user-staging-id": "5f0e5a36-6b8e-4d7c-9f1a-2f6f1c1d2e3f"}),
    ]


def etag_of(url: str) -> dict[str, str]:
    """The ETag of the row's answer, as a client that saved it sends it back."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return {"If-None-Match": response.headers["ETag"]}


# (row, reference row, target): printed per mode on the last lines.
RATIOS = [("check-10", "bare-flask", 0.80), ("check-10k", "check-10", 0.95),
          ("check-10", "check-10-unsigned", 0.90)]
# electron-10 is shown for comparison, without a target: feeds are ordinary Flask routes,
# only the check has the fast lane (updatesrv/api/fastlane.py).


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
    from updatesrv.trust.keys import generate

    generate(instance / "server-keys")  # as 'updatesrv init' does: answers are signed
    app = create_app()
    targets = {}
    with app.app_context(), write_intent():
        migrate.upgrade(db.engine)
        vendor = create_vendor(db.session, "bench", "Bench")
        actor = Actor(vendor.id, "owner", "bench")
        now = utcnow() - dt.timedelta(days=1)
        for slug, count in (("small", 10), ("large", 10_000), ("noticed", 10)):
            product = create_product(db.session, actor, {
                "slug": slug, "name": slug,
                "feed_formats": ["electron"] if slug == "small" else []})
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
                 "sha512": "0" * 128,
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
                     "platforms": [], "channels": [], "opened_at": now, "updated_at": now,
                     "published_at": now}
                    for i in range(1000)])
            db.session.commit()
            name = {"small": "check-10", "large": "check-10k", "noticed": "check-notices"}[slug]
            targets[name] = check_path(slug, f"1.{count - 3}")
    return targets


def measure(row_list: list[Row], bases: dict[str, str], seconds: float, rounds: int,
            connections: int, workdir: Path,
            servers: dict[str, subprocess.Popen[bytes]],
            ) -> dict[tuple[str, str], list[WrkResult]]:
    wrk = ensure_wrk()
    scripts: dict[tuple[str, str], Path] = {}
    urls: dict[str, str] = {}
    for row in row_list:
        url = urls[row.name] = bases[row.server] + row.path
        headers = row.headers(url) if callable(row.headers) else row.headers
        request = urllib.request.Request(url, headers=headers)
        try:
            status = urllib.request.urlopen(request, timeout=10).status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status != row.status:
            sys.exit(f"{row.name}: {url} answered {status}, expected {row.status}")
        for mode in MODES:
            scripts[(row.name, mode)] = lua_script(
                workdir, f"{row.name}-{mode}", install_ids=row.install_ids,
                keepalive=mode == "keep-alive", headers=headers)
            run_wrk(wrk, url, 1, scripts[(row.name, mode)], connections=connections)  # warm
    results: dict[tuple[str, str], list[WrkResult]] = {key: [] for key in scripts}
    for round_no in range(1, rounds + 1):
        for mode in MODES:
            for row in row_list:
                cpu_before = server_cpu_seconds(servers[row.server])
                result = run_wrk(wrk, urls[row.name], seconds, scripts[(row.name, mode)],
                                 connections=connections)
                # The statistics this row buffered are written before the next row starts,
                # so each row pays for its own flush (and not the row after it).
                time.sleep(FLUSH_INTERVAL + 0.5)
                cpu = server_cpu_seconds(servers[row.server]) - cpu_before
                result = replace(result, server_cpu_us=cpu / max(result.requests, 1) * 1e6)
                if result.non_2xx_3xx or result.socket_errors:
                    print(f"  warning: {row.name} {mode}: {result.non_2xx_3xx} bad answers, "
                          f"{result.socket_errors} socket errors", file=sys.stderr)
                results[(row.name, mode)].append(result)
        print(f"round {round_no}/{rounds} done", file=sys.stderr)
    return results


def main() -> None:
    from updatesrv.serve import DEFAULT_WORKER_CLASS, WORKER_CLASSES

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=WORKER_CLASSES, default=DEFAULT_WORKER_CLASS)
    parser.add_argument("--only", default="", help="comma-separated row names")
    args = parser.parse_args()
    ensure_wrk()
    row_list = rows()
    if args.only:
        wanted = set(args.only.split(","))
        row_list = [r for r in row_list if r.name in wanted]
    workdir = Path(tempfile.mkdtemp(prefix="updatesrv-bench-"))
    seed(workdir)
    env = {**os.environ, "UPDATESRV_INSTANCE_PATH": str(workdir),
           "UPDATESRV_SECRET_KEY": "bench", "PYTHONPATH": str(ROOT),
           "UPDATESRV_STATS_FLUSH_INTERVAL": str(FLUSH_INTERVAL)}
    common = ["--workers", str(args.workers), "--worker-class", args.worker_class]
    ports = {"updatesrv": free_port(), "bare": free_port(), "unsigned": free_port()}
    servers = {
        "updatesrv": start([sys.executable, "-m", "updatesrv.cli", "serve", "--bind",
                            f"127.0.0.1:{ports['updatesrv']}", "--no-scheduler", *common],
                           env, workdir / "updatesrv.log"),
        "bare": start([sys.executable, str(ROOT / "benchmarks" / "bare_app.py"), "--bind",
                       f"127.0.0.1:{ports['bare']}", *common], env, workdir / "bare.log"),
        "unsigned": start([sys.executable, "-m", "updatesrv.cli", "serve", "--bind",
                           f"127.0.0.1:{ports['unsigned']}", "--no-scheduler", *common],
                          {**env, "UPDATESRV_SERVER_KEYS_DIR": json.dumps(
                              str(workdir / "no-keys"))},
                          workdir / "unsigned.log"),
    }
    bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        wait_http(bases["updatesrv"] + "/healthz")
        wait_http(bases["bare"] + "/")
        wait_http(bases["unsigned"] + "/healthz")
        results = measure(row_list, bases, args.seconds, args.rounds, args.connections,
                          workdir, servers)
    finally:
        for server in servers.values():
            stop(server)
    report(results, row_list, args)


def _median(results: list[WrkResult]) -> tuple[float, float, float, float]:
    return (statistics.median(r.rps for r in results),
            statistics.median(r.p50_ms for r in results),
            statistics.median(r.p99_ms for r in results),
            statistics.median(r.server_cpu_us for r in results))


def report(results: dict[tuple[str, str], list[WrkResult]], row_list: list[Row],
           args: argparse.Namespace) -> None:
    print(f"\nmedian of {args.rounds} interleaved {args.seconds:g}s rounds; wrk -t2 "
          f"-c{args.connections}; gunicorn {args.workers} {args.worker_class} workers "
          f"(both servers); cpu = the server's CPU microseconds per answered request")
    print(f"{'row':<18}" + "".join(f"{m + ' req/s':>18}{'p50 ms':>8}{'p99 ms':>8}{'cpu us':>8}"
                                   for m in MODES))
    medians = {key: _median(rs) for key, rs in results.items()}
    for row in row_list:
        line = f"{row.name:<18}"
        for mode in MODES:
            rps, p50, p99, cpu = medians[(row.name, mode)]
            line += f"{rps:>18.0f}{p50:>8.2f}{p99:>8.2f}{cpu:>8.0f}"
        print(line)
    print()
    names = {r.name for r in row_list}
    # Throughput ratios as wrk saw them, then the same ratios from the server's CPU per
    # request (reference cpu / row cpu): what the throughput ratio is when the server has
    # the CPUs to itself, and steady when other programs load the machine.
    for label, value in (("req/s", lambda m: m[0]), ("cpu", lambda m: 1 / m[3])):
        for mode in MODES:
            parts = []
            for name, reference, target in RATIOS:
                if name in names and reference in names:
                    ratio = (value(medians[(name, mode)])
                             / value(medians[(reference, mode)]))
                    verdict = "ok" if ratio >= target else "BELOW TARGET"
                    parts.append(f"{name}/{reference} {ratio:.2f} (>= {target:.2f} {verdict})")
            print(f"ratios {label:<5} {mode:<10} " + "; ".join(parts))


if __name__ == "__main__":
    main()

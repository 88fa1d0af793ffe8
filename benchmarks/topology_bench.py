"""The production topology on one machine, measured: nginx on loopback (the configuration
`updatesrv nginx-config` prints) balancing over three `updatesrv serve` processes on one
PostgreSQL database, driven by wrk.

    make bench-topology   # or: python benchmarks/topology_bench.py [--seconds 60]
                          #        [--database-url postgresql+psycopg://.../test_h_topology]
                          #        [--storage bucket|directory]

The hosts keep files in a bucket on a local SeaweedFS (`weed` from the dev extras), as a
multi-host deployment does (docs/operating/object-storage.md); --storage directory runs them
on one shared directory that nginx sends files from (X-Accel-Redirect) instead.

Reports, on the last lines:
  * throughput of the check (a new install id on every request, one connection per
    request) through nginx with 1, 2 and 3 backends;
  * a shared check answer (no install id) from nginx's cache against the same answer from
    a backend directly;
  * downloads of an uploaded file through nginx: redirects to the bucket per second (or,
    on a directory, 1 MiB files sent by nginx per second);
  * a --seconds long run through nginx during which one backend is killed (SIGKILL, its
    whole process group) halfway: failed checks (must be 0: nginx retries the GET on
    another backend) and the statistics counted in the database against the checks
    answered (the killed process loses at most its last flush interval of counts).
The database named by --database-url is emptied and re-created. Needs nginx and wrk
(Debian packages). A benchmark: it prints, and exits non-zero only if a check failed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # tests.seaweed

from harness import (
    ROOT,
    WrkResult,
    ensure_wrk,
    free_port,
    lua_script,
    parse_wrk,
    run_wrk,
    wait_http,
)

from updatesrv.deploy.local import LocalNginx
from updatesrv.deploy.nginx import ACCEL_LOCATION, NginxSite

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1/test_h_topology"
FLUSH_SECONDS = 5.0


def fresh_database(url: str) -> None:
    import sqlalchemy as sa

    target = sa.make_url(url)
    if target.get_backend_name() != "postgresql":
        sys.exit("the topology needs PostgreSQL (--database-url postgresql+psycopg://...)")
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": target.database})
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = sa.create_engine(target)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def checks_counted(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        total = conn.scalar(sa.text("SELECT COALESCE(SUM(checks), 0) FROM check_counts"))
    engine.dispose()
    return int(total or 0)


def settled_count(url: str, limit: float = 90.0) -> int:
    """The counted checks once every live process has flushed: unchanged for two flush
    intervals (a flush under load takes a while after its interval)."""
    deadline = time.monotonic() + limit
    last, since = checks_counted(url), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(1)
        now = checks_counted(url)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= 2 * FLUSH_SECONDS:
            break
    return last


class Backends:
    def __init__(self, workdir: Path, env: dict[str, str], count: int, workers: int) -> None:
        self.ports = [free_port() for _ in range(count)]
        self.processes = [
            subprocess.Popen(
                [sys.executable, "-m", "updatesrv.cli", "serve", "--bind",
                 f"127.0.0.1:{port}", "--workers", str(workers), "--no-scheduler"],
                env={**env, "UPDATESRV_INSTANCE_PATH": str(workdir / f"host{i}")},
                stdout=subprocess.DEVNULL, stderr=open(workdir / f"host{i}.log", "wb"),  # noqa: SIM115
                start_new_session=True)
            for i, port in enumerate(self.ports)]
        for port in self.ports:
            wait_http(f"http://127.0.0.1:{port}/healthz", 60)

    def kill(self, index: int) -> None:
        os.killpg(self.processes[index].pid, signal.SIGKILL)
        self.processes[index].wait(10)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def nginx_for(workdir: Path, name: str, backends: list[int], artifacts: Path) -> tuple[
        LocalNginx, str]:
    listen = free_port()
    site = NginxSite(backends=tuple(f"127.0.0.1:{p}" for p in backends),
                     artifacts_dir=str(artifacts), listen=f"127.0.0.1:{listen}",
                     cache_dir=str(workdir / f"cache-{name}"))
    nginx = LocalNginx(workdir / f"nginx-{name}", site.render())
    url = f"http://127.0.0.1:{listen}"
    nginx.start(probe_url=url + "/healthz")
    return nginx, url


DOWNLOAD = "/downloads/small/1.9/linux-x86_64/bench.bin"


def store_download(instance: Path, env: dict[str, str]) -> None:
    """One uploaded 1 MiB file for small 1.9, stored as the hosts are configured to."""
    import io

    import sqlalchemy as sa

    from updatesrv import create_app, runtime
    from updatesrv.db import db, write_intent
    from updatesrv.products.models import Product
    from updatesrv.releases.models import Artifact, Release

    saved = dict(os.environ)
    os.environ.update(env)
    os.environ["UPDATESRV_INSTANCE_PATH"] = str(instance)
    try:
        app = create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    store = runtime(app).store
    staged = store.stage(io.BytesIO(os.urandom(1024 * 1024)), 2 * 1024 * 1024)
    with app.app_context(), write_intent():
        release = db.session.scalar(sa.select(Release).join(Product).where(
            Product.slug == "small", Release.version == "1.9"))
        assert release is not None
        key = store.commit(staged, f"small/1.9/linux-x86_64/{staged.sha256[:16]}/bench.bin")
        db.session.add(Artifact(release_id=release.id, platform="linux-x86_64", url=None,
                                storage_path=key, filename="bench.bin", size=staged.size,
                                sha256=staged.sha256, sha512=staged.sha512, sha1=staged.sha1))
        db.session.commit()
    store.discard(staged)
    runtime(app).recorder.stop()


def storage_env(kind: str, workdir: Path, artifacts: Path) -> tuple[dict[str, str], Any]:
    """The hosts' storage settings, and the SeaweedFS server to stop afterwards (or None)."""
    if kind == "directory":
        return {"UPDATESRV_ARTIFACTS_DIR": str(artifacts),
                "UPDATESRV_DOWNLOADS_ACCEL_REDIRECT": ACCEL_LOCATION}, None
    from tests.seaweed import start_seaweed

    seaweed = start_seaweed(workdir / "seaweed")
    bucket = seaweed.new_bucket()
    return {**seaweed.credentials_env(), "UPDATESRV_ARTIFACT_STORAGE": f"s3://{bucket}/bench",
            "UPDATESRV_S3_ENDPOINT_URL": seaweed.endpoint,
            "UPDATESRV_S3_REGION": "us-east-1"}, seaweed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="the failover run")
    parser.add_argument("--phase-seconds", type=int, default=8,
                        help="each throughput measurement")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per backend")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--storage", choices=("bucket", "directory"), default="bucket",
                        help="where the hosts keep files (default: a SeaweedFS bucket)")
    parser.add_argument("--no-kill", action="store_true",
                        help="run the long phase without killing a backend (to compare)")
    args = parser.parse_args()
    wrk = ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="updatesrv-topology-"))
    artifacts = workdir / "shared-artifacts"
    artifacts.mkdir()
    fresh_database(args.database_url)
    os.environ["UPDATESRV_DATABASE_URL"] = args.database_url
    import check_bench

    check_bench.seed(workdir / "seed")
    storage, seaweed = storage_env(args.storage, workdir, artifacts)
    store_download(workdir / "seed", storage)
    env = {**os.environ, "UPDATESRV_DATABASE_URL": args.database_url,
           "UPDATESRV_SECRET_KEY": "bench", **storage,
           "UPDATESRV_STATS_FLUSH_INTERVAL": str(FLUSH_SECONDS), "PYTHONPATH": str(ROOT)}
    check = check_bench.check_path("small", "1.7")
    ids = lua_script(workdir, "ids", install_ids=True, keepalive=False)
    shared = lua_script(workdir, "shared", install_ids=False, keepalive=False)
    backends = Backends(workdir, env, 3, args.workers)
    lines: list[str] = []
    try:
        scaling: dict[int, WrkResult] = {}
        for count in (1, 2, 3):
            nginx, url = nginx_for(workdir, f"n{count}", backends.ports[:count], artifacts)
            try:
                run_wrk(wrk, url + check, 2, ids, connections=args.connections)  # warm
                scaling[count] = run_wrk(wrk, url + check, args.phase_seconds, ids,
                                         connections=args.connections)
            finally:
                nginx.stop()
            print(f"{count} backend(s): {scaling[count].rps:.0f} req/s", file=sys.stderr)

        nginx, url = nginx_for(workdir, "cache", backends.ports, artifacts)
        try:
            run_wrk(wrk, url + check, 2, shared, connections=args.connections)
            cached = run_wrk(wrk, url + check, args.phase_seconds, shared,
                             connections=args.connections)
            direct_url = f"http://127.0.0.1:{backends.ports[0]}"
            direct = run_wrk(wrk, direct_url + check, args.phase_seconds, shared,
                             connections=args.connections)
            downloads = run_wrk(wrk, url + DOWNLOAD, args.phase_seconds, shared,
                                connections=args.connections)
        finally:
            nginx.stop()

        before = settled_count(args.database_url)
        nginx, url = nginx_for(workdir, "failover", backends.ports, artifacts)
        try:
            out = workdir / "failover.txt"
            with open(out, "w") as fh:
                load = subprocess.Popen(
                    [wrk, "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
                     "-s", str(ids), url + check], stdout=fh, text=True)
                time.sleep(args.seconds / 2)
                if not args.no_kill:
                    backends.kill(1)
                load.wait(args.seconds + 30)
            print(f"backend 2 killed {args.seconds / 2:.0f}s into the run", file=sys.stderr)
            failover = parse_wrk(out.read_text())
        finally:
            nginx.stop()
        counted = settled_count(args.database_url) - before
    finally:
        backends.stop()
        if seaweed is not None:
            seaweed.stop()

    answered = failover.requests
    failed = failover.non_2xx_3xx + failover.socket_errors
    # Counts a SIGKILLed process had not yet flushed are lost with it: the statistics may
    # lag the truth by the checks of one flush interval.
    allowed = failover.rps * FLUSH_SECONDS
    lines.append(f"topology: nginx + 3 x `updatesrv serve --workers {args.workers}` + "
                 f"PostgreSQL, files in a {args.storage}; wrk -t2 -c{args.connections}, "
                 "one connection per check")
    lines.append("throughput with a new install id per check: " + "; ".join(
        f"{n} backend{'s' if n > 1 else ''} {r.rps:.0f} req/s (p99 {r.p99_ms:.0f} ms)"
        for n, r in scaling.items()))
    lines.append(f"shared answer (no install id): nginx cache {cached.rps:.0f} req/s, "
                 f"one backend directly {direct.rps:.0f} req/s "
                 f"({cached.rps / direct.rps:.1f}x)")
    what = ("redirects to the bucket" if args.storage == "bucket"
            else "1 MiB files sent by nginx")
    lines.append(f"downloads through nginx: {downloads.rps:.0f} {what} per second "
                 f"(p99 {downloads.p99_ms:.0f} ms, {downloads.non_2xx_3xx} bad statuses)")
    killed = "no backend killed" if args.no_kill else f"backend 2 killed at {args.seconds // 2}s"
    lines.append(f"failover run {args.seconds}s, {killed}: "
                 f"{answered} checks answered, {failed} failed "
                 f"({failover.non_2xx_3xx} bad statuses, {failover.socket_errors} socket "
                 f"errors), {failover.rps:.0f} req/s, p99 {failover.p99_ms:.0f} ms")
    # wrk does not count the answers still in flight when it stops: one per connection.
    missing = answered - counted
    within = -args.connections <= missing <= allowed + args.connections
    lines.append(f"statistics: {counted} checks counted of {answered} answered "
                 f"(missing {missing}; allowed: one flush interval's checks, {FLUSH_SECONDS:g} s "
                 f"~ {allowed:.0f}, +/- {args.connections} in flight when wrk stopped) -> "
                 f"{'ok' if within else 'OUT OF BOUNDS'}")
    print()
    print("\n".join(lines))
    if failed or not within or downloads.non_2xx_3xx:
        sys.exit(1)


if __name__ == "__main__":
    main()

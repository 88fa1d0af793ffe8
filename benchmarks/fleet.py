"""Fleet simulator: 10,000 installs poll a real updatesrv (gunicorn, on a loopback port)
through the real client library, on a simulated clock. Mid-run a notice is filed, later
the fix ships and the notice is marked fixed. Prints the simulator's truth beside the reach
endpoint's numbers, time to tell, and check requests per install per day.

    make bench-fleet      # or: python benchmarks/fleet.py [--installs 10000] [--days 2.5]
                          #        [--step 15] [--threads 8] [--seed 1]

Time: the clients' ``clock`` is simulated and moves in steps (15 simulated minutes): all
that is due in a step runs (in parallel threads), then the clock moves on, so a slow or
busy machine changes how long the run takes, never what it measures. The server keeps
real time; each step remembers the real time it began, so the server's timestamps (told
p50/p90) map back to simulated time.

Each install has a habit: most start the app once a day, some several times a day, some
every few days. On each start the app checks (``check(on_start=True)``: the saved answer
is revalidated with If-None-Match when older than an hour), shows new notices and
acknowledges them (``mark_shown``: sent with the next check), and takes an offered update
with some probability. Background checks keep the server's long interval (24 h).
Loopback only; a few minutes on two cores.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import heapq
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import free_port, start, stop, wait_http

DAY = 86400.0
VERSIONS = ("1.8", "1.9", "2.0")
PLATFORMS = ("windows-x86_64", "macos-arm64", "linux-x86_64")
CHANNELS = ("stable", "beta")
AFFECTED = ">=2.0,<2.0.1"
NOTICE_PLATFORMS = ["windows-x86_64", "macos-arm64"]


@dataclass
class Install:
    index: int
    version: str
    platform: str
    channel: str
    habit: str  # daily | heavy | rare
    state_dir: Path
    take_update: float
    # truth
    affected: bool = False
    affected_at_publication: bool = False
    told_at: float | None = None
    displayed: bool = False
    ack_pending: bool = False
    ack_delivered: bool = False
    moved: bool = False
    requests: int = 0
    starts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def is_affected(version: str, platform: str) -> bool:
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(AFFECTED).contains(version) and platform in NOTICE_PLATFORMS


class Clock:
    """Simulated time, advanced step by step by the simulation (the clients' ``clock``).
    Each step remembers the real time it began, so a real server timestamp maps back to
    the simulated moment it belongs to."""

    def __init__(self) -> None:
        self.now = 0.0
        self.marks: list[tuple[float, float]] = []  # (real time, simulated time)

    def __call__(self) -> float:
        return self.now

    def advance(self, sim: float) -> None:
        self.now = sim
        self.marks.append((time.time(), sim))

    def sim_of_real(self, real: float) -> float:
        index = bisect.bisect_right([m[0] for m in self.marks], real) - 1
        return self.marks[max(index, 0)][1]


def seed_server(instance: Path) -> str:
    """The vendor, token and product, written before the server starts."""
    os.environ["UPDATESRV_INSTANCE_PATH"] = str(instance)
    os.environ["UPDATESRV_SECRET_KEY"] = "fleet"
    from updatesrv import create_app, migrate
    from updatesrv.accounts import services as accounts
    from updatesrv.accounts import tokens
    from updatesrv.db import db, write_intent

    app = create_app()
    with app.app_context(), write_intent():
        migrate.upgrade(db.engine)
        vendor = accounts.create_vendor(db.session, "fleet", "Fleet Inc.")
        _, token = tokens.create_token(db.session, vendor, "fleet", "owner")
        db.engine.dispose()
    return token


class Vendor:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: dict) -> dict:
        response = self.http.request(method, self.base + path, json=body, timeout=30)
        if response.status_code >= 300:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.text}")
        return dict(response.json()) if response.content else {}

    def release(self, version: str, channel: str = "stable") -> None:
        artifacts = [{"platform": p, "url": f"https://cdn.example/{version}/{p}.zip",
                      "size": 1000, "sha256": "ab" * 32} for p in PLATFORMS]
        self.call("POST", "/api/v1/products/fleet/releases",
                  {"version": version, "channel": channel, "artifacts": artifacts})


def build_fleet(n: int, rng: random.Random, root: Path) -> list[Install]:
    fleet = []
    for i in range(n):
        habit = rng.choices(("daily", "heavy", "rare"), (0.6, 0.25, 0.15))[0]
        fleet.append(Install(
            index=i, version=rng.choices(VERSIONS, (0.15, 0.25, 0.6))[0],
            platform=rng.choices(PLATFORMS, (0.6, 0.25, 0.15))[0],
            channel=rng.choices(CHANNELS, (0.9, 0.1))[0], habit=habit,
            state_dir=root / f"i{i:05d}", take_update=rng.uniform(0.3, 0.9)))
    return fleet


def next_start(install: Install, now: float, rng: random.Random) -> float:
    if install.habit == "heavy":
        return now + rng.uniform(2, 10) * 3600
    if install.habit == "daily":
        return now + DAY + rng.gauss(0, 1.5 * 3600)
    return now + rng.uniform(2, 5) * DAY


class Simulation:
    def __init__(self, args: argparse.Namespace, base: str, clock: Clock) -> None:
        self.args = args
        self.base = base
        self.clock = clock
        self.local = threading.local()
        self.notice_id: str | None = None
        self.published_sim: float | None = None
        self.errors = 0

    def session(self) -> requests.Session:
        if not hasattr(self.local, "http"):
            self.local.http = requests.Session()
        return self.local.http

    def client(self, install: Install):  # type: ignore[no-untyped-def]
        from updatesrv_client import UpdateClient

        return UpdateClient(self.base, "fleet", install.version, channel=install.channel,
                            platform=install.platform, state_dir=install.state_dir,
                            session=self.session(), clock=self.clock,
                            recheck_on_start_after=3600)

    def run_app(self, install: Install, on_start: bool, rng: random.Random) -> None:
        """One app start (or background check): check, show, acknowledge, maybe update."""
        from updatesrv_client import UpdateCheckError

        with install.lock:
            client = self.client(install)
            pending_ack = install.ack_pending
            try:
                result = client.check(on_start=on_start)
            except UpdateCheckError:
                self.errors += 1
                return
            if on_start:
                install.starts += 1
            if result.from_cache:
                return
            install.requests += 1
            if pending_ack:
                install.ack_pending, install.ack_delivered = False, True
            if is_affected(install.version, install.platform):
                install.affected = True
            elif install.told_at is not None:
                install.moved = True
            # The run files one notice: any notice in a network answer is it (even one that
            # arrives between the vendor's POST and this thread learning its id).
            if result.notices and install.told_at is None:
                install.told_at = self.clock()
            for notice in result.new_notices:
                client.mark_shown(notice)
                install.displayed = True
                if not install.ack_delivered:
                    install.ack_pending = True
            if on_start and result.update is not None and rng.random() < install.take_update:
                install.version = result.update.version  # installed; runs from next start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--installs", type=int, default=10_000)
    parser.add_argument("--days", type=float, default=2.5)
    parser.add_argument("--step", type=float, default=15.0,
                        help="simulated minutes per step of the clock")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="updatesrv-fleet-") as tmp:
        workdir = Path(tmp)
        server, base, token, _ = serve(workdir, args.workers, CHECK_INTERVAL="86400")
        try:
            run(args, rng, base, Vendor(base, token), workdir)
        finally:
            stop(server)


def serve(workdir: Path, workers: int, **settings: str,
          ) -> tuple[subprocess.Popen[bytes], str, str, dict[str, str]]:
    """A seeded updatesrv under gunicorn on a free loopback port (statistics flushed
    every second, no scheduler), answering; returns the process, its URL, the vendor's
    token and the environment (for other processes on the same instance)."""
    token = seed_server(workdir / "instance")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "UPDATESRV_INSTANCE_PATH": str(workdir / "instance"),
           "UPDATESRV_SECRET_KEY": "fleet", "UPDATESRV_CATALOG_REVALIDATE_SECONDS": "0",
           "UPDATESRV_STATS_FLUSH_INTERVAL": "1", "UPDATESRV_BASE_URL": base,
           **{f"UPDATESRV_{k}": v for k, v in settings.items()}}
    server = start([sys.executable, "-m", "updatesrv.cli", "serve", "--bind",
                    f"127.0.0.1:{port}", "--workers", str(workers), "--no-scheduler"],
                   env, workdir / "server.log")
    try:
        wait_http(base + "/healthz", 60)
    except BaseException:
        stop(server)
        raise
    return server, base, token, env


def run(args: argparse.Namespace, rng: random.Random, base: str, vendor: Vendor,
        workdir: Path) -> None:
    vendor.call("POST", "/api/v1/products", {"slug": "fleet", "name": "Fleet",
                                             "support_url": "https://help.example/"})
    for version in VERSIONS:
        vendor.release(version)
    fleet = build_fleet(args.installs, rng, workdir / "installs")
    horizon = args.days * DAY
    notice_at, fix_at = 0.5 * DAY, min(1.5 * DAY, horizon - DAY / 2)
    clock = Clock()
    sim = Simulation(args, base, clock)
    events: list[tuple[float, int, str]] = []
    for install in fleet:
        first = rng.uniform(0, DAY if install.habit != "rare" else 3 * DAY)
        heapq.heappush(events, (first, install.index, "start"))
    heapq.heappush(events, (notice_at, -1, "notice"))
    heapq.heappush(events, (fix_at, -1, "fix"))
    print(f"fleet: {len(fleet)} installs, {args.days:g} simulated days in steps of "
          f"{args.step:g} min, server {base} ({args.workers} workers)", flush=True)
    real_started = time.time()
    rngs = [random.Random(args.seed * 100_003 + i) for i in range(len(fleet))]
    step = args.step * 60
    with ThreadPoolExecutor(args.threads) as pool:
        boundary = 0.0
        while events and events[0][0] < horizon:
            boundary += step
            clock.advance(boundary - step)
            batch = []
            while events and events[0][0] < boundary:
                at, index, kind = heapq.heappop(events)
                if kind == "notice":
                    notice = vendor.call("POST", "/api/v1/products/fleet/notices", {
                        "title": "Sync stops after sleep", "severity": "major",
                        "affected": AFFECTED, "platforms": NOTICE_PLATFORMS,
                        "workaround": "Restart sync from Settings."})
                    sim.notice_id, sim.published_sim = notice["id"], clock()
                    for install in fleet:
                        install.affected_at_publication = is_affected(install.version,
                                                                      install.platform)
                    print(f"  day {clock() / DAY:.2f}: filed {notice['id']}", flush=True)
                elif kind == "fix":
                    vendor.release("2.0.1")
                    vendor.call("PATCH", f"/api/v1/products/fleet/notices/{sim.notice_id}",
                                {"status": "fixed", "fixed_in": "2.0.1",
                                 "message": "Fixed in 2.0.1."})
                    print(f"  day {clock() / DAY:.2f}: shipped 2.0.1, notice fixed",
                          flush=True)
                else:
                    r = rngs[index]
                    batch.append((fleet[index], kind == "start", r))
                    if kind == "start":
                        heapq.heappush(events, (next_start(fleet[index], at, r), index,
                                                "start"))
                        # Most sessions last hours; one in ten runs past a day and makes
                        # a background check at the server's 24 h interval.
                        if r.random() < 0.1:
                            heapq.heappush(events, (at + DAY + 60, index, "background"))
            # Everything due in this step runs before the clock moves on.
            list(pool.map(lambda job: sim.run_app(*job), batch))
            if int(boundary / DAY) != int((boundary - step) / DAY):
                print(f"  day {boundary / DAY:.0f} done ({time.time() - real_started:.0f} s)",
                      flush=True)
    real_elapsed = time.time() - real_started
    time.sleep(2.5)  # every worker flushes its buffered statistics (1 s interval)
    report(args, fleet, sim, vendor, real_elapsed)


def report(args: argparse.Namespace, fleet: list[Install], sim: Simulation, vendor: Vendor,
           real_elapsed: float) -> None:
    assert sim.notice_id is not None and sim.published_sim is not None
    reach = vendor.http.get(f"{vendor.base}/api/v1/products/fleet/notices/{sim.notice_id}"
                            "/reach", timeout=60).json()
    truth = {
        "affected_installs": sum(i.affected for i in fleet),
        "told": sum(i.told_at is not None for i in fleet),
        "shown": sum(i.ack_delivered for i in fleet),
        "moved": sum(i.moved for i in fleet),
    }
    print(f"\nran {real_elapsed:.0f} s real; {sim.errors} failed checks\n")
    print(f"{'':<22}{'simulator':>12}{'reach API':>12}{'diff':>9}")
    worst = 0.0
    for key, value in truth.items():
        served = int(reach[key])
        diff = (served - value) / value * 100 if value else 0.0
        worst = max(worst, abs(diff))
        print(f"{key:<22}{value:>12}{served:>12}{diff:>8.2f}%")
    print(f"{'(shown, displayed)':<22}{sum(i.displayed for i in fleet):>12}"
          f"{'':>12}   acks still queued on installs that did not check again")
    # Installs on an affected version when the notice was filed, whose app starts at least
    # once a day: how long until their app knew?
    daily = [i for i in fleet if i.habit in ("daily", "heavy") and i.affected_at_publication]
    delays = sorted((i.told_at - sim.published_sim) / 3600 for i in daily
                    if i.told_at is not None)
    if delays:
        p95 = delays[min(len(delays) - 1, math.ceil(0.95 * len(delays)) - 1)]
        print(f"\ntime to tell (installs starting at least daily, {len(delays)} told of "
              f"{len(daily)}): median {statistics.median(delays):.1f} h, p95 {p95:.1f} h")
    told_times = sorted(i.told_at - sim.published_sim for i in fleet
                        if i.affected and i.told_at is not None)
    published_real = dt.datetime.fromisoformat(
        reach["published_at"].replace("Z", "+00:00")).timestamp()
    for key, share in (("told_p50_seconds", 0.5), ("told_p90_seconds", 0.9)):
        value = reach.get(key)
        served = "not reached" if value is None else (
            f"{(sim.clock.sim_of_real(published_real + value) - sim.published_sim) / 3600:.1f} h")
        need = max(1, math.ceil(truth["affected_installs"] * share))
        mine = (f"{told_times[need - 1] / 3600:.1f} h" if len(told_times) >= need
                else "not reached")
        print(f"until {share:.0%} of the affected were told: simulator {mine}, "
              f"reach API {served}")
    days = args.days
    per_day = sum(i.requests for i in fleet) / len(fleet) / days
    starts = sum(i.starts for i in fleet) / len(fleet) / days
    print(f"\ncheck requests per install per day: {per_day:.2f} "
          f"(app starts per install per day: {starts:.2f})")
    print(f"largest simulator/reach difference: {worst:.2f}% "
          f"({'within' if worst <= 1.0 else 'OUTSIDE'} the 1% target)")
    print(json.dumps({"truth": truth, "reach": reach}, sort_keys=True))


if __name__ == "__main__":
    main()

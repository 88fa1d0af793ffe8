"""Failure-spike fleet: 10,000 installs on a real updatesrv (gunicorn, loopback) through
the real client library. 1.9 is everywhere; 2.0 rolls out to 20% with a ramp to 50% due a
minute later. 5% of the Windows installs that move to 2.0 fail to start and report it
(start_failure, exit code 3); 0.5% of the macOS ones do too (below the 2% threshold). Prints
when the threshold was crossed (by the simulator's truth) beside when the rollout was
seen paused, whether the ramp stayed at 20%, that nothing else was paused or alarmed, and
the simulator's counts beside the server's.

    make bench-failures     # or: python benchmarks/failure_fleet.py [--installs 10000]
                            #        [--threads 8] [--workers 2] [--seed 1]

The server flushes statistics every second (STATS_FLUSH_INTERVAL=1); a real scheduler
process ticks every second. The rollout's state is polled on the vendor API every 0.1 s
(an endpoint that does not flush, so polling never hastens the alarm). About two minutes
on two cores. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleet import Vendor, serve
from harness import start, stop

PLATFORMS = ("windows-x86_64", "macos-arm64", "linux-x86_64")
FAIL_SHARE = {"windows-x86_64": 0.05, "macos-arm64": 0.005, "linux-x86_64": 0.0}
FLUSH_INTERVAL = 1.0
RAMP_AFTER = 60.0  # seconds until the ramp step to 50% is due
RETRIES = [0]


@dataclass
class Install:
    index: int
    platform: str
    state_dir: Path
    fails: bool = False
    version: str = "1.9"
    checked_at: float | None = None  # on 2.0
    reported_at: float | None = None


class Watch(threading.Thread):
    """Polls 2.0's rollout; remembers when it was first seen paused."""

    def __init__(self, vendor: Vendor) -> None:
        super().__init__(daemon=True)
        self.vendor = vendor
        self.paused_at: float | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        url = f"{self.vendor.base}/api/v1/products/fleet/releases/2.0"
        while not self.stop.is_set() and self.paused_at is None:
            if self.vendor.http.get(url, timeout=30).json().get("paused"):
                self.paused_at = time.time()
            time.sleep(0.1)


def client(base: str, install: Install):  # type: ignore[no-untyped-def]
    from updatesrv_client import UpdateClient

    return UpdateClient(base, "fleet", install.version, platform=install.platform,
                        state_dir=install.state_dir, timeout=10, deadline=30)


def first_check(base: str, install: Install) -> bool:
    """The install checks on 1.9; True when 2.0 is offered to it."""
    result = client(base, install).check(force=True)
    return result.update is not None and result.update.version == "2.0"


def start_new_version(base: str, install: Install) -> None:
    """The install moved to 2.0: it checks (counted as active on 2.0) and, when it is one
    of the failing ones, its launcher reports the failed start."""
    install.version = "2.0"
    app = client(base, install)
    app.check(force=True)
    if install.fails:
        app.report_failure("start_failure", exit_code=3, seconds_after_start=0.4)
        # What is not accepted stays queued and goes with the next send (a 503 while the
        # database is busy): the launcher's next start; here, at once.
        for attempt in range(10):
            if app.send_failure_reports() == 1:
                break
            RETRIES[0] += 1
            time.sleep(0.2 * (attempt + 1))
        else:
            raise SystemExit(f"install {install.index}: the report was never accepted")
        install.reported_at = time.time()
    install.checked_at = time.time()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--installs", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="updatesrv-failures-") as tmp:
        workdir = Path(tmp)
        server, base, token, env = serve(workdir, args.workers,
                                         STATS_FLUSH_INTERVAL=str(FLUSH_INTERVAL))
        scheduler = start([sys.executable, "-m", "updatesrv.cli", "scheduler", "--tick", "1"],
                          env, workdir / "scheduler.log")
        try:
            ok = run(args, base, Vendor(base, token), workdir)
        finally:
            stop(scheduler)
            stop(server)
    sys.exit(0 if ok else 1)


def run(args: argparse.Namespace, base: str, vendor: Vendor, workdir: Path) -> bool:
    rng = random.Random(args.seed)
    vendor.call("POST", "/api/v1/products", {"slug": "fleet", "name": "Fleet",
                                             "failure_reports": True})
    vendor.release("1.9")
    vendor.release("2.0")
    vendor.call("PATCH", "/api/v1/products/fleet/releases/2.0", {"rollout_percent": 20})
    vendor.release("2.1b1", channel="beta")
    vendor.call("PATCH", "/api/v1/products/fleet/releases/2.1b1", {"rollout_percent": 20})
    fleet = [Install(i, rng.choices(PLATFORMS, (0.5, 0.3, 0.2))[0],
                     workdir / "installs" / f"i{i:05d}") for i in range(args.installs)]
    print(f"failure fleet: {len(fleet)} installs, server {base} ({args.workers} workers)",
          flush=True)
    started = time.time()
    with ThreadPoolExecutor(args.threads) as pool:
        offered = [i for i, yes in zip(fleet, pool.map(lambda i: first_check(base, i), fleet),
                                       strict=True) if yes]
    print(f"  every install checked on 1.9 ({time.time() - started:.0f} s); "
          f"{len(offered)} offered 2.0 ({len(offered) / len(fleet):.1%})", flush=True)
    for install in offered:
        install.fails = rng.random() < FAIL_SHARE[install.platform]
    rng.shuffle(offered)
    vendor.call("PATCH", "/api/v1/products/fleet/releases/2.0",
                {"ramp": [{"percent": 50, "after_hours": RAMP_AFTER / 3600}]})
    ramp_due = time.time() + RAMP_AFTER
    watch = Watch(vendor)
    watch.start()
    moved_started = time.time()
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(lambda i: start_new_version(base, i), offered))
    crossed_at = crossing([i for i in offered if i.platform == PLATFORMS[0]])
    truly_crossed = sorted(("2.0", p) for p in PLATFORMS
                           if crossing([i for i in offered if i.platform == p]) is not None)
    print(f"  {len(offered)} installs moved to 2.0 ({time.time() - moved_started:.0f} s; "
          f"{RETRIES[0]} report sends retried)", flush=True)
    while time.time() < max(ramp_due + 3, (crossed_at or 0) + 3 * FLUSH_INTERVAL):
        time.sleep(0.2)
    watch.stop.set()
    return report(vendor, offered, crossed_at, watch.paused_at, ramp_due, truly_crossed)


def crossing(installs: list[Install]) -> float | None:
    """Truth: when the threshold (>= 5 installs and >= 2% of the active ones) was first
    met, counting at each report the installs that had checked on 2.0 by then."""
    reports = sorted(i.reported_at for i in installs if i.reported_at is not None)
    for failing, at in enumerate(reports, start=1):
        active = sum(1 for i in installs if i.checked_at is not None and i.checked_at <= at)
        if failing >= 5 and failing * 100 >= 2 * max(active, failing):
            return at
    return None


def report(vendor: Vendor, offered: list[Install], crossed_at: float | None,
           paused_at: float | None, ramp_due: float,
           truly_crossed: list[tuple[str, str]]) -> bool:
    groups = vendor.http.get(f"{vendor.base}/api/v1/products/fleet/reports",
                             timeout=60).json()["items"]
    releases = {v: vendor.http.get(f"{vendor.base}/api/v1/products/fleet/releases/{v}",
                                   timeout=30).json() for v in ("1.9", "2.0", "2.1b1")}
    ok = True
    print()
    if crossed_at is None or paused_at is None:
        print(f"threshold crossed: {crossed_at}, rollout seen paused: {paused_at}")
        ok = False
    else:
        delay = paused_at - crossed_at
        within = delay <= FLUSH_INTERVAL + 0.2  # + the 0.1 s poll and the request
        ok &= within
        print(f"alarm: rollout seen paused {delay:+.2f} s after the threshold was crossed "
              f"({'within' if within else 'OUTSIDE'} one {FLUSH_INTERVAL:g} s flush "
              "interval, + 0.2 s for polling)")
        before_ramp = paused_at < ramp_due
        ok &= before_ramp
        print(f"paused {ramp_due - paused_at:.1f} s before the ramp to 50% was due")
    two = releases["2.0"]
    widened = two["rollout_percent"] != 20
    ok &= not widened and two["paused"]
    print(f"2.0 after the ramp's due time: {two['rollout_percent']}%, paused={two['paused']}"
          f" ({two.get('paused_reason')})")
    others = {v: r["paused"] for v, r in releases.items() if v != "2.0"}
    ok &= not any(others.values())
    print(f"other releases paused: {others}")
    alarmed = sorted((g["version"], g["platform"]) for g in groups if g["alarmed"])
    ok &= alarmed == truly_crossed
    print(f"alarmed groups: {alarmed}; crossed by the simulator's truth: {truly_crossed}")
    print(f"\n{'group':<28}{'simulator':>10}{'server':>10}{'diff':>9}")
    worst = 0.0
    for platform in PLATFORMS:
        truth = sum(i.fails for i in offered if i.platform == platform)
        group = next((g for g in groups if g["platform"] == platform), None)
        served = group["installs"] if group else 0
        diff = (served - truth) / truth * 100 if truth else float(served)
        worst = max(worst, abs(diff))
        rate = f" (rate {group['failure_rate']:.2%})" if group else ""
        print(f"{'2.0 ' + platform:<28}{truth:>10}{served:>10}{diff:>8.2f}%{rate}")
    ok &= worst <= 1.0
    print(f"largest difference {worst:.2f}% ({'within' if worst <= 1.0 else 'OUTSIDE'} "
          "the 1% target)")
    print("RESULT:", "all targets met" if ok else "a target was MISSED")
    return ok


if __name__ == "__main__":
    main()

"""Render time of the public pages for big products, side by side with a trivial route.

    python benchmarks/pages_bench.py [--requests 30]

Seeds the same catalog as check_bench.py (10 releases, 10,000 releases, 1,000 notices) and
times each page in-process (Flask test client, so the numbers are the app's own work),
interleaving the pages over the requests and printing the median and its ratio to /healthz.
A benchmark, not a test: it never fails on the numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

PAGES = [
    "/healthz",
    "/p/large/",
    "/p/large/releases/",
    "/p/large/releases/?page=400",
    "/p/large/releases.atom",
    "/api/v1/products/large/releases?per_page=50",
    "/p/noticed/known-issues/",
    "/p/noticed/known-issues/?page=20",
    "/p/noticed/known-issues/?version=1.7&platform=windows-x86_64",
    "/p/noticed/known-issues.atom",
    "/p/noticed/known-issues.osv.json",
    "/p/noticed/known-issues/NOTI-2026-0500",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="updatesrv-pages-"))
    os.environ["UPDATESRV_INSTANCE_PATH"] = str(instance)
    import check_bench

    check_bench.seed(instance)
    from updatesrv import create_app

    client = create_app().test_client()
    timings: dict[str, list[float]] = {page: [] for page in PAGES}
    for page in PAGES:  # warm caches
        assert client.get(page).status_code == 200, page
    for _ in range(args.requests):
        for page in PAGES:
            started = time.perf_counter()
            client.get(page)
            timings[page].append((time.perf_counter() - started) * 1000)
    base = statistics.median(timings["/healthz"])
    print(f"\n{'page':<62} {'median ms':>10} {'x healthz':>11}   ({args.requests} interleaved "
          "requests each)")
    for page, values in timings.items():
        median = statistics.median(values)
        print(f"{page:<62} {median:>10.2f} {median / base:>11.1f}")


if __name__ == "__main__":
    main()

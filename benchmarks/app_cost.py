"""What one request costs the server process, measured in-process: CPU time through each
app's WSGI callable (no network, no gunicorn), rows interleaved in short rounds, medians.

    python benchmarks/app_cost.py [--rounds 30] [--requests 100]    # (make bench runs it)

The wrk figures of check_bench.py are what a client sees, and they swing when other programs
share the machine; these barely do, because every row is measured a few milliseconds apart
from the others. The check rows send a fresh install_id on every request and include the
statistics flush (run synchronously after each batch), so nothing the check costs is left
out. The same catalogs as check_bench.py; the same ratios (RATIOS), printed on the last lines
as reference cost / row cost (the throughput ratio a CPU-bound server would show)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bare_app import create_bare_app
from check_bench import RATIOS, check_path, seed

STAGING_ID = "5f0e5a36-6b8e-4d7c-9f1a-2f6f1c1d2e3f"


def environs(path: str, count: int, *, install_ids: bool, round_no: int,
             headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    url, _, query = path.partition("?")
    args = dict(item.split("=", 1) for item in query.split("&") if item)
    return [EnvironBuilder(path=url, headers=headers, query_string={
        **args, **({"install_id": f"cost-{round_no}-{i}"} if install_ids else {})},
    ).get_environ() for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="updatesrv-cost-"))
    os.environ["UPDATESRV_STATS_FLUSH_INTERVAL"] = "0"  # flushed inside the timing instead
    seed(workdir)
    from updatesrv import create_app, runtime

    apps = {"bare": create_bare_app(), "updatesrv": create_app(),
            "unsigned": create_app({"SERVER_KEYS_DIR": str(workdir / "no-keys")})}
    small = check_path("small", "1.7")
    first = apps["updatesrv"].test_client().get(check_path("noticed", "1.7"))
    # (row, app, path, fresh install ids, headers)
    rows: list[tuple[str, str, str, bool, dict[str, str]]] = [
        ("bare-flask", "bare", "/?x=1", False, {}),
        ("healthz", "updatesrv", "/healthz?x=1", False, {}),
        ("check-10", "updatesrv", small, True, {}),
        ("check-10k", "updatesrv", check_path("large", "1.9997"), True, {}),
        ("check-notices", "updatesrv", check_path("noticed", "1.7"), True, {}),
        ("check-no-id", "updatesrv", small, False, {}),
        ("check-304", "updatesrv", check_path("noticed", "1.7"), True,
         {"If-None-Match": first.headers["ETag"]}),
        ("check-10-unsigned", "unsigned", small, True, {}),
        ("electron-10", "updatesrv", "/u/small/electron/latest.yml?version=1.7", False,
         {"x-user-staging-id": STAGING_ID}),
    ]

    def cost(app_name: str, batch: list[dict[str, Any]]) -> float:
        app = apps[app_name]
        flush: Callable[[], object] = (runtime(app).recorder.flush if app_name != "bare"
                                       else lambda: None)
        started = time.process_time()
        for environ in batch:
            b"".join(app.wsgi_app(environ, lambda *a: None))
        flush()
        return (time.process_time() - started) / len(batch) * 1e6

    for _name, app_name, path, ids, headers in rows:  # warm: catalogs loaded, answers signed
        cost(app_name, environs(path, 20, install_ids=ids, round_no=-1, headers=headers))
    costs: dict[str, list[float]] = {row[0]: [] for row in rows}
    for round_no in range(args.rounds):
        for name, app_name, path, ids, headers in rows:
            batch = environs(path, args.requests, install_ids=ids, round_no=round_no,
                             headers=headers)
            costs[name].append(cost(app_name, batch))
    medians = {name: statistics.median(values) for name, values in costs.items()}
    print(f"\nserver CPU per request in-process (median of {args.rounds} interleaved rounds "
          f"of {args.requests}; check rows include the statistics flush)")
    for name, _app, _path, _ids, _headers in rows:
        print(f"{name:<18}{medians[name]:>8.0f} us")
    parts = []
    for name, reference, target in RATIOS:
        ratio = medians[reference] / medians[name]
        parts.append(f"{name}/{reference} {ratio:.2f} "
                     f"(>= {target:.2f} {'ok' if ratio >= target else 'BELOW TARGET'})")
    print("ratios in-process " + "; ".join(parts))


if __name__ == "__main__":
    main()

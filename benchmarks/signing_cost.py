"""What signing check answers costs per request, measured in-process (CPU time through the
WSGI app, no network), so the figure holds on a busy machine where wrk's numbers swing:
the same check against one app with a server key and one without, interleaved 30 times.

    python benchmarks/signing_cost.py      # (make bench runs it)

The answer and its signature are cached together, so the target is at most +10 %."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

ROUNDS, REQUESTS = 30, 200


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="updatesrv-signing-"))
    os.environ["UPDATESRV_INSTANCE_PATH"] = str(tmp)
    from updatesrv import create_app, migrate
    from updatesrv.accounts.services import Actor, create_vendor
    from updatesrv.db import db, write_intent
    from updatesrv.products.services import create_product
    from updatesrv.releases.services import create_release
    from updatesrv.trust.keys import generate

    generate(tmp / "keys")
    common = {"DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}", "SECRET_KEY": "bench",
              "STATS_FLUSH_INTERVAL": 0}
    signed = create_app({**common, "SERVER_KEYS_DIR": str(tmp / "keys")})
    unsigned = create_app({**common, "SERVER_KEYS_DIR": str(tmp / "no-keys")})
    with signed.app_context(), write_intent():
        migrate.upgrade(db.engine)
        actor = Actor(create_vendor(db.session, "bench", "Bench").id, "owner", "bench")
        product = create_product(db.session, actor, {"slug": "small", "name": "Small"})
        for minor in range(10):
            create_release(db.session, actor, product, {
                "version": f"1.{minor}", "notes": "- fixes", "artifacts": [{
                    "platform": "windows-x86_64", "url": f"https://cdn.example/{minor}.exe",
                    "size": 1000, "sha256": "0" * 64}]})
    environs = [EnvironBuilder(path="/api/v1/products/small/check", query_string={
        "version": "1.7", "platform": "windows-x86_64", "install_id": f"id{i}"}).get_environ()
        for i in range(REQUESTS)]

    def per_request(app: Any) -> float:
        started = time.process_time()
        for environ in environs:
            b"".join(app.wsgi_app(dict(environ), lambda *args: None))
        return (time.process_time() - started) / REQUESTS * 1e6

    per_request(signed), per_request(unsigned)  # warm: catalogs loaded, answer signed
    times: dict[str, list[float]] = {"signed": [], "unsigned": []}
    for _ in range(ROUNDS):
        times["signed"].append(per_request(signed))
        times["unsigned"].append(per_request(unsigned))
    s, u = statistics.median(times["signed"]), statistics.median(times["unsigned"])
    verdict = "ok" if s / u <= 1.10 else "ABOVE TARGET"
    print(f"check CPU per request, median of {ROUNDS}x{REQUESTS}: signed {s:.0f} us, "
          f"unsigned {u:.0f} us, signing adds {100 * (s / u - 1):+.1f}% (<= +10% {verdict})")


if __name__ == "__main__":
    sys.exit(main())

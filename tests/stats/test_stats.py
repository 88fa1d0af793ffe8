from __future__ import annotations

import datetime as dt
import threading

import sqlalchemy as sa

from updatesrv import runtime
from updatesrv.db import db
from updatesrv.stats.models import CheckCount, InstallSeen

from ..conftest import publish


def test_checks_are_counted_per_version_with_distinct_installs(app, api, product):
    publish(api, product, "1.0")
    publish(api, product, "1.1")
    for install, version in [("a", "1.0"), ("a", "1.0"), ("b", "1.0"), ("c", "1.1"),
                             (None, "1.1")]:
        url = f"/api/v1/products/ledgerly/check?version={version}&platform=windows-x86_64"
        if install:
            url += f"&install_id=install-{install}"
        assert api.client.get(url).status_code == 200
    stats = api.get("/api/v1/products/ledgerly/stats").json
    today = stats["days"][-1]
    assert today["versions"]["1.0"] == {"checks": 3, "installs": 2}
    assert today["versions"]["1.1"] == {"checks": 2, "installs": 1}
    assert stats["active_installs"] == {"1.0": 2, "1.1": 1}


def test_no_raw_install_id_is_stored(app, api, product):
    publish(api, product, "1.0")
    api.client.get("/api/v1/products/ledgerly/check?version=1.0&install_id=secret-install-id")
    runtime(app).recorder.flush()
    with app.app_context():
        hashes = db.session.scalars(sa.select(InstallSeen.install_hash)).all()
    assert len(hashes) == 1 and "secret" not in hashes[0] and len(hashes[0]) == 32


def test_concurrent_flushes_add_up(app, api, product):
    """Several processes' buffers land on the same rows: upserts add, never overwrite."""
    publish(api, product, "1.0")
    recorder = runtime(app).recorder
    with app.app_context():
        product_id = db.session.scalar(sa.text("select id from products"))
    now = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)

    def work(n):
        for i in range(50):
            recorder.record(product_id, "1.0", "stable", "windows-x86_64", f"id-{n}-{i}", now)
            if i % 10 == 0:
                recorder.flush()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recorder.flush()
    with app.app_context():
        checks = db.session.scalar(sa.select(sa.func.sum(CheckCount.checks)))
        installs = db.session.scalar(sa.select(sa.func.count()).select_from(InstallSeen))
    assert checks == 200 and installs == 200


def test_stats_need_own_token(app, client, api, product):
    assert client.get("/api/v1/products/ledgerly/stats").status_code == 401
    assert api.get("/api/v1/products/ledgerly/stats?days=0").status_code == 400
    assert api.get("/api/v1/products/ledgerly/stats?days=x").status_code == 400

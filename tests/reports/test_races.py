"""Several workers (each with its own in-memory buffer) flushing failure reports at once:
counts add up, and the alarm is raised, the rollout paused and the vendor told once.
SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from tests.conftest import publish
from updatesrv import runtime
from updatesrv.db import db
from updatesrv.outbox.models import OutboxEvent
from updatesrv.reports.batch import Report
from updatesrv.reports.models import FailureGroup, FailureInstall
from updatesrv.stats.services import CheckRecorder

from .test_reports_api import URL, WIN, check, enable

WORKERS = 4
INSTALLS_EACH = 10
START = Report(kind="start_failure", fingerprint="exit:3", version="2.0", count=1,
               detail={"exit_code": 3})


def test_concurrent_flushes_add_up_and_alarm_once(app, api, product, client):
    publish(api, "ledgerly", "2.0", rollout_percent=20)
    enable(api)
    for n in range(WORKERS * INSTALLS_EACH):
        check(client, f"w{n}")
    rt = runtime(app)
    rt.recorder.flush()
    factory = app.extensions["updatesrv.db"][1]
    with app.app_context():
        product_id = rt.catalogs.get("ledgerly").product_id  # type: ignore[union-attr]
    workers = [CheckRecorder(rt.recorder._hash_key, factory, 0) for _ in range(WORKERS)]
    for w, recorder in enumerate(workers):
        for n in range(INSTALLS_EACH):
            install = f"w{w * INSTALLS_EACH + n}"
            recorder.record_reports(product_id, install, WIN, (START,))
            recorder.record_reports(product_id, install, WIN, (START,))
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def flush(recorder: CheckRecorder) -> None:
        try:
            barrier.wait()
            recorder.flush()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=flush, args=(r,)) for r in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with app.app_context():
        group = db.session.scalars(sa.select(FailureGroup)).one()
        assert group.reports == 2 * WORKERS * INSTALLS_EACH
        assert db.session.scalar(sa.select(sa.func.count()).select_from(
            FailureInstall)) == WORKERS * INSTALLS_EACH
        assert group.alarmed_at is not None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent).where(
            OutboxEvent.kind == "failure.spike")) == 1
    audit = api.get("/api/v1/audit?object_type=release").json["items"]
    assert [e["action"] for e in audit].count("release.auto_pause") == 1
    assert api.get(URL).json["today"]["accepted"] == 2 * WORKERS * INSTALLS_EACH

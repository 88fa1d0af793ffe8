"""Statistics under a database stall and a flood (issue 8.2, 8.13), on SQLite and
PostgreSQL: bounded chunks of one compiled statement, a bounded buffer whose losses are
counted and reported, no statement parameters in the log, a per-day install cap."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from updatesrv import runtime
from updatesrv.db import db
from updatesrv.stats.models import CheckCount, InstallSeen, UnrecordedCount
from updatesrv.stats.services import CheckRecorder

from ..conftest import make_app, publish

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


@pytest.fixture
def stall_app(tmp_path, pg_schema, monkeypatch):
    monkeypatch.setenv("UPDATESRV_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, pg_schema, DB_LOCK_TIMEOUT=0.3)
    yield app
    runtime(app).recorder.stop()
    app.extensions["updatesrv.db"][0].dispose()


def _product_id(app) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.text("select id from products")))


def _lock_installs(app):
    engine = app.extensions["updatesrv.db"][0]
    if engine.dialect.name == "sqlite":
        conn = sqlite3.connect(engine.url.database, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        return conn.close
    conn = sa.create_engine(engine.url).connect()
    conn.execute(sa.text("LOCK TABLE installs_seen IN ACCESS EXCLUSIVE MODE"))
    return conn.close


def _count(app, model) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)))


def _api(app):
    from ..conftest import Api, make_vendor

    _, token = make_vendor(app)
    api = Api(app.test_client(), token)
    assert api.post("/api/v1/products", json={"slug": "ledgerly", "name": "L"}).status_code == 201
    return api


def test_a_stall_then_a_big_backlog_is_written_in_chunks(stall_app, caplog):
    """30,000 installs are 180,000 values: more than either database takes as bind
    parameters of one statement. After the stall everything is written, nothing lost, and
    the log holds neither the parameters nor multi-megabyte lines."""
    app = stall_app
    api = _api(app)
    publish(api, "ledgerly", "1.0")
    recorder = runtime(app).recorder
    pid = _product_id(app)
    release = _lock_installs(app)
    try:
        for i in range(30_000):
            recorder.record(pid, "1.0", "stable", "windows-x86_64", f"install-{i}", NOW)
        with caplog.at_level(logging.DEBUG), pytest.raises(sa.exc.OperationalError) as failed:
            recorder.flush()
    finally:
        release()
    assert "hidden" in str(failed.value) or len(str(failed.value)) < 2000
    recorder._log_failure(failed.value)
    assert recorder.buffered() == 30_001, "the failed flush put everything back"
    assert recorder.flush() == 30_000
    assert _count(app, InstallSeen) == 30_000
    with app.app_context():
        assert db.session.scalar(sa.select(CheckCount.checks)) == 30_000
    logged = "\n".join(r.getMessage() + (str(r.exc_info[1]) if r.exc_info else "")
                       for r in caplog.records)
    some_hash = recorder.install_hash("install-123")
    assert some_hash not in logged and max(map(len, logged.splitlines() or [""])) < 5000


def test_one_statement_whatever_the_batch_size(app, api, product):
    publish(api, product, "1.0")
    recorder = runtime(app).recorder
    pid = _product_id(app)
    statements: set[str] = set()
    engine = app.extensions["updatesrv.db"][0]

    def remember(_conn, _cursor, statement, *_args):
        if "installs_seen" in statement and statement.lstrip().upper().startswith("INSERT"):
            statements.add(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        n = 0
        for size in (1, 2, 3, 7, 50, 1500):
            for _ in range(size):
                recorder.record(pid, "1.0", "stable", "", f"id-{n}", NOW)
                n += 1
            recorder.flush()
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert len(statements) == 1, statements
    assert _count(app, InstallSeen) == n


def test_the_buffer_is_bounded_and_says_what_it_dropped(app, api, product, caplog):
    publish(api, product, "1.0")
    recorder = runtime(app).recorder
    recorder.buffer_limit = 100
    pid = _product_id(app)
    today = dt.datetime.now(dt.UTC)
    with caplog.at_level(logging.WARNING, logger="updatesrv.stats.services"):
        for i in range(300):
            recorder.record(pid, f"1.0.{i}", "stable", "", f"id-{i}", today)
        assert recorder.buffered() <= 100
        warnings = [r for r in caplog.records if "buffer full" in r.getMessage()]
        assert len(warnings) == 1, "said once, not once per check"
        recorder.flush()
    stats = api.get("/api/v1/products/ledgerly/stats").json
    lost = stats["unrecorded"]
    stored_checks = sum(v["checks"] for d in stats["days"] for v in d["versions"].values())
    assert stored_checks + lost["checks_dropped"] == 300
    assert lost["checks_dropped"] > 0 and lost["installs_dropped"] > 0
    assert lost["days"][0]["date"] == today.date().isoformat()
    assert any("could not be recorded" in r.getMessage() for r in caplog.records)


def test_random_install_ids_are_capped_per_product_and_day(app, api, product):
    """100,000 random ids must not add 100,000 rows: at most the cap, the rest counted."""
    publish(api, product, "1.0")
    recorder = runtime(app).recorder
    recorder.installs_per_day = 50
    pid = _product_id(app)
    today = dt.datetime.now(dt.UTC)
    for i in range(200):
        recorder.record(pid, "1.0", "stable", "", f"random-{i}", today)
    recorder.flush()
    for i in range(200, 300):
        recorder.record(pid, "1.0", "stable", "", f"random-{i}", today)
    recorder.flush()
    # Another web process (its own recorder) respects the same cap.
    other = CheckRecorder(b"k", app.extensions["updatesrv.db"][1], 0, installs_per_day=50)
    for i in range(100):
        other.record(pid, "1.0", "stable", "", f"elsewhere-{i}", today)
    other.flush()
    assert _count(app, InstallSeen) == 50
    stats = api.get("/api/v1/products/ledgerly/stats").json
    assert stats["unrecorded"]["installs_over_cap"] == 350
    assert stats["days"][-1]["versions"]["1.0"]["checks"] == 400
    with app.app_context():
        assert db.session.scalar(sa.select(UnrecordedCount.installs_over_cap)) == 350

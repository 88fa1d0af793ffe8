"""Every host may run a scheduler: housekeeping (not claimed row by row) runs under a lock
that one scheduler holds at a time (PostgreSQL advisory lock, SQLite file lock), so its
work is done once across hosts, and ramp steps keep applying while it runs elsewhere."""

from __future__ import annotations

import ast
import datetime as dt
import os
import subprocess
import sys

import sqlalchemy as sa

from updatesrv import runtime
from updatesrv.db import db
from updatesrv.scheduling.claims import exclusive
from updatesrv.scheduling.runner import run_once
from updatesrv.stats.models import CheckCount, InstallSeen

from ..conftest import publish

WIN = "windows-x86_64"


def _engine(app) -> sa.Engine:
    engine: sa.Engine = app.extensions["updatesrv.db"][0]
    return engine


def test_one_holder_at_a_time(app):
    engine = _engine(app)
    with exclusive(engine, "housekeeping") as first:
        assert first
        with exclusive(engine, "housekeeping") as second:
            assert not second  # another connection / open file: another scheduler
        with exclusive(engine, "other-job") as other:
            assert other
    with exclusive(engine, "housekeeping") as again:
        assert again  # released at the end of the block


def _old_installs(app, api, product, count: int) -> dt.date:
    publish(api, product, "1.0")
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    recorder = runtime(app).recorder
    with app.app_context():
        product_id = db.session.scalar(sa.text("select id from products"))
    for i in range(count):
        recorder.record(product_id, "1.0", "stable", WIN, f"install-{i}", old)
    recorder.flush()
    return old.date()


def test_housekeeping_waits_for_the_holder_and_ramps_do_not(app, api, product):
    day = _old_installs(app, api, product, 5)
    with exclusive(_engine(app), "housekeeping"):  # another host's scheduler
        done = run_once(app)
        assert "ramp_steps" in done and "install_hashes_rolled_up" not in done
    assert run_once(app)["install_hashes_rolled_up"] == 5
    with app.app_context():
        assert db.session.scalar(sa.select(CheckCount.installs).where(
            CheckCount.day == day)) == 5


def test_housekeeping_done_once_by_racing_scheduler_processes(app, api, product, tmp_path):
    """Four real `updatesrv scheduler --once` processes, as four hosts would start them."""
    day = _old_installs(app, api, product, 40)
    env = {**os.environ, "UPDATESRV_DATABASE_URL": app.config["DATABASE_URL"],
           "UPDATESRV_INSTANCE_PATH": str(tmp_path / "inst"), "UPDATESRV_SECRET_KEY": "x"}
    procs = [subprocess.Popen([sys.executable, "-m", "updatesrv.cli", "scheduler", "--once"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    done = [ast.literal_eval(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert sum(d.get("install_hashes_rolled_up", 0) for d in done) == 40
    with app.app_context():
        assert db.session.scalar(sa.select(CheckCount.installs).where(
            CheckCount.day == day)) == 40
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InstallSeen)) == 0

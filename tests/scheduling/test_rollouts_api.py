from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from updatesrv import runtime
from updatesrv.audit.models import AuditEvent
from updatesrv.db import db
from updatesrv.releases.models import Release
from updatesrv.rollouts.models import RampStep
from updatesrv.scheduling import jobs
from updatesrv.scheduling.runner import run_once
from updatesrv.stats.models import CheckCount, InstallSeen

from ..conftest import publish
from ..notices.test_api import file_notice

WIN = "windows-x86_64"


def check(api, version, install_id=None, channel="stable"):
    url = f"/api/v1/products/ledgerly/check?version={version}&platform={WIN}&channel={channel}"
    if install_id:
        url += f"&install_id={install_id}"
    return api.client.get(url).json


def test_rollout_fields_via_api(api, product):
    publish(api, product, "1.0")
    publish(api, product, "1.1", rollout_percent=0)
    assert check(api, "1.0", "abc")["update"] is None
    bad = api.patch("/api/v1/products/ledgerly/releases/1.1", json={"rollout_percent": 101})
    assert bad.status_code == 400
    body = api.patch("/api/v1/products/ledgerly/releases/1.1",
                     json={"rollout_percent": 100}).json
    assert body["rollout_percent"] == 100
    assert check(api, "1.0", "abc")["update"]["version"] == "1.1"
    paused = api.patch("/api/v1/products/ledgerly/releases/1.1", json={"paused": True}).json
    assert paused["paused"] is True
    assert check(api, "1.0", "abc")["update"] is None
    api.patch("/api/v1/products/ledgerly/releases/1.1", json={"paused": False})
    actions = [e["action"] for e in api.get("/api/v1/audit?object_type=release").json["items"]]
    assert actions[:2] == ["release.resume", "release.pause"]
    bad = api.patch("/api/v1/products/ledgerly/releases/1.1", json={"min_upgrade_from": "2.0"})
    assert bad.status_code == 400


def test_emergency_stop(api, product):
    publish(api, product, "1.0")
    publish(api, product, "1.1", critical=True)
    file_notice(api, affected=">=1.0")
    url = "/api/v1/products/ledgerly/channels/stable/stop"
    stopped = api.post(url, json={"reason": "bad build on CDN"})
    assert stopped.status_code == 200 and stopped.json["stopped"][0]["channel"] == "stable"
    body = check(api, "1.0", "abc")
    assert body["update"] is None and len(body["notices"]) == 1
    # Only installs checking on the stopped channel are affected.
    assert check(api, "1.0", "abc", channel="beta")["update"]["version"] == "1.1"
    assert api.post(url).status_code == 200  # idempotent
    assert api.client.post(url).status_code == 401
    assert api.post("/api/v1/products/ledgerly/channels/weekly/stop").status_code == 404
    assert api.delete(url).json["stopped"] == []
    assert check(api, "1.0", "abc")["update"]["version"] == "1.1"
    actions = [e["action"] for e in api.get("/api/v1/audit?object_type=channel").json["items"]]
    assert actions == ["channel.resume", "channel.stop"]


def test_safeguard_hold(api, product):
    publish(api, product, "2.0")
    publish(api, product, "2.1")
    notice = file_notice(api, affected="<2.1", platforms=[WIN], hold_release="2.1")
    assert check(api, "2.0", "abc")["update"] is None
    api.patch(f"/api/v1/products/ledgerly/notices/{notice['id']}", json={"hold_release": None})
    assert check(api, "2.0", "abc")["update"]["version"] == "2.1"
    api.patch(f"/api/v1/products/ledgerly/notices/{notice['id']}", json={"hold_release": "2.1"})
    assert check(api, "2.0", "abc")["update"] is None
    api.patch(f"/api/v1/products/ledgerly/notices/{notice['id']}", json={"status": "fixed"})
    assert check(api, "2.0", "abc")["update"]["version"] == "2.1"


def test_auto_halt_on_critical_notice(app, api, product):
    publish(api, product, "2.0")
    publish(api, product, "2.1", rollout_percent=10)
    publish(api, product, "2.2", rollout_percent=10)
    minor = file_notice(api, affected="==2.1", severity="minor", title="cosmetic")
    assert api.get("/api/v1/products/ledgerly/releases/2.1").json["paused"] is False
    api.patch(f"/api/v1/products/ledgerly/notices/{minor['id']}", json={"severity": "critical"})
    release = api.get("/api/v1/products/ledgerly/releases/2.1").json
    assert release["paused"] is True and minor["id"] in release["paused_reason"]
    assert api.get("/api/v1/products/ledgerly/releases/2.2").json["paused"] is False
    # Widening the critical notice to 2.2 halts that rollout too.
    api.patch(f"/api/v1/products/ledgerly/notices/{minor['id']}", json={"affected": ">=2.1"})
    assert api.get("/api/v1/products/ledgerly/releases/2.2").json["paused"] is True
    events = api.get("/api/v1/audit?object_type=release").json["items"]
    assert [e["actor"] for e in events if e["action"] == "release.auto_pause"] == ["system"] * 2
    # Fully rolled-out releases are not paused.
    publish(api, product, "3.0")
    file_notice(api, affected="==3.0", severity="critical")
    assert api.get("/api/v1/products/ledgerly/releases/3.0").json["paused"] is False


def test_scheduled_publish_changes_the_etag_on_time(app, api, product, monkeypatch):
    import updatesrv.api.check as public

    publish(api, product, "1.0")
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    publish(api, product, "1.1", publish_at=soon.isoformat())
    url = f"/api/v1/products/ledgerly/check?version=1.0&platform={WIN}"
    first = api.client.get(url)
    assert first.json["update"] is None
    assert api.client.get("/p/ledgerly/releases/1.1").status_code == 404
    monkeypatch.setattr(public, "utcnow", lambda: soon + dt.timedelta(seconds=1))
    later = api.client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert later.status_code == 200 and later.json["update"]["version"] == "1.1"


def _ramp(api, product, now):
    publish(api, product, "1.0")
    body = publish(api, product, "1.1", ramp=[{"percent": 5, "after_hours": 0},
                                             {"percent": 25, "after_hours": 24},
                                             {"percent": 100, "after_hours": 72}])
    assert body["rollout_percent"] == 5
    return body


def percent(api):
    return api.get("/api/v1/products/ledgerly/releases/1.1").json["rollout_percent"]


def test_ramp_plan_at_fixed_clock_times(app, api, product):
    start = dt.datetime.now(dt.UTC)
    _ramp(api, product, start)
    assert run_once(app, start + dt.timedelta(hours=23))["ramp_steps"] == 0
    assert percent(api) == 5
    assert run_once(app, start + dt.timedelta(hours=24, minutes=1))["ramp_steps"] == 1
    assert percent(api) == 25
    # Paused: the ramp stops, and resumes where it was.
    api.patch("/api/v1/products/ledgerly/releases/1.1", json={"paused": True})
    assert run_once(app, start + dt.timedelta(hours=80))["ramp_steps"] == 0
    assert percent(api) == 25
    api.patch("/api/v1/products/ledgerly/releases/1.1", json={"paused": False})
    assert run_once(app, start + dt.timedelta(hours=81))["ramp_steps"] == 1
    assert percent(api) == 100
    events = [e for e in api.get("/api/v1/audit?object_type=release").json["items"]
              if e["action"] == "release.ramp"]
    assert [(e["actor"], e["after"]["rollout_percent"]) for e in events] == [
        ("system", 100), ("system", 25)]
    bad = api.patch("/api/v1/products/ledgerly/releases/1.1",
                    json={"ramp": [{"percent": 50, "after_hours": 1},
                                   {"percent": 10, "after_hours": 2}]})
    assert bad.status_code == 400


def test_racing_schedulers_apply_each_step_once(app, api, product):
    start = dt.datetime.now(dt.UTC)
    _ramp(api, product, start)
    maker = app.extensions["updatesrv.db"][1]
    results: list[int] = []
    barrier = threading.Barrier(4)

    def race():
        barrier.wait()
        results.append(jobs.apply_due_ramp_steps(maker, start + dt.timedelta(days=4)))

    threads = [threading.Thread(target=race) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 2  # the two future steps, each applied by exactly one runner
    assert percent(api) == 100
    with app.app_context():
        ramps = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "release.ramp"))
    assert ramps == 2


def test_racing_scheduler_processes(app, api, product, tmp_path):
    """Two real `updatesrv scheduler --once` processes on the same due steps."""
    import os
    import subprocess
    import sys

    start = dt.datetime.now(dt.UTC)
    _ramp(api, product, start)
    env = {**os.environ, "UPDATESRV_DATABASE_URL": app.config["DATABASE_URL"],
           "UPDATESRV_INSTANCE_PATH": str(tmp_path / "inst"), "UPDATESRV_SECRET_KEY": "x"}
    when = (start + dt.timedelta(days=4)).isoformat()
    procs = [subprocess.Popen([sys.executable, "-m", "updatesrv.cli", "scheduler", "--once",
                               "--now", when], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    applied = sum(int(out.split("'ramp_steps': ")[1].split(",")[0]) for out, _ in outputs)
    assert applied == 2 and percent(api) == 100


def test_crash_between_claim_and_apply_is_recovered(app, api, product, monkeypatch):
    start = dt.datetime.now(dt.UTC)
    _ramp(api, product, start)

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(jobs.audit, "record", crash)
    with pytest.raises(RuntimeError):
        run_once(app, start + dt.timedelta(hours=25), housekeeping=False)
    monkeypatch.undo()
    assert percent(api) == 5
    with app.app_context():
        pending = db.session.scalar(sa.select(sa.func.count()).select_from(RampStep).where(
            RampStep.applied_at.is_(None)))
    assert pending == 2  # the claim rolled back with the rest
    assert run_once(app, start + dt.timedelta(hours=25))["ramp_steps"] == 1
    assert percent(api) == 25


def test_housekeeping_rolls_up_old_install_hashes(app, api, product):
    publish(api, product, "1.0")
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    recorder = runtime(app).recorder
    with app.app_context():
        product_id = db.session.scalar(sa.text("select id from products"))
    for i in range(3):
        recorder.record(product_id, "1.0", "stable", WIN, f"install-{i}", old)
    recorder.record(product_id, "1.0", "stable", WIN, "install-0", dt.datetime.now(dt.UTC))
    recorder.flush()
    done = run_once(app)
    assert done["install_hashes_rolled_up"] == 3
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InstallSeen)) == 1
        rolled = db.session.scalar(sa.select(CheckCount.installs).where(
            CheckCount.day == old.date()))
    assert rolled == 3
    stats = api.get("/api/v1/products/ledgerly/stats?days=60").json
    day = next(d for d in stats["days"] if d["date"] == old.date().isoformat())
    assert day["versions"]["1.0"] == {"checks": 3, "installs": 3}


def test_release_json_shows_rollout_state(api, product):
    publish(api, product, "1.0", rollout_percent=30, min_upgrade_from="0.9")
    body = api.get("/api/v1/products/ledgerly/releases/1.0").json
    assert (body["rollout_percent"], body["paused"], body["min_upgrade_from"]) == (30, False,
                                                                                 "0.9")
    # Existing databases get the default for releases made before rollouts existed.
    assert Release.__table__.c.rollout_percent.server_default is not None


def test_cached_answers_follow_each_installs_rollout_bucket(api, product):
    """The check caches whole answers; installs in and out of a partial rollout, asking in
    any order, must still each get their own answer."""
    from updatesrv.updates.decision import rollout_bucket

    publish(api, product, "1.0")
    publish(api, product, "1.1", rollout_percent=50)
    installs = [f"install-{i}" for i in range(60)]
    for install in installs + installs[::-1]:
        expected = "1.1" if rollout_bucket(install, "ledgerly", "1.1") < 5000 else None
        update = check(api, "1.0", install)["update"]
        assert (update and update["version"]) == expected, install
    assert {check(api, "1.0", i)["update"] is None for i in installs} == {True, False}

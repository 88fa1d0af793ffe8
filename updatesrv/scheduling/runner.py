"""The scheduler process (APScheduler 3), started by ``updatesrv scheduler`` or beside the
web server by ``updatesrv serve`` — on one host or on every host. It only ticks; what is
due lives in the database and is claimed there (ramp steps and outbox rows one by one,
housekeeping under a lock, see claims.py), so a missed, doubled or concurrent tick on
another host is harmless."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import Flask

from ..db import utcnow
from .claims import exclusive
from .jobs import run_due_work

log = logging.getLogger(__name__)


def run_once(app: Flask, now: dt.datetime | None = None, housekeeping: bool = True,
             deltas: bool = True,
             channels: tuple[str, ...] = ("mail", "webhook")) -> dict[str, int]:
    """Everything due at ``now``; the outbox only for ``channels``."""
    from .. import runtime
    from ..outbox.jobs import reach_housekeeping, run_outbox

    engine, maker = app.extensions["updatesrv.db"]
    now = now or utcnow()
    done = run_due_work(maker, runtime(app).store, now, housekeeping=False)
    if housekeeping:
        with exclusive(engine, "housekeeping") as held:
            if held:
                done.update(run_due_work(maker, runtime(app).store, now,
                                         ramps=False))
                done.update(reach_housekeeping(maker, now))
            else:
                log.info("housekeeping skipped: another scheduler is doing it")
    done.update(run_outbox(maker, app.config, now, channels))
    if deltas:
        done.update(build_deltas(app, now))
    return done


def build_deltas(app: Flask, now: dt.datetime | None = None) -> dict[str, int]:
    """Plans and builds binary deltas (updatesrv/deltas); its own job in run_forever, so a
    long build never delays a ramp step or a mail."""
    from .. import runtime
    from ..deltas.services import DeltaSettings, run_deltas

    _, maker = app.extensions["updatesrv.db"]
    return run_deltas(maker, runtime(app).store, DeltaSettings.from_config(app.config),
                      now or utcnow())


def run_webhooks(app: Flask, now: dt.datetime | None = None) -> dict[str, int]:
    """Webhook deliveries alone: a job of their own, so an endpoint that takes its time
    never delays the tick that sends mail and applies ramp steps."""
    from ..outbox.jobs import run_outbox

    _, maker = app.extensions["updatesrv.db"]
    return run_outbox(maker, app.config, now or utcnow(), ("webhook",))


def report(label: str, done: dict[str, Any]) -> None:
    """INFO only when a run did something: an idle scheduler stays quiet in the logs."""
    worked = {k: v for k, v in done.items() if v}
    if worked:
        log.info("%s: %s", label, ", ".join(f"{k}={v}" for k, v in worked.items()))
    else:
        log.debug("%s: nothing to do", label)


def quiet_library_logs() -> None:
    # APScheduler logs every run of every job at INFO ("Running job ...", "executed
    # successfully"): twice a tick, forever. Its warnings (missed runs) still show.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)


def run_forever(app: Flask, tick_seconds: float = 30.0,
                housekeeping_seconds: float = 3600.0) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    def tick() -> None:
        try:
            report("tick", run_once(app, housekeeping=False, deltas=False,
                                    channels=("mail",)))
        except Exception:  # the next tick retries: nothing due is lost
            log.exception("scheduler tick failed")

    def deltas() -> None:
        try:
            report("deltas", build_deltas(app))
        except Exception:  # a pending or claimed row is taken again by a later run
            log.exception("building deltas failed")

    def webhooks() -> None:
        try:
            report("webhooks", run_webhooks(app))
        except Exception:
            log.exception("webhook deliveries failed")

    def housekeep() -> None:
        try:
            report("housekeeping", run_once(app, deltas=False, channels=("mail",)))
        except Exception:
            log.exception("housekeeping failed")

    quiet_library_logs()
    scheduler = BlockingScheduler(timezone=dt.UTC)
    options: dict[str, Any] = {"max_instances": 1, "coalesce": True,
                               "misfire_grace_time": None}
    scheduler.add_job(tick, IntervalTrigger(seconds=tick_seconds), id="tick",
                      next_run_time=dt.datetime.now(dt.UTC), **options)
    scheduler.add_job(deltas, IntervalTrigger(seconds=tick_seconds), id="deltas",
                      next_run_time=dt.datetime.now(dt.UTC), **options)
    scheduler.add_job(webhooks, IntervalTrigger(seconds=tick_seconds), id="webhooks",
                      next_run_time=dt.datetime.now(dt.UTC), **options)
    scheduler.add_job(housekeep, IntervalTrigger(seconds=housekeeping_seconds),
                      id="housekeeping", next_run_time=dt.datetime.now(dt.UTC), **options)
    log.info("scheduler running: tick every %ss, housekeeping every %ss", tick_seconds,
             housekeeping_seconds)
    scheduler.start()

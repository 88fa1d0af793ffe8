"""Soak (bounded, about a minute): a real scheduler process delivers 2,000 mails and 500
webhooks while a poison row, a dripping endpoint, an endpoint answering 100 MiB and a
refusing endpoint are in the queue. Every good message is delivered exactly once and no
later than two ticks after it was due, the scheduler's peak memory stays under 200 MB,
and the vendor sees each bad delivery's reason."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from tests.hostile_endpoints import Endpoint, refusing_url, wait_for
from tests.reach_helpers import file_notice
from updatesrv.db import db, write_intent
from updatesrv.outbox.models import OutboxMessage
from updatesrv.outbox.services import enqueue_mail

MAILS, NOTICES, GOOD_ENDPOINTS = 2000, 100, 5
TICK_SECONDS = 30  # the default tick
PEAK_MEMORY_LIMIT_KB = 200 * 1024


def _register(api, product, url):
    response = api.post(f"/api/v1/products/{product}/webhooks", json={"url": url})
    assert response.status_code == 201, response.json
    return response.json["id"]


def _peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_soak_good_messages_flow_around_bad_ones(app, api, product, mailbox, tmp_path):
    good = [Endpoint("ok") for _ in range(GOOD_ENDPOINTS)]
    drip, huge = Endpoint("drip", interval=0.5), Endpoint("huge", size=100 * 1024 * 1024)
    refusing = refusing_url()
    scheduler = None
    try:
        for endpoint in good:
            _register(api, product, endpoint.url)
        bad = {_register(api, product, drip.url): "deadline",
               _register(api, product, refusing): "cannot deliver"}
        _register(api, product, huge.url)  # answers 200: a success, 64 KiB read
        for i in range(NOTICES):
            file_notice(api, product, title=f"Notice {i}")
        with app.app_context(), write_intent():
            for i in range(MAILS):
                if i == MAILS // 2:
                    enqueue_mail(db.session, to="poison@example.com",
                                 subject="Line\nbreak", text="x", dedupe_key="poison")
                enqueue_mail(db.session, to=f"user{i}@example.com", subject=f"Mail {i}",
                             text="Hello", dedupe_key=f"soak:{i}")
            db.session.commit()

        env = {**os.environ,
               "UPDATESRV_DATABASE_URL": app.config["SQLALCHEMY_ENGINES"]["default"],
               "UPDATESRV_MAIL_URL": mailbox.url, "UPDATESRV_WEBHOOK_ALLOW_PRIVATE": "true",
               "UPDATESRV_WEBHOOK_TIMEOUT": "2", "UPDATESRV_BASE_URL": "http://updates.example",
               "UPDATESRV_SECRET_KEY": json.dumps(app.config["SECRET_KEY"]),
               "UPDATESRV_STATS_FLUSH_INTERVAL": "0",
               "UPDATESRV_INSTANCE_PATH": str(tmp_path / "instance-scheduler")}
        code = ("from updatesrv import create_app\n"
                "from updatesrv.scheduling.runner import run_forever\n"
                f"run_forever(create_app(), tick_seconds={TICK_SECONDS})\n")
        scheduler = subprocess.Popen([sys.executable, "-c", code], env=env)
        started = time.monotonic()
        delivered = wait_for(lambda: len(mailbox.messages) >= MAILS and sum(
            len(e.requests) for e in good) >= NOTICES * GOOD_ENDPOINTS, seconds=180)
        elapsed = time.monotonic() - started
        peak_kb = _peak_rss_kb(scheduler.pid)
        assert delivered, (len(mailbox.messages), [len(e.requests) for e in good])
        assert scheduler.poll() is None, "the scheduler died"
        print(f"soak: delivered in {elapsed:.1f} s, scheduler peak RSS {peak_kb / 1024:.0f} MB")
        assert peak_kb < PEAK_MEMORY_LIMIT_KB, peak_kb

        # Exactly once: each address one mail, each endpoint each notice once.
        assert sorted(Counter(m["To"] for m in mailbox.messages).values()) == [1] * MAILS
        for endpoint in good:
            assert sorted(Counter(endpoint.requests).values()) == [1] * NOTICES
        with app.app_context():
            rows = db.session.scalars(sa.select(OutboxMessage)).all()
            late = [r.id for r in rows if r.status == "sent" and r.sent_at is not None
                    and r.sent_at - r.next_attempt_at > dt.timedelta(seconds=2 * TICK_SECONDS)]
            assert not late, late[:10]
            poison = next(r for r in rows if r.dedupe_key == "poison")
            assert poison.status == "failed" and "cannot be built" in poison.last_error
        # The vendor sees why: each bad endpoint's circuit and its deliveries' errors.
        hooks = {h["id"]: h for h in api.get(
            f"/api/v1/products/{product}/webhooks").json["items"]}
        for hook_id, reason in bad.items():
            assert reason in (hooks[hook_id]["circuit"]["last_failure"] or ""), hooks[hook_id]
            assert hooks[hook_id]["circuit"]["failures_in_row"] >= 1
        with app.app_context():
            errors = db.session.scalars(sa.select(OutboxMessage.last_error).where(
                OutboxMessage.recipient.in_([drip.url, refusing]))).all()
        assert errors and all("deadline" in e or "cannot deliver" in e or not e
                              for e in errors)
    finally:
        if scheduler is not None:
            scheduler.terminate()
            scheduler.wait(30)
        for endpoint in [*good, drip, huge]:
            endpoint.close()

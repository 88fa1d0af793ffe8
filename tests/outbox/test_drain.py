"""The outbox drained by schedulers: exactly one mail per row through races, crashes and
SMTP failures, on SQLite and PostgreSQL, against a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from tests.reach_helpers import race_schedulers, tick
from updatesrv.db import db, utcnow, write_intent
from updatesrv.outbox.models import OutboxMessage
from updatesrv.outbox.services import delivery_counts, enqueue_mail


def _queue(app, n: int, product_id=None) -> None:
    with app.app_context(), write_intent():
        for i in range(n):
            enqueue_mail(db.session, to=f"user{i}@example.com", subject=f"Mail {i}",
                         text=f"Hello {i}", html=f"<p>Hello {i}</p>", dedupe_key=f"test:{i}",
                         product_id=product_id)
        db.session.commit()


def _statuses(app) -> Counter[str]:
    with app.app_context():
        return Counter(db.session.scalars(sa.select(OutboxMessage.status)))


def test_queued_mail_is_sent_once_with_text_and_html(app, mailbox):
    _queue(app, 3)
    _queue(app, 3)  # the same dedupe keys: nothing new
    assert tick(app)["outbox_sent"] == 3
    assert tick(app)["outbox_sent"] == 0
    mails = mailbox.wait_for(3)
    assert sorted(m["Subject"] for m in mails) == ["Mail 0", "Mail 1", "Mail 2"]
    assert mails[0].get_body(("html",)).get_content().startswith("<p>Hello")
    assert len({m["Message-ID"] for m in mails}) == 3


def test_two_schedulers_racing_send_each_mail_once(app, mailbox):
    _queue(app, 40)
    race_schedulers(app)
    mails = mailbox.wait_for(40)
    assert sorted(Counter(m["To"] for m in mails).values()) == [1] * 40
    assert _statuses(app) == Counter({"sent": 40})


def test_a_scheduler_killed_mid_batch_loses_and_doubles_nothing(app, mailbox, tmp_path: Path):
    """A real scheduler process is SIGKILLed while the SMTP server holds its fourth mail
    (before answering 250). A later scheduler sends the rest once the lease has run out;
    the three mails already accepted are never sent again."""
    _queue(app, 10)
    proc_holder: dict[str, subprocess.Popen[bytes]] = {}
    seen = []

    def before_accept(message):
        seen.append(message["To"])
        if len(seen) == 4:
            proc = proc_holder["p"]
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            return "451 connection lost"  # goes nowhere: the client is dead
        return None

    mailbox.before_accept = before_accept
    url = app.config["SQLALCHEMY_ENGINES"]["default"]
    env = {**os.environ, "UPDATESRV_DATABASE_URL": url, "UPDATESRV_MAIL_URL": mailbox.url,
           "UPDATESRV_SECRET_KEY": json.dumps(app.config["SECRET_KEY"]),
           "UPDATESRV_STATS_FLUSH_INTERVAL": "0",
           "UPDATESRV_INSTANCE_PATH": str(tmp_path / "instance-2")}
    code = ("from updatesrv import create_app\n"
            "from updatesrv.scheduling.runner import run_once\n"
            "run_once(create_app(), housekeeping=False)\n")
    proc_holder["p"] = subprocess.Popen([sys.executable, "-c", code], env=env)
    assert proc_holder["p"].wait(60) == -signal.SIGKILL
    mailbox.before_accept = None
    assert len(mailbox.messages) == 3
    statuses = _statuses(app)
    assert statuses["sent"] == 3 and statuses["sending"] == 7
    # Within the lease nobody takes the claimed rows; after it, they go out once.
    assert tick(app)["outbox_sent"] == 0
    assert tick(app, dt.timedelta(minutes=6))["outbox_sent"] == 7
    mails = mailbox.wait_for(10)
    assert sorted(Counter(m["To"] for m in mails).values()) == [1] * 10
    assert _statuses(app) == Counter({"sent": 10})


def test_temporary_failures_retry_with_backoff_permanent_ones_fail(app, mailbox):
    _queue(app, 2)
    answers = {"user0@example.com": ["451 try later", "451 try later"],
               "user1@example.com": ["550 no such mailbox"]}

    def before_accept(message):
        pending = answers.get(message["To"])
        return pending.pop(0) if pending else None

    mailbox.before_accept = before_accept
    first = tick(app)
    assert (first["outbox_retrying"], first["outbox_failed"]) == (1, 1)
    with app.app_context():
        row = db.session.scalar(sa.select(OutboxMessage).where(
            OutboxMessage.recipient == "user0@example.com"))
        assert row.attempts == 1 and "451" in row.last_error
        assert row.next_attempt_at > utcnow() + dt.timedelta(seconds=50)
        failed = db.session.scalar(sa.select(OutboxMessage).where(
            OutboxMessage.recipient == "user1@example.com"))
        assert failed.status == "failed" and "550" in failed.last_error
    assert tick(app)["outbox_sent"] == 0  # not due yet
    assert tick(app, dt.timedelta(minutes=1, seconds=5))["outbox_retrying"] == 1
    assert tick(app, dt.timedelta(minutes=3, seconds=10))["outbox_sent"] == 1
    assert [m["To"] for m in mailbox.messages] == ["user0@example.com"]


def test_vendor_sees_sent_pending_failed_counts(app, mailbox, api, product):
    with app.app_context():
        from updatesrv.products.models import Product

        pid = db.session.scalar(sa.select(Product.id))
    _queue(app, 3, product_id=pid)
    mailbox.before_accept = lambda m: "550 gone" if m["To"] == "user2@example.com" else None
    tick(app)
    with app.app_context():
        counts = delivery_counts(db.session, pid)
    assert (counts["sent"], counts["failed"], counts["pending"]) == (2, 1, 0)


def test_mail_waits_in_the_outbox_while_mail_is_off(app, mailbox):
    _queue(app, 1)
    app.config["MAIL_URL"] = None
    assert tick(app)["outbox_sent"] == 0
    app.config["MAIL_URL"] = mailbox.url
    assert tick(app)["outbox_sent"] == 1

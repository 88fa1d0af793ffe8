"""Webhooks run on workers of their own: a dripping endpoint never delays mail or another
endpoint, an attempt outlasting the claim's lease is never sent twice, and an endpoint that
keeps failing is paused by its circuit breaker, which the vendor sees (real sockets, real
SMTP, SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import sqlalchemy as sa

from tests.hostile_endpoints import Endpoint, refusing_url, wait_for
from tests.reach_helpers import file_notice, race_schedulers, tick
from updatesrv.db import db, write_intent
from updatesrv.outbox import drain as drain_module
from updatesrv.outbox.models import OutboxMessage
from updatesrv.outbox.services import enqueue_mail

from ..console.conftest import login


def _register(api, product, url):
    response = api.post(f"/api/v1/products/{product}/webhooks", json={"url": url})
    assert response.status_code == 201, response.json
    return response.json


def _queue_mail(app, n):
    with app.app_context(), write_intent():
        for i in range(n):
            enqueue_mail(db.session, to=f"user{i}@example.com", subject=f"Mail {i}",
                         text="Hello", dedupe_key=f"mail:{i}")
        db.session.commit()


def _rows(app, **where):
    with app.app_context():
        return db.session.scalars(sa.select(OutboxMessage).filter_by(**where)
                                  .order_by(OutboxMessage.id)).all()


def test_a_dripping_endpoint_delays_neither_mail_nor_other_endpoints(api, app, product,
                                                                     mailbox):
    app.config["WEBHOOK_TIMEOUT"] = 3.0
    drip, fine = Endpoint("drip", interval=0.2), Endpoint("ok")
    try:
        _register(api, product, drip.url)
        _register(api, product, fine.url)
        for i in range(3):
            file_notice(api, product, title=f"Notice {i}")
        _queue_mail(app, 20)
        worker = threading.Thread(target=tick, args=(app,))
        worker.start()
        # Every mail and every delivery to the good endpoint arrives while the dripping
        # endpoint still holds its first connection.
        assert wait_for(lambda: len(mailbox.messages) == 20 and len(fine.requests) == 3)
        assert drip.bytes_sent == [] and len(drip.requests) == 1
        worker.join(60)
        assert not worker.is_alive()
        dripped = _rows(app, channel="webhook", recipient=drip.url)
        assert [r.status for r in dripped].count("pending") == 3  # retried later
        assert "within the 3 s deadline" in dripped[0].last_error
        assert Counter(r.status for r in _rows(app, recipient=fine.url)) == {"sent": 3}
    finally:
        drip.close()
        fine.close()


def test_an_attempt_longer_than_the_lease_is_not_claimed_again(api, app, product, mailbox,
                                                              monkeypatch):
    monkeypatch.setattr(drain_module, "LEASE", dt.timedelta(seconds=1))
    app.config["WEBHOOK_TIMEOUT"] = 5.0
    slow = Endpoint("slow", interval=2.5)
    try:
        _register(api, product, slow.url)
        file_notice(api, product)
        # Ticking on while the delivery takes its time.
        race_schedulers(app, rounds=8, pause=0.5)
        assert len(slow.requests) == 1  # one delivery, though it outlasted the lease
        assert [r.status for r in _rows(app, channel="webhook")] == ["sent"]
    finally:
        slow.close()


def test_the_circuit_breaker_pauses_a_failing_endpoint_and_the_vendor_sees_it(
        api, app, product, mailbox, client):
    app.config["WEBHOOK_BREAKER_THRESHOLD"] = 2
    url = refusing_url()
    hook = _register(api, product, url)
    for i in range(5):
        file_notice(api, product, title=f"Notice {i}")
    done = tick(app)
    assert (done["outbox_retrying"], done["outbox_paused"]) == (2, 3), done
    rows = _rows(app, channel="webhook")
    assert sorted(r.attempts for r in rows) == [0, 0, 0, 1, 1]  # paused ones used none
    circuit = api.get(f"/api/v1/products/{product}/webhooks").json["items"][0]["circuit"]
    assert circuit["state"] == "open" and circuit["failures_in_row"] == 2
    assert circuit["paused_until"] and "cannot deliver" in circuit["last_failure"]
    app.config["WTF_CSRF_ENABLED"] = False
    assert login(client, "owner@acme.example").status_code == 302
    page = client.get("/console/acme/p/ledgerly/reach").text
    assert "Paused" in page and "after 2 failed deliveries in a row" in page
    # While paused nothing is attempted; after the pause one delivery tries again and a
    # success closes the circuit.
    assert tick(app, dt.timedelta(seconds=30))["outbox_retrying"] == 0
    fine = Endpoint("ok")
    try:
        with app.app_context(), write_intent():
            from updatesrv.webhooks.models import Webhook

            db.session.execute(sa.update(Webhook).values(url=fine.url))
            db.session.commit()
        done = tick(app, dt.timedelta(minutes=3))
        assert done["outbox_sent"] == 5, done
        assert len(fine.requests) == 5
        circuit = api.get(f"/api/v1/products/{product}/webhooks").json["items"][0]["circuit"]
        assert circuit == {"state": "closed", "failures_in_row": 0, "paused_until": None,
                           "last_failure": circuit["last_failure"]}
        assert hook["id"]
    finally:
        fine.close()

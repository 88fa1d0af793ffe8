"""Confirmation mail cannot be used to flood someone's mailbox: per recipient, across
filters, products, client addresses and spellings of the address, at most one
confirmation mail per 10 minutes and at most five unconfirmed subscriptions."""

from __future__ import annotations

import datetime as dt
import threading

import sqlalchemy as sa

from tests.reach_helpers import tick
from updatesrv.db import db
from updatesrv.subscriptions.models import Subscription
from updatesrv.subscriptions.recipients import MAX_PENDING, recipient_key

SPELLINGS = ["victim@example.com", "Victim@EXAMPLE.com", "VICTIM@Example.Com",
             "victim+news@example.com", "victim+x@EXAMPLE.COM"]


def test_the_key_compares_addresses_as_the_mail_provider_would():
    assert len({recipient_key(s) for s in SPELLINGS}) == 1
    assert recipient_key("First.Last+tag@GoogleMail.com") == "firstlast@gmail.com"
    assert recipient_key("first.last@example.com") != recipient_key("firstlast@example.com")


def test_five_clients_cannot_flood_one_mailbox(app, mailbox, product, api):
    from tests.conftest import publish

    for version in ("1.0", "1.1", "1.2"):
        publish(api, product, version)
    bodies = [{"email": SPELLINGS[i % len(SPELLINGS)],
               **({"version": ("1.0", "1.1", "1.2")[i % 3]} if i % 2 else {}),
               **({"platform": "windows-x86_64"} if i % 4 == 0 else {})} for i in range(50)]
    codes: list[int] = []

    def client_at(address: str, requests: list[dict]) -> None:
        client = app.test_client()
        for body in requests:
            codes.append(client.post(f"/api/v1/products/{product}/subscriptions", json=body,
                                     environ_base={"REMOTE_ADDR": address}).status_code)

    threads = [threading.Thread(target=client_at, args=(f"192.0.2.{n}", bodies[n::5]))
               for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert codes.count(202) == 50, codes  # everyone is answered alike
    tick(app)
    assert len(mailbox.wait_for(1)) == 1
    with app.app_context():
        pending = db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)
                                    .where(Subscription.status == "pending"))
    assert pending == MAX_PENDING
    # The waiting confirmations go out one per 10 minutes, never two at once.
    for step in range(1, 8):
        tick(app, dt.timedelta(minutes=10 * step, seconds=1))
        assert len(mailbox.messages) == min(step + 1, MAX_PENDING), step
    assert {m["To"].lower().split("+")[0].split("@")[0] for m in mailbox.messages} == {"victim"}

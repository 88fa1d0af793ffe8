"""One message that cannot be built or sent never holds up another: it fails on its own
(reason recorded for the vendor) while every other row of its batch goes out, exactly
once, with several schedulers draining at the same time, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from tests.reach_helpers import race_schedulers, tick
from updatesrv.db import db, write_intent
from updatesrv.outbox.models import OutboxMessage
from updatesrv.outbox.services import enqueue_mail

# What used to reach the outbox through a product name or notice title (finding 1), and
# a recipient address with a trailing line break.
POISON = [{"subject": "Licence\nexpired"}, {"subject": "Licence\rexpired"},
          {"subject": "Licence\u2028expired"}, {"subject": "Licence\u2029expired"},
          {"subject": "Licence\x85expired"}, {"to": "victim@example.com\nBcc: x@example.com"}]


def _queue_with_poison(app, good: int) -> set[str]:
    """``good`` mails with the poison rows spread through the middle of them."""
    poison_at = {good * (i + 1) // (len(POISON) + 1): p for i, p in enumerate(POISON)}
    addresses = set()
    with app.app_context(), write_intent():
        for i in range(good):
            if i in poison_at:
                bad = poison_at[i]
                enqueue_mail(db.session, to=bad.get("to", f"poison{i}@example.com"),
                             subject=bad.get("subject", "Poison"), text="x",
                             dedupe_key=f"poison:{i}")
            enqueue_mail(db.session, to=f"user{i}@example.com", subject=f"Mail {i}",
                         text=f"Hello {i}", dedupe_key=f"good:{i}")
            addresses.add(f"user{i}@example.com")
        db.session.commit()
    return addresses


def test_an_unbuildable_mail_fails_alone_and_the_batch_goes_on(app, mailbox):
    addresses = _queue_with_poison(app, 30)
    done = tick(app)
    assert done["outbox_sent"] == 30 and done["outbox_failed"] == len(POISON), done
    assert Counter(m["To"] for m in mailbox.wait_for(30)) == Counter(addresses)
    with app.app_context():
        failed = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.status == "failed")).all()
        assert len(failed) == len(POISON)
        for row in failed:  # failed for good, once, with the reason the vendor reads
            assert row.attempts == 1 and row.claim_token is None
            assert "cannot be built" in row.last_error, row.last_error
    assert tick(app)["outbox_sent"] == 0


def test_several_schedulers_deliver_every_good_mail_once_around_poison(app, mailbox):
    app.config["OUTBOX_BATCH_SIZE"] = 7  # many batches, each with poison in it
    addresses = _queue_with_poison(app, 60)
    race_schedulers(app, rounds=3)
    mails = mailbox.wait_for(60)
    assert Counter(m["To"] for m in mails) == Counter(addresses)  # each exactly once
    with app.app_context():
        statuses = Counter(db.session.scalars(sa.select(OutboxMessage.status)))
    assert statuses == Counter({"sent": 60, "failed": len(POISON)})


def test_the_vendor_sees_why_a_mail_was_not_sent(app, mailbox, client, api, product):
    from updatesrv.products.models import Product

    from ..console.conftest import login

    with app.app_context(), write_intent():
        pid = db.session.scalar(sa.select(Product.id))
        enqueue_mail(db.session, to="reader@example.com", subject="Broken\u2028subject",
                     text="x", dedupe_key="poison:console", product_id=pid)
        db.session.commit()
    assert tick(app)["outbox_failed"] == 1
    app.config["WTF_CSRF_ENABLED"] = False
    assert login(client, "owner@acme.example").status_code == 302
    page = client.get("/console/acme/p/ledgerly/reach").text
    assert "Mail that could not be sent" in page
    assert "reader@example.com" in page and "cannot be built" in page

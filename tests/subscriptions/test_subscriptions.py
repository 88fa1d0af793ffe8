"""E-mail subscriptions end to end, through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.reach_helpers import file_notice, tick
from tests.subscriptions.conftest import confirm_url
from updatesrv.db import db
from updatesrv.subscriptions.models import Subscription


def _unsubscribe_url(mail):
    header = mail["List-Unsubscribe"]
    match = re.fullmatch(r"<http://updates\.example(/p/\S+)>", header)
    assert match, header
    return match.group(1)


def test_subscribe_sends_one_confirmation_and_nothing_until_confirmed(client, app, mailbox,
                                                                       api, product):
    response = client.post(f"/api/v1/products/{product}/subscriptions",
                           json={"email": "Ana@Example.COM"})
    assert response.status_code == 202
    assert tick(app)["outbox_sent"] == 1
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "Ana@example.com"
    assert mail["From"] == "Ledgerly updates <updates@ledgerly.example>"
    assert "Confirm" in mail["Subject"]
    url = confirm_url(mail)

    # A notice filed now reaches nobody: the subscription is not confirmed yet.
    api_notice = file_notice(api, product)
    tick(app)
    assert len(mailbox.messages) == 1

    # Mail scanners fetch links: the GET only shows a button and changes nothing.
    page = client.get(url)
    assert page.status_code == 200 and b"<form method=\"post\"" in page.data
    assert page.headers["Referrer-Policy"] == "no-referrer"
    with app.app_context():
        assert db.session.scalar(sa.select(Subscription.status)) == "pending"
    assert client.post(url).status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(Subscription.status)) == "confirmed"
    # Single use.
    again = client.post(url)
    assert again.status_code == 404 and b"already used" in again.data
    assert api_notice["id"]


def test_subscribing_again_creates_no_second_subscription(client, app, mailbox, product):
    for _ in range(3):
        assert client.post(f"/api/v1/products/{product}/subscriptions",
                           json={"email": "bo@example.com"}).status_code == 202
    tick(app)
    assert len(mailbox.wait_for(1)) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 1
    # Ten minutes later a lost confirmation may be asked for again: same subscription.
    client.post(f"/api/v1/products/{product}/subscriptions", json={"email": "bo@example.com"})
    tick(app)
    assert len(mailbox.messages) == 1


def test_malformed_addresses_are_refused_with_a_clear_error(client, app, product):
    for bad in ("", "not-an-address", "a@b", "a b@example.com", "x" * 250 + "@example.com",
                "<a@example.com>", 42):
        response = client.post(f"/api/v1/products/{product}/subscriptions",
                               json={"email": bad})
        assert response.status_code == 400, bad
        assert response.mimetype == "application/problem+json"
        assert response.json["field"] == "email"
    page = client.get(f"/p/{product}/known-issues/")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    form = client.post(f"/p/{product}/subscribe", data={"email": "nope", "csrf_token": token})
    assert form.status_code == 400
    assert b'class="field-error" id="f-email-error"' in form.data
    assert b"is not an e-mail address" in form.data
    unknown = client.post(f"/api/v1/products/{product}/subscriptions",
                          json={"email": "a@example.com", "notice_id": "LED-1999-0001"})
    assert unknown.status_code == 400 and unknown.json["field"] == "notice_id"


def test_subscribe_flood_from_one_client_is_rate_limited(client, app, product):
    codes = [client.post(f"/api/v1/products/{product}/subscriptions",
                         json={"email": f"u{i}@example.com"}).status_code for i in range(12)]
    assert codes[:10] == [202] * 10
    assert codes[10:] == [429, 429]
    limited = client.post(f"/api/v1/products/{product}/subscriptions",
                          json={"email": "z@example.com"})
    assert limited.json["retry_after"] > 0


def test_page_form_subscribes_without_javascript(client, app, mailbox, product):
    page = client.get(f"/p/{product}/known-issues/")
    assert b"Get e-mail about known issues" in page.data
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    done = client.post(f"/p/{product}/subscribe",
                       data={"email": "cy@example.com", "csrf_token": token})
    assert done.status_code == 202 and b"Check your inbox" in done.data
    tick(app)
    assert mailbox.wait_for(1)[0]["To"] == "cy@example.com"


def test_concurrent_subscribes_make_one_subscription_and_one_mail(app, mailbox, product):
    import threading

    barrier = threading.Barrier(4)
    codes: list[int] = []

    def subscribe() -> None:
        client = app.test_client()
        barrier.wait()
        codes.append(client.post(f"/api/v1/products/{product}/subscriptions",
                                 json={"email": "race@example.com"}).status_code)

    threads = [threading.Thread(target=subscribe) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert codes == [202] * 4
    tick(app)
    assert len(mailbox.wait_for(1)) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 1

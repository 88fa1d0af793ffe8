"""Mails about notices: who gets them, what they say, one-click unsubscribe, expiry."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from tests.conftest import Api, make_app, make_vendor
from tests.reach_helpers import file_notice, tick
from updatesrv.db import db
from updatesrv.subscriptions.models import Subscription


def _unsubscribe_path(mail):
    match = re.fullmatch(r"<http://updates\.example(/p/\S+)>", mail["List-Unsubscribe"])
    assert match, mail["List-Unsubscribe"]
    return match.group(1)


def test_published_updated_and_fixed_mails_reach_confirmed_subscribers(
        api, app, client, mailbox, product, confirmed):
    confirmed("ana@example.com")
    client.post(f"/api/v1/products/{product}/subscriptions", json={"email": "pending@x.org"})
    notice = file_notice(api, product)
    tick(app)
    [mail] = mailbox.to("ana@example.com")[1:]
    assert mail["Subject"] == "[Ledgerly] Known issue: Sync stops after sleep"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Sync pauses when the laptop wakes up." in text
    assert "Settings → Sync" in text and notice["url"] in text
    assert "https://help.example/" in text  # the support contact
    assert "<strong>Settings → Sync</strong>" in html  # the pages' sanitised Markdown
    assert _unsubscribe_path(mail) in text
    assert len(mailbox.to("pending@x.org")) == 1  # only the confirmation

    # A timeline update (a message) mails; an edit without one does not.
    api.patch(f"/api/v1/products/{product}/notices/{notice['id']}",
              json={"message": "We found the cause."})
    api.patch(f"/api/v1/products/{product}/notices/{notice['id']}", json={"summary": "New."})
    tick(app)
    updates = mailbox.to("ana@example.com")[2:]
    assert [m["Subject"] for m in updates] == [
        "[Ledgerly] Update on a known issue: Sync stops after sleep"]
    assert "We found the cause." in updates[0].get_body(("plain",)).get_content()

    api.patch(f"/api/v1/products/{product}/notices/{notice['id']}",
              json={"status": "fixed", "fixed_in": "2.0.1"})
    tick(app)
    fixed = mailbox.to("ana@example.com")[3]
    assert fixed["Subject"] == "[Ledgerly] Fixed in 2.0.1: Sync stops after sleep"
    body = fixed.get_body(("plain",)).get_content()
    assert "Here is how to update" in body
    assert "http://updates.example/p/ledgerly/releases/2.0.1" in body
    # Ticking again sends nothing more: one mail per (subscription, notice, revision).
    tick(app)
    tick(app, dt.timedelta(hours=7))
    assert len(mailbox.to("ana@example.com")) == 4


def test_filters_by_notice_version_and_platform(api, app, mailbox, product, confirmed):
    other = file_notice(api, product, title="Other issue", affected="<1.0")
    confirmed("all@example.com")
    confirmed("v2@example.com", version="2.0.0")
    confirmed("v1@example.com", version="1.5")
    confirmed("mac@example.com", platform="macos-arm64")
    confirmed("one@example.com", notice_id=other["id"])
    file_notice(api, product, platforms=["windows-x86_64"])
    tick(app)
    got = {m["To"] for m in mailbox.messages if "Known issue" in m["Subject"]}
    assert got == {"all@example.com", "v2@example.com"}


def test_one_click_unsubscribe_is_idempotent_and_only_that_subscription(
        api, app, client, mailbox, product, confirmed):
    confirmed("ana@example.com")
    confirmed("ana@example.com", version="2.0.0")
    file_notice(api, product)
    tick(app)
    first, second = [m for m in mailbox.to("ana@example.com") if "Known issue" in m["Subject"]]
    path = _unsubscribe_path(first)
    # GET shows a button and changes nothing (mail scanners prefetch links).
    assert b"Unsubscribe</button>" in client.get(path).data
    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, no cookie, no CSRF token.
    fresh = app.test_client()
    for _ in range(2):
        response = fresh.post(path, data="List-Unsubscribe=One-Click",
                              content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200 and b"Unsubscribed" in response.data
    with app.app_context():
        statuses = sorted(db.session.scalars(sa.select(Subscription.status)))
    assert statuses == ["confirmed", "unsubscribed"]
    file_notice(api, product, title="Second")
    tick(app)
    later = [m for m in mailbox.to("ana@example.com") if "Second" in m["Subject"]]
    assert len(later) == 1
    assert _unsubscribe_path(later[0]) == _unsubscribe_path(second)
    # Tokens are single-purpose: an unsubscribe token confirms nothing.
    token = path.split("token=")[1]
    assert client.post(f"/p/{product}/subscriptions/confirm?token={token}").status_code == 404
    assert client.post(f"/p/{product}/subscriptions/unsubscribe?token={token}x").status_code \
        == 404


def test_unconfirmed_subscriptions_expire_after_seven_days(app, client, mailbox, product):
    client.post(f"/api/v1/products/{product}/subscriptions", json={"email": "late@x.org"})
    tick(app)
    from tests.subscriptions.conftest import confirm_url

    url = confirm_url(mailbox.wait_for(1)[0])
    from updatesrv.db import utcnow
    from updatesrv.scheduling.runner import run_once

    assert run_once(app, now=utcnow() + dt.timedelta(days=6))[
        "unconfirmed_subscriptions_expired"] == 0
    assert run_once(app, now=utcnow() + dt.timedelta(days=8))[
        "unconfirmed_subscriptions_expired"] == 1
    assert client.post(url).status_code == 404


def test_counts_for_the_vendor_and_owner_only_csv(app, client, api, product, confirmed):
    confirmed("ana@example.com")
    confirmed("=cmd@example.com")
    client.post(f"/api/v1/products/{product}/subscriptions", json={"email": "p@example.com"})
    counts = api.get(f"/api/v1/products/{product}/subscriptions").json
    assert counts["subscribers"]["total"]["confirmed"] == 2
    assert counts["subscribers"]["total"]["pending"] == 1
    assert counts["mail"]["sent"] == 2 and counts["mail"]["pending"] == 1
    csv = api.get(f"/api/v1/products/{product}/subscriptions.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "ana@example.com,confirmed" in csv.text
    assert "'=cmd@example.com" in csv.text  # no formula injection
    with app.app_context():
        from updatesrv.accounts import tokens
        from updatesrv.accounts.models import Vendor

        vendor = db.session.scalar(sa.select(Vendor))
        _, token = tokens.create_token(db.session, vendor, "ci", "publisher")
    publisher = Api(client, token)
    assert publisher.get(f"/api/v1/products/{product}/subscriptions.csv").status_code == 403
    assert publisher.get(f"/api/v1/products/{product}/subscriptions").status_code == 200


def test_without_mail_url_pages_offer_no_subscription(tmp_path, pg_schema, monkeypatch):
    monkeypatch.setenv("UPDATESRV_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, pg_schema)
    client = app.test_client()
    _, token = make_vendor(app)
    api = Api(client, token)
    api.post("/api/v1/products", json={"slug": "quiet", "name": "Quiet"})
    notice = file_notice(api, "quiet")
    assert b"Get e-mail" not in client.get("/p/quiet/known-issues/").data
    assert b"Tell me when" not in client.get(f"/p/quiet/known-issues/{notice['id']}").data
    response = client.post("/api/v1/products/quiet/subscriptions", json={"email": "a@b.org"})
    assert response.status_code == 503 and "MAIL_URL" in response.json["detail"]
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("url", ["smtp://", "http://mail.example", "smtps://h?starttls=1",
                                 "smtp://h:port", "smtp://h?bogus=1"])
def test_bad_mail_url_is_a_clear_error(url):
    from updatesrv.mail.config import parse_mail_url
    from updatesrv.mail.errors import MailConfigError

    with pytest.raises(MailConfigError):
        parse_mail_url(url, "a@b.org")


def test_mail_url_forms():
    from updatesrv.mail.config import parse_mail_url

    cfg = parse_mail_url("smtp://us%40er:p%2Fss@mail.example:587?starttls=1", "x@y.org")
    assert (cfg.host, cfg.port, cfg.starttls, cfg.ssl, cfg.username, cfg.password) == (
        "mail.example", 587, True, False, "us@er", "p/ss")
    assert "p/ss" not in repr(cfg)
    assert parse_mail_url("smtps://mail.example", "x@y.org").port == 465

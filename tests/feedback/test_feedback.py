"""Feedback from the people a notice affects: client votes, page votes, messages."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.reach_helpers import file_notice, tick
from updatesrv.db import db
from updatesrv.feedback.models import FeedbackVote


def _vote(client, product, notice_id, kind, install_id="install-1"):
    return client.post(f"/api/v1/products/{product}/notices/{notice_id}/feedback",
                       json={"kind": kind, "install_id": install_id})


def test_one_vote_per_install_and_the_latest_counts(api, app, client, product):
    notice = file_notice(api, product)
    assert _vote(client, product, notice["id"], "affected").status_code == 200
    assert _vote(client, product, notice["id"], "workaround_helped").status_code == 200
    assert _vote(client, product, notice["id"], "affected", "install-2").status_code == 200
    with app.app_context():
        votes = sorted(db.session.scalars(sa.select(FeedbackVote.kind)))
        hashes = list(db.session.scalars(sa.select(FeedbackVote.voter_hash)))
    assert votes == ["affected", "workaround_helped"]
    assert not any("install-1" in h for h in hashes)  # keyed hashes, never the id
    failed = _vote(client, product, notice["id"], "workaround_failed", "install-3")
    assert failed.json["support_url"] == "https://help.example/"
    assert failed.json["message_url"].endswith(f"/known-issues/{notice['id']}/feedback")
    bad = _vote(client, product, notice["id"], "angry")
    assert bad.status_code == 400 and bad.json["field"] == "kind"
    missing = client.post(f"/api/v1/products/{product}/notices/{notice['id']}/feedback",
                          json={"kind": "affected"})
    assert missing.status_code == 400 and missing.json["field"] == "install_id"


def test_feedback_is_rate_limited(api, app, client, product):
    notice = file_notice(api, product)
    codes = [_vote(client, product, notice["id"], "affected", f"i{i}").status_code
             for i in range(32)]
    assert codes[:30] == [200] * 30 and codes[30:] == [429, 429]


def _csrf(page):
    return re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()


def test_page_votes_once_per_browser_and_the_failed_workaround_reaches_a_human(
        api, app, client, product, mailbox):
    notice = file_notice(api, product)
    url = f"/p/{product}/known-issues/{notice['id']}"
    page = client.get(url)
    assert b"Did this affect you?" in page.data and b"I am affected (0)" in page.data
    token = _csrf(page)
    voted = client.post(f"{url}/vote", data={"kind": "affected", "csrf_token": token})
    assert voted.status_code == 303
    client.post(f"{url}/vote", data={"kind": "affected", "csrf_token": token})
    assert b"I am affected (1)" in client.get(url).data
    other = app.test_client()  # another browser
    other.post(f"{url}/vote", data={"kind": "affected", "csrf_token": _csrf(other.get(url))})
    assert b"I am affected (2)" in client.get(url).data

    failed = client.post(f"{url}/vote", data={"kind": "workaround_failed", "csrf_token": token})
    assert failed.status_code == 303 and failed.headers["Location"].endswith(f"{url}/feedback")
    form = client.get(f"{url}/feedback")
    assert b"https://help.example/" in form.data  # the support contact, at once
    empty = client.post(f"{url}/feedback", data={"message": " ", "csrf_token": token})
    assert empty.status_code == 400 and b'id="f-message-error"' in empty.data
    bad = client.post(f"{url}/feedback", data={"message": "Still broken", "email": "nope",
                                               "csrf_token": token})
    assert bad.status_code == 400 and b'id="f-email-error"' in bad.data
    sent = client.post(f"{url}/feedback", data={
        "message": "Resume does nothing on my Mac.", "email": "eve@example.com",
        "csrf_token": token})
    assert sent.status_code == 200 and b"will read your message" in sent.data
    tick(app)
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "owner@acme.example"  # no support e-mail: the owners
    assert mail["Reply-To"] == "eve@example.com"
    assert "Resume does nothing on my Mac." in mail.get_body(("plain",)).get_content()
    counts = client.get(url).data
    # Whoever says the workaround failed is still affected: the two people still count.
    assert b"The workaround did not help (1)" in counts and b"I am affected (2)" in counts

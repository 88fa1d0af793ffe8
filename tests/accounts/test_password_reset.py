"""Password reset by e-mail, through the outbox and the real SMTP test server: one link,
used once, within 30 minutes; the same answer for any address; rate-limited; every
session ends; audit-logged; the link never in a log."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import make_vendor
from tests.console.conftest import login
from tests.reach_helpers import tick
from updatesrv.accounts.models import PasswordReset, User
from updatesrv.audit.models import AuditEvent
from updatesrv.db import db, utcnow, write_intent
from updatesrv.outbox.models import OutboxMessage

OLD = "correct horse battery"
NEW = "a brand new passphrase"
BASE = "http://updates.example"


@pytest.fixture
def reset_app(mail_app: Flask) -> Flask:
    mail_app.config["WTF_CSRF_ENABLED"] = False
    make_vendor(mail_app)
    return mail_app


def _ask(app: Flask, email: str, address: str = "192.0.2.1") -> Any:
    return app.test_client().post("/console/password/forgot", data={"email": email},
                                  environ_base={"REMOTE_ADDR": address})


def _links(app: Flask, mailbox: Any, count: int) -> list[str]:
    tick(app)
    mails = mailbox.wait_for(count)
    assert len(mails) == count
    return [next(w for w in m.get_body(("plain",)).get_content().split()
                 if "/console/password/reset/" in w).removeprefix(BASE) for m in mails]


def _mails_queued(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
                   or 0)


def test_reset_by_mail_ends_every_session(reset_app: Flask, mailbox: Any,
                                          caplog: pytest.LogCaptureFixture) -> None:
    elsewhere = reset_app.test_client()
    assert login(elsewhere, "owner@acme.example", OLD).status_code == 302
    assert elsewhere.get("/console/").status_code == 302  # signed in
    with caplog.at_level(logging.DEBUG):
        answer = _ask(reset_app, "Owner@Acme.example")
        [path] = _links(reset_app, mailbox, 1)
        browser = reset_app.test_client()
        page = browser.get(path)
        assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
        done = browser.post(path, data={"new_password": NEW, "confirm": NEW})
    assert answer.status_code == 200 and "a reset link is on its way" in answer.text
    assert done.status_code == 302 and done.location.endswith("/console/login")
    [mail] = mailbox.messages
    assert mail["To"] == "owner@acme.example"
    assert "Reset your updatesrv password" in mail["Subject"]
    # The other browser is signed out; the old password is gone, the new one works.
    assert elsewhere.get("/console/").location.startswith("/console/login")
    assert login(reset_app.test_client(), "owner@acme.example", OLD).status_code == 400
    assert login(reset_app.test_client(), "owner@acme.example", NEW).status_code == 302
    # The link works once.
    assert browser.get(path).status_code == 404
    assert browser.post(path, data={"new_password": "another one!!", "confirm":
                                    "another one!!"}).status_code == 404
    with reset_app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.action == "user.password_reset"))
        assert event is not None and event.object_key == "owner@acme.example"
    token = path.rsplit("/", 1)[1]
    # Nothing secret in any log line (the SMTP test server's own "mail.log" lines are the
    # mailbox's side of the conversation).
    logged = "\n".join(r.getMessage() for r in caplog.records
                       if not r.name.startswith("mail.log"))
    assert token not in logged and NEW not in logged and OLD not in logged


def test_same_answer_for_unknown_addresses(reset_app: Flask, mailbox: Any) -> None:
    known = _ask(reset_app, "owner@acme.example")
    unknown = _ask(reset_app, "nobody@acme.example", address="192.0.2.2")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("owner@", "X@") == unknown.text.replace("nobody@", "X@")
    assert _mails_queued(reset_app) == 1
    tick(reset_app)
    assert [m["To"] for m in mailbox.wait_for(1)] == ["owner@acme.example"]


def test_rate_limited_per_address_and_per_client(reset_app: Flask) -> None:
    # Per address: from four different clients, the fourth request is refused…
    codes = [_ask(reset_app, "owner@acme.example", address=f"192.0.2.{i}").status_code
             for i in range(1, 5)]
    assert codes == [200, 200, 200, 429]
    assert _mails_queued(reset_app) == 3
    # …and unknown addresses count the same way (the limit says nothing about accounts).
    codes = [_ask(reset_app, "ghost@acme.example", address=f"198.51.100.{i}").status_code
             for i in range(1, 5)]
    assert codes == [200, 200, 200, 429]
    # Per client: many addresses from one client.
    codes = [_ask(reset_app, f"user{i}@acme.example", address="203.0.113.5").status_code
             for i in range(11)]
    assert codes == [200] * 10 + [429]
    page = _ask(reset_app, "user99@acme.example", address="203.0.113.5")
    assert "Too many reset requests" in page.text


def test_expired_link_and_link_after_a_password_change_are_void(reset_app: Flask,
                                                                  mailbox: Any) -> None:
    _ask(reset_app, "owner@acme.example")
    _ask(reset_app, "owner@acme.example", address="192.0.2.9")
    first, second = _links(reset_app, mailbox, 2)
    with reset_app.app_context(), write_intent():
        db.session.execute(sa.update(PasswordReset).where(
            PasswordReset.token_hash == sa.select(PasswordReset.token_hash).where(
                PasswordReset.id == 1).scalar_subquery()).values(
            expires_at=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()
    client = reset_app.test_client()
    assert client.get(first).status_code == 404
    assert "unknown, used or expired" in client.get(first).text
    # Changing the password in the console voids the outstanding link too.
    console = reset_app.test_client()
    assert login(console, "owner@acme.example", OLD).status_code == 302
    assert console.post("/console/password", data={
        "current_password": OLD, "new_password": NEW, "confirm": NEW}).status_code == 302
    assert client.get(second).status_code == 404


def _race(app: Flask, paths: list[str]) -> list[int]:
    """Status codes of submitting ``paths`` at once: the loser is refused with the link's
    404 page, or (when it read the link just before the winner committed) the same words
    next to the form (400)."""
    barrier = threading.Barrier(len(paths))
    codes: list[int] = []

    def submit(path: str, password: str) -> None:
        client: FlaskClient = app.test_client()
        barrier.wait()
        response = client.post(path, data={"new_password": password, "confirm": password})
        assert response.status_code == 302 or "unknown, used or expired" in response.text
        codes.append(302 if response.status_code == 302 else 4)

    threads = [threading.Thread(target=submit, args=(p, f"{NEW} {i}"))
               for i, p in enumerate(paths)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return sorted(codes)


def _password_works(app: Flask, candidates: list[str]) -> list[str]:
    return [p for p in candidates
            if login(app.test_client(), "owner@acme.example", p).status_code == 302]


def test_one_link_submitted_twice_at_once_works_once(reset_app: Flask, mailbox: Any) -> None:
    _ask(reset_app, "owner@acme.example")
    [path] = _links(reset_app, mailbox, 1)
    assert _race(reset_app, [path, path]) == [4, 302]
    assert len(_password_works(reset_app, [f"{NEW} 0", f"{NEW} 1"])) == 1


def test_two_links_of_one_account_at_once_change_it_once(reset_app: Flask,
                                                        mailbox: Any) -> None:
    _ask(reset_app, "owner@acme.example")
    _ask(reset_app, "owner@acme.example", address="192.0.2.9")
    paths = _links(reset_app, mailbox, 2)
    assert _race(reset_app, paths) == [4, 302]
    assert len(_password_works(reset_app, [f"{NEW} 0", f"{NEW} 1"])) == 1
    with reset_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordReset).where(
            PasswordReset.used_at.is_(None))) == 0


def test_without_a_mail_server_the_page_says_so(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    make_vendor(app)
    page = app.test_client().get("/console/password/forgot")
    assert "cannot send e-mail" in page.text
    app.test_client().post("/console/password/forgot", data={"email": "owner@acme.example"})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordReset)) == 0
        assert db.session.scalar(sa.select(User.email)) == "owner@acme.example"


def test_login_page_links_to_the_reset(client: FlaskClient) -> None:
    assert "/console/password/forgot" in client.get("/console/login").text

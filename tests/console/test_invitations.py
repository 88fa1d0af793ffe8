"""Invitations (issue 8.8): the account is the invited address's, a link works once and
expires, and it is logged only when no mail server is configured."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from updatesrv.accounts import services as accounts
from updatesrv.accounts.models import Invitation, Membership, User
from updatesrv.db import db, utcnow, write_intent
from updatesrv.errors import NotFound, UpdatesrvError

from .conftest import login

PASSWORD = "a long enough password"


def _invite(owner: FlaskClient, email: str = "new@acme.example") -> Any:
    response = owner.post("/console/acme/members", data={"email": email, "role": "viewer"})
    assert response.status_code == 200, response.text
    return response


def _link(response: Any) -> str:
    return str(response.text.split('<code class="token">')[1].split("<")[0])


def _path(link: str) -> str:
    return link.split("localhost", 1)[1]


def test_without_mail_the_link_is_logged_and_says_why(owner: FlaskClient,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        response = _invite(owner)
    link = _link(response)
    assert "no mail server is configured" in response.text
    logged = [r.getMessage() for r in caplog.records if link in r.getMessage()]
    assert len(logged) == 1
    assert "No mail server is configured (MAIL_URL is unset)" in logged[0]


def test_with_a_mail_server_only_the_mailbox_gets_the_link(
        mail_app: Flask, mailbox: Any, caplog: pytest.LogCaptureFixture) -> None:
    from tests.conftest import make_vendor
    from tests.reach_helpers import tick

    mail_app.config["WTF_CSRF_ENABLED"] = False
    make_vendor(mail_app)
    owner = mail_app.test_client()
    assert login(owner, "owner@acme.example", "correct horse battery").status_code == 302
    with caplog.at_level(logging.DEBUG):
        response = _invite(owner)
        tick(mail_app)
    # Not shown to the inviter, not in any log line…
    assert '<code class="token">' not in response.text
    assert "Invitation sent to <strong>new@acme.example</strong>" in response.text
    # (the loopback SMTP test server's own "mail.log" debug lines are the mailbox's side)
    assert "/console/invite/" not in "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))
    # …but in the invited mailbox, at the public BASE_URL.
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "new@acme.example"
    body = mail.get_body(("plain",)).get_content()
    link = next(w for w in body.split() if "/console/invite/" in w)
    assert link.startswith("http://updates.example/console/invite/")
    newcomer = mail_app.test_client()
    joined = newcomer.post(link.removeprefix("http://updates.example"),
                           data={"password": PASSWORD, "confirm": PASSWORD})
    assert joined.status_code == 302


def test_the_account_is_the_invited_address(owner: FlaskClient, app: Flask) -> None:
    path = _path(_link(_invite(owner)))
    owner.post("/console/logout")
    # Someone signed in with another address cannot take it.
    with app.app_context(), write_intent():
        accounts.create_user(db.session, "other@else.example", PASSWORD)
    other = app.test_client()
    assert login(other, "other@else.example", PASSWORD).status_code == 302
    refused = other.post(path, data={})
    assert refused.status_code == 400 and "this invitation is for new@acme.example" in refused.text
    # Whoever opens it signed out gets an account for exactly the invited address.
    newcomer = app.test_client()
    page = newcomer.get(path)
    assert "new@acme.example" in page.text
    joined = newcomer.post(path, data={"name": "New", "password": PASSWORD,
                                       "confirm": PASSWORD, "email": "evil@else.example"})
    assert joined.status_code == 302
    with app.app_context():
        emails = set(db.session.scalars(sa.select(User.email)))
    assert "new@acme.example" in emails and "evil@else.example" not in emails
    assert newcomer.get(path).status_code == 404  # used


def test_an_expired_link_does_nothing(owner: FlaskClient, app: Flask) -> None:
    path = _path(_link(_invite(owner)))
    with app.app_context():
        db.session.execute(sa.update(Invitation).values(
            expires_at=utcnow() - dt.timedelta(minutes=1)))
        db.session.commit()
    newcomer = app.test_client()
    assert newcomer.get(path).status_code == 404
    assert newcomer.post(path, data={"password": PASSWORD,
                                     "confirm": PASSWORD}).status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "new@acme.example")) is None


def _race(app: Flask, attempt: Any, n: int = 2) -> list[Any]:
    barrier = threading.Barrier(n)
    outcomes: list[Any] = []

    def run() -> None:
        with app.app_context(), write_intent():
            barrier.wait()
            try:
                outcomes.append(attempt())
            except Exception as exc:  # any error other than a clear refusal is the bug
                outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def test_a_link_used_twice_at_once_works_once(owner: FlaskClient, app: Flask) -> None:
    with app.app_context(), write_intent():
        user = accounts.create_user(db.session, "new@acme.example", PASSWORD)
        user_id = user.id
    token = _path(_link(_invite(owner))).rsplit("/", 1)[1]

    def accept() -> Any:
        signed_in = db.session.get(User, user_id)
        return accounts.accept_invitation(db.session, token, signed_in, None)

    outcomes = _race(app, accept)
    accepted = [o for o in outcomes if isinstance(o, User)]
    refused = [o for o in outcomes if isinstance(o, NotFound)]
    assert len(accepted) == 1 and len(refused) == 1, outcomes
    with app.app_context():
        joins = db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(
            Membership.user_id == user_id))
    assert joins == 1


def test_a_new_account_link_used_twice_at_once_creates_one(owner: FlaskClient,
                                                           app: Flask) -> None:
    token = _path(_link(_invite(owner))).rsplit("/", 1)[1]
    outcomes = _race(app, lambda: accounts.accept_invitation(db.session, token, None, PASSWORD))
    assert sum(isinstance(o, User) for o in outcomes) == 1, outcomes
    assert all(isinstance(o, (User, UpdatesrvError)) for o in outcomes), outcomes

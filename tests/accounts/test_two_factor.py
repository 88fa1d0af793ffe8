"""Two-factor sign-in with TOTP: enrolment with a QR code, ten single-use hashed recovery
codes, replayed codes refused, wrong codes throttled like passwords, parallel submits of
one code sign in once, and an owner requiring it for every member."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import make_vendor
from tests.console.conftest import add_user, login
from updatesrv.accounts.models import RecoveryCode, User
from updatesrv.db import db
from updatesrv.outbox.models import OutboxMessage

PASSWORD = "correct horse battery"
OWNER = "owner@acme.example"


@pytest.fixture
def site(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    make_vendor(app)
    return app


def _code(secret: str, steps_ahead: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30 * steps_ahead))


def enrol(client: FlaskClient) -> tuple[str, list[str]]:
    page = client.get("/console/two-factor")
    assert page.status_code == 200 and "<svg" in page.text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    wrong = client.post("/console/two-factor", data={"code": "000000"})
    assert wrong.status_code == 400 and "does not match" in wrong.text
    done = client.post("/console/two-factor", data={"code": _code(secret)})
    assert done.status_code == 200 and "Two-factor sign-in is on" in done.text
    codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", done.text)
    return secret, codes


def _password_step(app: Flask, email: str = OWNER) -> FlaskClient:
    client = app.test_client()
    response = login(client, email, PASSWORD)
    assert response.status_code == 302 and response.location.endswith("/console/login/code")
    return client


def _signed_in(client: FlaskClient) -> bool:
    response = client.get("/console/acme/")
    return response.status_code == 200


def test_enrol_then_sign_in_with_a_code_once(site: Flask,
                                            caplog: pytest.LogCaptureFixture) -> None:
    owner = site.test_client()
    assert login(owner, OWNER, PASSWORD).status_code == 302
    with caplog.at_level(logging.DEBUG):
        secret, codes = enrol(owner)
    assert len(codes) == 10 and len(set(codes)) == 10
    with site.app_context():
        stored = list(db.session.scalars(sa.select(RecoveryCode.code_hash)))
        assert len(stored) == 10 and not set(stored) & {c.replace("-", "") for c in codes}
    # The password alone no longer signs in.
    browser = _password_step(site)
    assert not _signed_in(browser)
    code = _code(secret, 1)  # the next step (the current one was used to enrol)
    assert browser.post("/console/login/code", data={"code": code}).status_code == 302
    assert _signed_in(browser)
    # The same code again, and an older one, are refused.
    again = _password_step(site)
    replay = again.post("/console/login/code", data={"code": code})
    assert replay.status_code == 400 and "already used" in replay.text
    assert again.post("/console/login/code", data={"code": _code(secret)}).status_code == 400
    assert not _signed_in(again)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert secret not in logged and not any(c in logged for c in codes)


def test_recovery_codes_work_once(site: Flask) -> None:
    owner = site.test_client()
    login(owner, OWNER, PASSWORD)
    _, codes = enrol(owner)
    first = _password_step(site)
    assert first.post("/console/login/code", data={"code": codes[0].upper()}
                      ).status_code == 302
    second = _password_step(site)
    assert second.post("/console/login/code", data={"code": codes[0]}).status_code == 400
    assert second.post("/console/login/code", data={"code": codes[1]}).status_code == 302
    assert "8 of 10 recovery codes are left" in second.get("/console/two-factor").text


def test_wrong_codes_are_throttled_like_passwords(site: Flask) -> None:
    owner = site.test_client()
    login(owner, OWNER, PASSWORD)
    enrol(owner)
    browser = _password_step(site)
    codes = [browser.post("/console/login/code", data={"code": f"{n:06d}"}).status_code
             for n in range(111111, 111118)]
    assert codes[:5] == [400] * 5 and 429 in codes[5:]
    # The same counters as passwords: even the right password now waits, so knowing it
    # does not buy fresh code guesses.
    assert login(site.test_client(), OWNER, PASSWORD).status_code == 429


def test_one_code_submitted_twice_at_once_signs_in_once(site: Flask) -> None:
    owner = site.test_client()
    login(owner, OWNER, PASSWORD)
    secret, _ = enrol(owner)
    browsers = [_password_step(site), _password_step(site)]
    code = _code(secret, 1)
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def submit(client: FlaskClient) -> None:
        barrier.wait()
        codes.append(client.post("/console/login/code", data={"code": code}).status_code)

    threads = [threading.Thread(target=submit, args=(b,)) for b in browsers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(codes) == [302, 400]
    assert sum(_signed_in(b) for b in browsers) == 1


def test_owner_requires_two_factor_for_every_member(site: Flask) -> None:
    add_user(site, "pub@acme.example", "acme", "publisher")
    owner = site.test_client()
    login(owner, OWNER, PASSWORD)
    refused = owner.post("/console/acme/members/two-factor", data={"required": "y"},
                         follow_redirects=True)
    assert "Turn on two-factor sign-in for your own account first" in refused.text
    enrol(owner)
    owner.post("/console/acme/members/two-factor", data={"required": "y"})
    member = site.test_client()
    assert login(member, "pub@acme.example", PASSWORD).status_code == 302
    for path in ("/console/", "/console/acme/", "/console/acme/p/ledgerly/",
                 "/console/password"):
        response = member.get(path)
        assert response.status_code == 302 and response.location == "/console/two-factor", path
    page = member.get("/console/two-factor")
    assert "requires two-factor sign-in" in page.text
    enrol(member)
    assert member.get("/console/acme/").status_code == 200
    assert "on" in owner.get("/console/acme/members").text


def test_turning_it_off_needs_the_password_and_mails_the_member(mail_app: Flask,
                                                               mailbox: Any) -> None:
    from tests.reach_helpers import tick

    mail_app.config["WTF_CSRF_ENABLED"] = False
    make_vendor(mail_app)
    owner = mail_app.test_client()
    login(owner, OWNER, PASSWORD)
    enrol(owner)
    wrong = owner.post("/console/two-factor", data={"current_password": "not it at all"})
    assert wrong.status_code == 400
    assert owner.post("/console/two-factor", data={"current_password": PASSWORD}
                      ).status_code == 302
    with mail_app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.totp_secret is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
        assert db.session.scalar(sa.select(OutboxMessage.purpose)) == "security-alert"
    tick(mail_app)
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == OWNER and "turned off" in mail["Subject"]
    # The password alone signs in again.
    assert login(mail_app.test_client(), OWNER, PASSWORD).location.endswith("/console/")

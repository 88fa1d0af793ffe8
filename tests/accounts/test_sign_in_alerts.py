"""Sign-in history and security mails (through the outbox and the real SMTP test
server): a sign-in from a browser never used before, and a new API token."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from tests.conftest import make_vendor
from tests.reach_helpers import tick
from updatesrv.accounts.models import SignInEvent
from updatesrv.db import db

PASSWORD = "correct horse battery"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"


def _sign_in(app: Flask, agent: str, address: str = "192.0.2.1") -> Any:
    client = app.test_client()
    response = client.post("/console/login", data={"email": "owner@acme.example",
                                                   "password": PASSWORD},
                           headers={"User-Agent": agent},
                           environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 302
    return client


def test_a_new_browser_is_mailed_and_listed(mail_app: Flask, mailbox: Any) -> None:
    mail_app.config["WTF_CSRF_ENABLED"] = False
    make_vendor(mail_app)
    _sign_in(mail_app, FIREFOX)  # the account's first sign-in: nothing to compare with
    _sign_in(mail_app, FIREFOX, address="192.0.2.2")  # same browser
    tick(mail_app)
    assert mailbox.wait_for(1, timeout=1) == []
    client = _sign_in(mail_app, SAFARI, address="198.51.100.7")
    tick(mail_app)
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "owner@acme.example" and "New sign-in" in mail["Subject"]
    assert "Safari/605.1.15" in mail.get_body(("plain",)).get_content()
    page = client.get("/console/password").text
    assert page.count("<tr><td>") >= 3 and "Safari/605.1.15" in page
    with mail_app.app_context():
        hashes = list(db.session.scalars(sa.select(SignInEvent.address_hash)))
        assert len(hashes) == 3 and not any("198.51" in h for h in hashes)


def test_a_new_token_is_mailed_to_the_owners(mail_app: Flask, mailbox: Any) -> None:
    mail_app.config["WTF_CSRF_ENABLED"] = False
    make_vendor(mail_app)
    console = _sign_in(mail_app, FIREFOX)
    created = console.post("/console/acme/tokens", data={
        "name": "deploy", "role": "owner", "expires_in": "30d"})
    assert created.status_code == 200
    result = mail_app.test_cli_runner().invoke(args=["create-token", "acme", "--name", "ci"])
    assert result.exit_code == 0, result.output
    tick(mail_app)
    mails = mailbox.wait_for(2)
    assert sorted(m["Subject"] for m in mails) == ["New API token for Acme Inc."] * 2
    bodies = " ".join(m.get_body(("plain",)).get_content() for m in mails)
    assert "'deploy'" in bodies and "by user:owner@acme.example" in bodies
    assert "'ci'" in bodies and "by cli" in bodies
    # The token itself is never in the mail.
    plaintext = result.stdout.strip().splitlines()[-1]
    assert plaintext not in bodies and plaintext[:10] in bodies

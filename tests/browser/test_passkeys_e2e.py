"""Passkeys in a real Chromium through the DevTools virtual authenticator, against the app
on a loopback port reached as http://localhost (a secure context; 127.0.0.1 is not one
for WebAuthn): add a passkey, use it after the password, sign in with it alone, remove
it (mailed through the real SMTP test server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from updatesrv.accounts.models import Passkey, SignInEvent
from updatesrv.db import db

from ..conftest import LiveServer, make_vendor
from ..reach_helpers import tick
from .test_accounts_e2e import mailing_app  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def _authenticator(page: Any) -> Any:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    return cdp


def _password(page: Any, base: str) -> None:
    page.goto(f"{base}/console/login")
    page.get_by_label("E-mail").fill("owner@acme.example")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in", exact=True).click()


def _sign_out(page: Any, base: str) -> None:
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(f"{base}/console/login**")


def test_passkey_second_factor_passwordless_and_removal(
        mailing_app: Flask, mailbox: Any, page: Any, tmp_path: Path) -> None:  # noqa: F811
    make_vendor(mailing_app, "acme", email="owner@acme.example")
    _authenticator(page)
    with LiveServer(mailing_app) as server:
        base = server.url.replace("127.0.0.1", "localhost")
        _password(page, base)
        page.wait_for_url(f"{base}/console/acme/")
        page.goto(f"{base}/console/passkeys")
        page.get_by_label("Name of the passkey").fill("Test laptop")
        page.get_by_role("button", name="Add a passkey").click()
        page.get_by_text("Passkey \u201cTest laptop\u201d added.").wait_for()
        page.get_by_role("cell", name="Test laptop").wait_for()
        page.screenshot(path=str(tmp_path / "passkeys.png"), full_page=True)
        _sign_out(page, base)

        # The password alone no longer signs in: the passkey is the second factor.
        _password(page, base)
        page.wait_for_url(f"{base}/console/login/code")
        page.get_by_role("button", name="Use a passkey").click()
        page.wait_for_url(f"{base}/console/acme/")
        _sign_out(page, base)

        # No password at all: the discoverable credential names the account.
        page.goto(f"{base}/console/login")
        with page.expect_request(lambda r: r.url.split("?")[0].endswith("/login/passkey")
                                 ) as sent:
            page.get_by_role("button", name="Sign in with a passkey").click()
        page.wait_for_url(f"{base}/console/acme/")
        # The same request again, signed session cookie (with its challenge) and all: the
        # challenge was claimed on the server, so it signs nobody in.
        headers = sent.value.all_headers()
        replay = requests.post(sent.value.url, data=sent.value.post_data,
                               allow_redirects=False, headers={
                                   "Cookie": headers["cookie"],
                                   "Content-Type": headers["content-type"]})
        assert replay.status_code == 302
        assert replay.headers["Location"].endswith("/console/login")
        with mailing_app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(SignInEvent)
                                     .where(SignInEvent.method == "passkey")) == 1
        with mailing_app.app_context():
            [key] = db.session.scalars(sa.select(Passkey)).all()
            assert key.sign_count >= 2 and key.last_used_at is not None

        page.goto(f"{base}/console/passkeys")
        page.get_by_role("button", name="Remove").click()
        page.get_by_text("Passkey \u201cTest laptop\u201d removed.").wait_for()
        tick(mailing_app)
        [mail] = mailbox.wait_for(1)
        assert mail["To"] == "owner@acme.example"
        assert mail["Subject"] == "A passkey was removed from your account"
        assert "Test laptop" in mail.get_body(("plain",)).get_content()
        with mailing_app.app_context():
            assert db.session.scalars(sa.select(Passkey)).all() == []
        _sign_out(page, base)
        _password(page, base)  # back to the password alone
        page.wait_for_url(f"{base}/console/acme/")
    assert page.console_errors == []

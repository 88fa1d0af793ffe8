"""Account flows in a real Chromium against the app on a loopback port, mail through the
real SMTP test server: a forgotten password, and a scoped, expiring API token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from updatesrv import runtime
from updatesrv.db import db

from ..conftest import LiveServer, make_app, make_vendor
from ..reach_helpers import tick

pytestmark = pytest.mark.browser


@pytest.fixture
def mailing_app(tmp_path: Path, pg_schema: str | None, monkeypatch: pytest.MonkeyPatch,
                mailbox: Any) -> Iterator[Flask]:
    """Mail to ``mailbox``; links point at the live server itself (no BASE_URL)."""
    monkeypatch.setenv("UPDATESRV_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, pg_schema, MAIL_URL=mailbox.url,
                   MAIL_FROM="updatesrv <accounts@updates.example>")
    yield app
    runtime(app).recorder.stop()
    with app.app_context():
        db.engine.dispose()


def _sign_in(page: Any, base: str, password: str) -> None:
    page.goto(f"{base}/console/login")
    page.get_by_label("E-mail").fill("owner@acme.example")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_forgotten_password_by_mail(mailing_app: Flask, mailbox: Any, page: Any,
                                    tmp_path: Path) -> None:
    make_vendor(mailing_app, "acme", email="owner@acme.example")
    with LiveServer(mailing_app) as server:
        base = server.url
        page.goto(f"{base}/console/login")
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_label("E-mail").fill("owner@acme.example")
        page.get_by_role("button", name="Send the reset link").click()
        page.get_by_text("a reset link is on its way").wait_for()
        tick(mailing_app)
        [mail] = mailbox.wait_for(1)
        link = next(w for w in mail.get_body(("plain",)).get_content().split()
                    if "/console/password/reset/" in w)
        assert link.startswith(f"{base}/console/password/reset/")
        page.goto(link)
        page.get_by_label("New password", exact=True).fill("my new passphrase")
        page.get_by_label("Repeat the new password").fill("my new passphrase")
        page.get_by_role("button", name="Set the new password").click()
        page.wait_for_url(f"{base}/console/login")
        page.get_by_text("Password changed and every session of your account ended").wait_for()
        page.screenshot(path=str(tmp_path / "reset-done.png"), full_page=True)
        _sign_in(page, base, "my new passphrase")
        page.wait_for_url(f"{base}/console/acme/")
        assert page.console_errors == []
        # The link is spent (a 404 page, which the browser reports as one error).
        page.goto(link)
        page.get_by_text("unknown, used or expired").wait_for()
    assert len(page.console_errors) == 1 and "404" in page.console_errors[0]


def test_scoped_expiring_token_from_the_console(app: Flask, page: Any, tmp_path: Path) -> None:
    _, owner_token = make_vendor(app, "acme", email="owner@acme.example")
    with LiveServer(app) as server:
        base = server.url
        for slug in ("ledgerly", "payroll"):
            assert requests.post(f"{base}/api/v1/products", json={"slug": slug, "name": slug},
                                 headers={"Authorization": f"Bearer {owner_token}"},
                                 timeout=10).status_code == 201
        _sign_in(page, base, "correct horse battery")
        page.wait_for_url(f"{base}/console/**")
        page.goto(f"{base}/console/acme/tokens")
        page.get_by_label("Name (e.g. CI)").fill("deploy ledgerly")
        page.get_by_label("ledgerly").check()
        page.get_by_label("Expires after").select_option("30d")
        page.get_by_role("button", name="Create token").click()
        token = page.locator("code.token").inner_text().strip()
        row = page.get_by_role("row").filter(has_text="deploy ledgerly")
        assert "ledgerly" in row.inner_text() and "payroll" not in row.inner_text()
        page.screenshot(path=str(tmp_path / "tokens.png"), full_page=True)
        headers = {"Authorization": f"Bearer {token}"}
        own = requests.get(f"{base}/api/v1/products/ledgerly/webhooks", headers=headers,
                           timeout=10)
        other = requests.get(f"{base}/api/v1/products/payroll/webhooks", headers=headers,
                             timeout=10)
        assert own.status_code == 200 and other.status_code == 404
        assert other.headers["Content-Type"] == "application/problem+json"
        page.goto(f"{base}/console/acme/tokens")
        cells = page.get_by_role("row").filter(has_text="deploy ledgerly").get_by_role("cell")
        assert cells.nth(5).inner_text().strip() != "never"  # expires
        assert "from" in cells.nth(6).inner_text()  # last used: now, from a hashed address
    assert page.console_errors == []


def test_two_factor_enrolment_and_sign_in(app: Flask, page: Any, tmp_path: Path) -> None:
    import datetime as dt

    import pyotp

    make_vendor(app, "acme", email="owner@acme.example")
    with LiveServer(app) as server:
        base = server.url
        _sign_in(page, base, "correct horse battery")
        page.wait_for_url(f"{base}/console/acme/")
        page.goto(f"{base}/console/password")
        page.get_by_role("link", name="set up or manage two-factor sign-in").click()
        qr = page.locator(".qr svg")
        assert qr.is_visible() and qr.bounding_box()["width"] > 100
        secret = page.locator("#totp-secret").inner_text().strip()
        totp = pyotp.TOTP(secret)
        page.get_by_label("The 6-digit code the app shows now").fill(totp.now())
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        page.get_by_text("Save these recovery codes somewhere safe now").wait_for()
        assert page.locator(".recovery-codes li").count() == 10
        page.screenshot(path=str(tmp_path / "two-factor-on.png"), full_page=True)
        page.get_by_role("button", name="Sign out").click()
        _sign_in(page, base, "correct horse battery")
        page.wait_for_url(f"{base}/console/login/code")
        later = totp.at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30))
        page.get_by_label("Code from your authenticator app, or a recovery code").fill(later)
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(f"{base}/console/acme/")
    assert page.console_errors == []

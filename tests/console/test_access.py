"""Walks every console route as anonymous, as another vendor's owner and as a viewer: no
one reaches what is not theirs, by URL guessing or otherwise, and nothing changes."""

from __future__ import annotations

import base64
import re

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from updatesrv.accounts.models import ApiToken, Membership
from updatesrv.audit.models import AuditEvent
from updatesrv.db import db
from updatesrv.products.models import SigningKey

from ..conftest import make_vendor, publish
from ..notices.test_api import file_notice
from .conftest import add_user, login

PUBLIC = {"console.login", "console.logout", "console.accept_invite", "console.forgot_password",
          "console.reset_password", "console.login_code"}
# Pages that exist only to change something: a viewer is refused them too.
OWNER_ONLY_GET = {"console.tokens", "console.members", "console.release_new",
                  "console.notice_new", "console.subscribers_csv"}


@pytest.fixture
def world(csrf_off, app, api, product):
    publish(api, product, "1.0")
    notice = file_notice(api)
    key = base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
    api.patch("/api/v1/products/ledgerly", json={"signing_keys": [key],
                                                 "failure_reports": True})
    api.client.post("/api/v1/products/ledgerly/reports", json={
        "install_id": "i1", "version": "1.0", "platform": "windows-x86_64",
        "reports": [{"kind": "start_failure", "exit_code": 3}]})
    group_id = api.get("/api/v1/products/ledgerly/reports").json["items"][0]["id"]
    make_vendor(app, "globex", email="boss@globex.example")
    add_user(app, "viewer@acme.example", "acme", "viewer")
    with app.app_context():
        values = {
            "vendor": "acme", "product": "ledgerly", "version": "1.0", "channel": "stable",
            "action": "pause",
            "notice_id": notice["id"],
            "token_id": db.session.scalar(sa.select(ApiToken.id).where(
                ApiToken.vendor_id == 1)),
            "membership_id": db.session.scalar(sa.select(Membership.id).where(
                Membership.vendor_id == 1)),
            "key_id": db.session.scalar(sa.select(SigningKey.id)),
            "webhook_id": "whk_0000000000000000", "delivery_id": 1, "group_id": group_id,
        }
    return values


def console_routes(app, values):
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or rule.endpoint in PUBLIC:
            continue
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(?:[^:>]+:)?{name}>", str(values[name]), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, url))
    assert len(routes) > 25
    return routes


def audit_count(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def test_anonymous_is_sent_to_login_everywhere(app, client, world):
    before = audit_count(app)
    for endpoint, method, url in console_routes(app, world):
        response = client.open(url, method=method)
        assert response.status_code == 302, (endpoint, method, url)
        assert response.headers["Location"].startswith("/console/login")
    assert audit_count(app) == before


def test_another_vendors_user_gets_404_everywhere(app, world):
    other = app.test_client()
    login(other, "boss@globex.example")
    before = audit_count(app)
    for endpoint, method, url in console_routes(app, world):
        if endpoint in {"console.home", "console.change_password",
                        "console.sign_out_everywhere_view", "console.two_factor"}:
            continue  # not vendor-specific
        response = other.open(url, method=method, data={"role": "owner", "name": "x"})
        assert response.status_code == 404, (endpoint, method, url, response.status_code)
        assert "Acme" not in response.text and "ledgerly" not in response.text.lower(), url
    assert audit_count(app) == before


def test_viewer_can_look_but_not_change(app, world):
    viewer = app.test_client()
    login(viewer, "viewer@acme.example")
    before = audit_count(app)
    for endpoint, method, url in console_routes(app, world):
        if endpoint == "console.sign_out_everywhere_view":
            continue  # their own account (and it would end this very session)
        response = viewer.open(url, method=method, data={
            "name": "x", "slug": "x", "role": "owner", "title": "t", "version": "9.9",
            "severity": "info", "affected": ">=1", "save": "1", "key-public_key": "x"})
        if method == "GET" and endpoint not in OWNER_ONLY_GET:
            assert response.status_code in (200, 302), (endpoint, url, response.status_code)
        elif endpoint in ("console.change_password", "console.two_factor"):
            assert response.status_code == 400  # their own account: form errors, no 403
        else:
            assert response.status_code == 403, (endpoint, method, url, response.status_code)
    assert audit_count(app) == before
    page = viewer.get("/console/acme/p/ledgerly/releases/1.0").text
    assert "you can look, not change" in page and "Yank 1.0" not in page

"""Clients, feed readers and CI never use the console's cookie session: under the API,
feed, download and health paths nothing reads, verifies or writes the cookie, even when a
signed-in browser sends one. The console itself keeps its sessions."""

from __future__ import annotations

import pytest
from flask.sessions import SecureCookieSessionInterface

from tests.conftest import publish

from .conftest import login


@pytest.fixture
def serializer_calls(app, monkeypatch):
    calls: list[str] = []
    original = SecureCookieSessionInterface.get_signing_serializer

    def counting(self, app_):
        from flask import request

        calls.append(request.path)
        return original(self, app_)

    monkeypatch.setattr(SecureCookieSessionInterface, "get_signing_serializer", counting)
    return calls


def test_client_paths_never_touch_the_cookie_session(owner, api, product, serializer_calls):
    publish(api, product, "1.0")
    assert owner.get_cookie("session") is not None  # a signed-in browser's cookie is sent
    serializer_calls.clear()
    for path in (f"/api/v1/products/{product}/check?version=0.9&install_id=abc",
                 f"/api/v1/products/{product}", "/healthz",
                 f"/u/{product}/electron/latest.yml"):
        response = owner.get(path)
        assert response.status_code < 500, path
        assert "Set-Cookie" not in response.headers, path
        assert "Cookie" not in response.headers.get("Vary", ""), path
    assert serializer_calls == []


def test_console_still_reads_and_writes_its_session(owner, serializer_calls):
    page = owner.get("/console/", follow_redirects=True)
    assert page.status_code == 200
    assert serializer_calls  # the cookie was verified
    assert "Cookie" in page.headers.get("Vary", "")


def test_pages_without_a_cookie_build_no_serializer(client, product, serializer_calls):
    response = client.get(f"/p/{product}/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert serializer_calls == []


def test_signing_in_still_sets_the_cookie(app, csrf_off, client, api, product):
    response = login(client, "owner@acme.example")
    assert response.status_code == 302
    assert "session=" in response.headers.get("Set-Cookie", "")

from __future__ import annotations

import hashlib
import io

import pytest
import sqlalchemy as sa

from updatesrv.accounts.models import ApiToken
from updatesrv.db import db

from ..conftest import Api, make_vendor, publish
from .conftest import PASSWORD, add_user, form_errors, login

BASE = "/console/acme/p/ledgerly"


def test_login_logout_and_bad_credentials(csrf_off, client, api):
    assert client.get("/console/").status_code == 302
    bad = login(client, "owner@acme.example", "wrong password")
    assert bad.status_code == 400 and "Wrong e-mail or password." in form_errors(bad.text)
    unknown = login(client, "nobody@acme.example")
    assert "Wrong e-mail or password." in form_errors(unknown.text)
    ok = login(client, "owner@acme.example")
    assert ok.status_code == 302
    assert client.get("/console/acme/").status_code == 200
    client.post("/console/logout")
    assert client.get("/console/acme/").status_code == 302


def test_session_cookie_flags(csrf_off, client, api):
    response = login(client, "owner@acme.example")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = client.post("/console/login", base_url="https://localhost",
                         data={"email": "owner@acme.example", "password": PASSWORD})
    assert "Secure" in secure.headers["Set-Cookie"]


def test_login_redirects_only_within_the_site(csrf_off, client, api):
    ok = client.post("/console/login?next=/console/acme/audit",
                     data={"email": "owner@acme.example", "password": PASSWORD})
    assert ok.headers["Location"] == "/console/acme/audit"
    client.post("/console/logout")
    evil = client.post("/console/login?next=https://evil.example/",
                       data={"email": "owner@acme.example", "password": PASSWORD})
    assert evil.headers["Location"] == "/console/"


def test_failed_logins_are_throttled_not_locked_forever(csrf_off, client, api, monkeypatch):
    for _ in range(5):
        assert login(client, "owner@acme.example", "wrong").status_code == 400
    blocked = login(client, "owner@acme.example", "wrong")
    assert blocked.status_code == 400  # the 6th failure is recorded and starts a block
    refused = login(client, "owner@acme.example")  # even the right password waits
    assert refused.status_code == 429 and "Try again in" in refused.text
    # Time passes: the block is short.
    import datetime as dt

    from updatesrv.accounts import login as login_module

    later = login_module.utcnow() + dt.timedelta(minutes=16)
    monkeypatch.setattr(login_module, "utcnow", lambda: later)
    assert login(client, "owner@acme.example").status_code == 302


def test_change_password_ends_other_sessions(csrf_off, app, client, api):
    login(client, "owner@acme.example")
    other = app.test_client()
    login(other, "owner@acme.example")
    short = client.post("/console/password", data={"current_password": PASSWORD,
                                                   "new_password": "short", "confirm": "short"})
    assert short.status_code == 400
    wrong = client.post("/console/password", data={"current_password": "nope",
                                                   "new_password": "a new long password",
                                                   "confirm": "a new long password"})
    assert "not your current password" in wrong.text
    ok = client.post("/console/password", data={"current_password": PASSWORD,
                                                "new_password": "a new long password",
                                                "confirm": "a new long password"})
    assert ok.status_code == 302
    assert client.get("/console/acme/").status_code == 200
    assert other.get("/console/acme/").status_code == 302  # signed out


def test_csrf_is_enforced(app, client, api, product):
    login_page = client.get("/console/login")
    assert 'name="csrf_token"' in login_page.text
    no_token = client.post("/console/login", data={"email": "owner@acme.example",
                                                   "password": PASSWORD})
    assert no_token.status_code == 400
    # The API (bearer tokens, no cookies) is exempt.
    assert api.post("/api/v1/products/ledgerly/notices",
                    json={"title": "t", "severity": "info", "affected": ">=1"}
                    ).status_code == 201


def test_create_product_and_settings(owner):
    bad = owner.post("/console/acme/", data={"slug": "Bad Slug", "name": "X"})
    assert bad.status_code == 400 and any("lowercase" in e for e in form_errors(bad.text))
    assert 'value="Bad Slug"' in bad.text  # what was typed is kept
    dup = owner.post("/console/acme/", data={"slug": "ledgerly", "name": "X"})
    assert "already exists" in dup.text
    ok = owner.post("/console/acme/", data={"slug": "invoicer", "name": "Invoicer"})
    assert ok.status_code == 302
    settings = "/console/acme/p/invoicer/settings"
    bad = owner.post(settings, data={"name": "Invoicer", "notice_prefix": "INV",
                                     "minimum_supported_version": "one"})
    assert bad.status_code == 400 and "PEP 440" in bad.text
    bad = owner.post(settings, data={"name": "Invoicer", "notice_prefix": "in v"})
    assert bad.status_code == 400
    ok = owner.post(settings, data={"name": "Invoicer Pro", "notice_prefix": "INV",
                                    "support_url": "https://help.example/",
                                    "minimum_supported_version": "1.0"})
    assert ok.status_code == 302
    assert "Invoicer Pro" in owner.get(settings).text


def test_signing_keys_add_and_retire(owner):
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
    bad = owner.post(f"{BASE}/settings/keys", data={"key-public_key": "not a key"})
    assert bad.status_code == 400 and "base64" in bad.text
    assert owner.post(f"{BASE}/settings/keys", data={"key-public_key": key}).status_code == 302
    page = owner.get(f"{BASE}/settings").text
    assert key in page and "Retire" in page


def test_release_flow_in_the_console(owner, app):
    page = owner.get(f"{BASE}/releases/new")
    assert page.status_code == 200
    preview = owner.post(f"{BASE}/releases/new", data={"version": "2.0.1", "channel": "stable",
                                                       "notes": "**Bold** fix", "preview": "1"})
    assert "<strong>Bold</strong>" in preview.text
    bad = owner.post(f"{BASE}/releases/new", data={"version": "2.0.x", "channel": "stable",
                                                   "save": "1"})
    assert bad.status_code == 400 and "PEP 440" in bad.text and 'value="2.0.x"' in bad.text
    bad_channel = owner.post(f"{BASE}/releases/new", data={"version": "2.0.1",
                                                           "channel": "weekly", "save": "1"})
    assert bad_channel.status_code == 400
    created = owner.post(f"{BASE}/releases/new", data={"version": "2.0.1", "channel": "stable",
                                                       "notes": "Fix", "save": "1"})
    assert created.status_code == 302
    dup = owner.post(f"{BASE}/releases/new", data={"version": "2.0.1.0", "channel": "stable",
                                                   "notes": "Other", "save": "1"})
    assert dup.status_code == 400 and "already exists" in dup.text
    release = f"{BASE}/releases/2.0.1"
    # Publishing without files is refused with a message.
    owner.post(f"{release}/publish")
    assert "at least one artifact" in owner.get(release).text
    payload = b"installer" * 1000
    upload = owner.post(f"{release}/upload", data={"up-platform": "windows-x86_64",
                                                   "up-file": (io.BytesIO(payload), "app.msi")},
                        content_type="multipart/form-data")
    assert upload.status_code == 302
    no_file = owner.post(f"{release}/upload", data={"up-platform": "linux-x86_64"},
                         content_type="multipart/form-data")
    assert no_file.status_code == 400
    bad_platform = owner.post(f"{release}/upload",
                              data={"up-platform": "Linux 64", "up-file": (io.BytesIO(b"x"), "a")},
                              content_type="multipart/form-data")
    assert bad_platform.status_code == 400 and "platform" in bad_platform.text
    ext_bad = owner.post(f"{release}/external", data={"ext-platform": "macos-arm64",
                                                      "ext-url": "https://cdn.example/a.dmg",
                                                      "ext-size": "-4", "ext-sha256": "x" * 64})
    assert ext_bad.status_code == 400
    ext = owner.post(f"{release}/external", data={"ext-platform": "macos-arm64",
                                                  "ext-url": "https://cdn.example/a.dmg",
                                                  "ext-size": "10", "ext-sha256": "a" * 64})
    assert ext.status_code == 302
    assert owner.post(f"{release}/publish").status_code == 302
    check = owner.get("/api/v1/products/ledgerly/check?version=2.0&platform=windows-x86_64").json
    assert check["update"]["version"] == "2.0.1"
    assert check["update"]["download"]["sha256"] == hashlib.sha256(payload).hexdigest()
    # Yank needs a reason and a confirmation.
    unconfirmed = owner.post(f"{release}/yank", data={"yank-reason": "broken"})
    assert unconfirmed.status_code == 400 and "Tick the box" in unconfirmed.text
    yanked = owner.post(f"{release}/yank", data={"yank-reason": "broken", "yank-confirm": "y"})
    assert yanked.status_code == 302
    assert owner.get("/api/v1/products/ledgerly/check?version=2.0&platform=windows-x86_64"
                     ).json["update"] is None
    assert owner.post(f"{release}/unyank").status_code == 302
    page = owner.get(release).text
    assert "release.unyank" in page and "release.yank" in page  # per-object history


def test_notice_flow_in_the_console(owner, api, product):
    publish(api, product, "2.0.0")
    publish(api, product, "2.0.1")
    new = f"{BASE}/notices/new"
    data = {"title": "Licence expired after renewal", "severity": "major",
            "status": "workaround", "affected": ">=2.0,<2.0.1", "platforms": "windows-x86_64",
            "workaround": "Delete `license.cache`.", "fixed_in": "2.0.1"}
    helper = owner.post(new, data={**data, "check": "1"})
    assert "1 published version match:" in helper.text and "2.0.0" in helper.text
    bad = owner.post(new, data={**data, "affected": "2.0 to 2.1", "check": "1"})
    assert bad.status_code == 400 and "is not a version or range" in bad.text
    bad_save = owner.post(new, data={**data, "affected": "2.0 to 2.1", "save": "1"})
    assert bad_save.status_code == 400 and 'value="2.0 to 2.1"' in bad_save.text
    bad_platform = owner.post(new, data={**data, "platforms": "Windows!", "save": "1"})
    assert bad_platform.status_code == 400
    created = owner.post(new, data={**data, "save": "1"})
    assert created.status_code == 302
    url = created.headers["Location"]
    page = owner.get(url).text
    assert "What an affected install shows" in page and "Delete <code>license.cache</code>" in page
    assert "Fixed in 2.0.1 — update available" in page
    # Saved as a draft: nobody is told until the vendor publishes it.
    assert "Draft: nobody sees it yet" in page
    assert owner.get("/api/v1/products/ledgerly/notices?version=2.0.0&platform=windows-x86_64"
                     ).json["notices"] == []
    assert owner.post(url + "/publish").status_code == 302
    assert "Draft: nobody sees it yet" not in owner.get(url).text
    # Post an update: status change → timeline → public page and API.
    posted = owner.post(url + "/update", data={"upd-status": "fixed", "upd-fixed_in": "2.0.1",
                                               "upd-message": "Fixed in **2.0.1**."})
    assert posted.status_code == 302
    notice = owner.get("/api/v1/products/ledgerly/notices?version=2.0.0&platform=windows-x86_64"
                       ).json["notices"][0]
    assert notice["status"] == "fixed" and notice["revision"] == 2
    public = owner.get(f"/p/ledgerly/known-issues/{notice['id']}").text
    assert "Fixed in <strong>2.0.1</strong>." in public
    bad_update = owner.post(url + "/update", data={"upd-status": "gone"})
    assert bad_update.status_code == 400
    listing = owner.get(f"{BASE}/notices/?status=fixed").text
    assert "Licence expired after renewal" in listing
    assert "Licence expired" not in owner.get(f"{BASE}/notices/?status=investigating").text


def test_tokens_and_invitations(owner, app, client):
    created = owner.post("/console/acme/tokens", data={"name": "CI", "role": "publisher"})
    token = created.text.split('<code class="token">')[1].split("<")[0]
    assert token.startswith("us_")
    assert Api(client, token).get("/api/v1/products/ledgerly/stats").status_code == 200
    with app.app_context():
        row = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "CI"))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        token_id = row.id
    assert token not in owner.get("/console/acme/tokens").text  # shown once only
    owner.post(f"/console/acme/tokens/{token_id}/revoke")
    assert Api(client, token).get("/api/v1/products/ledgerly/stats").status_code == 401

    invite = owner.post("/console/acme/members", data={"email": "new@acme.example",
                                                       "role": "viewer"})
    link = invite.text.split('<code class="token">')[1].split("<")[0]
    path = link.removeprefix("http://localhost")
    owner.post("/console/logout")
    newcomer = app.test_client()
    page = newcomer.get(path)
    assert "Join Acme Inc." in page.text
    short = newcomer.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 400
    joined = newcomer.post(path, data={"name": "New", "password": "long enough pw",
                                       "confirm": "long enough pw"})
    assert joined.status_code == 302
    assert newcomer.get("/console/acme/").status_code == 200
    assert newcomer.get(path).status_code == 404  # one-time


def test_last_owner_cannot_be_demoted(owner, app):
    page = owner.get("/console/acme/members").text
    membership_id = page.split("/console/acme/members/")[1].split('"')[0]
    owner.post(f"/console/acme/members/{membership_id}", data={"role": "viewer"})
    assert "at least one owner" in owner.get("/console/acme/members").text


def test_dashboard_shows_installs_chart(owner, api, product):
    publish(api, product, "1.0")
    for i in range(3):
        owner.get(f"/api/v1/products/ledgerly/check?version=1.0&install_id=install-{i}")
    page = owner.get(f"{BASE}/").text
    assert "<svg" in page and "1.0: 3 installs." in page


@pytest.mark.parametrize("version", ["../../etc", "2.0\x00", "%2e%2e"])
def test_odd_urls_are_404_not_500(owner, version):
    assert owner.get(f"{BASE}/releases/{version}").status_code == 404


def test_other_vendor_ids_in_forms(owner, app, client):
    make_vendor(app, "globex", email="boss@globex.example")
    other = app.test_client()
    login(other, "boss@globex.example")
    # Tokens and members are addressed by id: another vendor's ids are not found.
    with app.app_context():
        acme_token = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.name == "test"))
    assert other.post(f"/console/globex/tokens/{acme_token}/revoke").status_code == 404
    assert other.post("/console/globex/members/1", data={"role": "viewer"}).status_code == 404
    add_user(app, "viewer@acme.example", "acme", "viewer")


def test_new_product_dashboard_guides_the_vendor(owner, api, product, app):
    page = owner.get(f"{BASE}/").text
    assert "Getting started" in page
    for step in ("release", "support", "signing", "notice", "connect"):
        assert f'data-step="{step}"' in page
    # The product fixture has a support URL: no prompt; without one, the dashboard asks.
    assert 'id="support-missing"' not in page
    api.patch("/api/v1/products/ledgerly", json={"support_url": None})
    page = owner.get(f"{BASE}/").text
    assert 'id="support-missing"' in page
    assert 'class="done" data-step="support"' not in page
    publish(api, product, "1.0")
    page = owner.get(f"{BASE}/").text
    assert 'class="done" data-step="release"' in page


def test_settings_declare_platforms_with_names(owner, api, product):
    url = f"{BASE}/settings"
    base = {"name": "Ledgerly", "notice_prefix": "LEDG", "support_url": "https://help.example/"}
    bad = owner.post(url, data={**base, "platforms": "Windows 11!"})
    assert bad.status_code == 400 and "platforms must be 1-64 characters" in bad.text
    ok = owner.post(url, data={**base, "platforms": "linux-riscv64 = Linux (RISC-V)\n"
                                                    "windows-x86_64"})
    assert ok.status_code == 302
    page = owner.get(url).text
    assert "linux-riscv64 = Linux (RISC-V)" in page and "Linux (RISC-V) (<code>" in page
    form = owner.get(f"{BASE}/notices/new").text
    assert 'value="linux-riscv64"' in form and "Linux (RISC-V)" in form
    assert api.patch("/api/v1/products/ledgerly", json={}).json["platforms"][0] == {
        "id": "linux-riscv64", "name": "Linux (RISC-V)"}

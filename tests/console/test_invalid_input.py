"""Every console form refuses bad input with a message next to the field, keeps what was
typed, answers 400 (never 500) and changes nothing."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from updatesrv.audit.models import AuditEvent
from updatesrv.db import db

from ..conftest import make_vendor, publish
from ..notices.test_api import file_notice
from .conftest import form_errors, login

BASE = "/console/acme/p/ledgerly"
NOTICE = {"title": "T", "severity": "major", "status": "confirmed", "affected": ">=1",
          "save": "1"}

CASES = [
    ("releases/new", {"version": "", "channel": "stable", "save": "1"}),
    ("releases/new", {"version": "1" * 65, "channel": "stable", "save": "1"}),
    ("releases/new", {"version": "1.0", "channel": "stable", "notes": "x" * 100_001,
                      "save": "1"}),
    ("releases/new", {"version": "1.0", "channel": "", "save": "1"}),
    ("notices/new", {**NOTICE, "title": ""}),
    ("notices/new", {**NOTICE, "title": "x" * 121}),
    ("notices/new", {**NOTICE, "severity": "apocalyptic"}),
    ("notices/new", {**NOTICE, "status": "withdrawn"}),  # not offered on a new notice
    ("notices/new", {**NOTICE, "affected": ""}),
    ("notices/new", {**NOTICE, "affected": ">=1," * 200}),
    ("notices/new", {**NOTICE, "channels": "weekly"}),
    ("notices/new", {**NOTICE, "fixed_in": "v2 final"}),
    ("notices/new", {**NOTICE, "workaround": "x" * 50_001}),
    ("settings", {"name": "", "notice_prefix": "LEDG"}),
    ("settings", {"name": "x" * 201, "notice_prefix": "LEDG"}),
    ("settings", {"name": "L", "notice_prefix": "LEDG", "support_url": "javascript:alert(1)"}),
    ("settings", {"name": "L", "notice_prefix": "LEDG", "support_email": "not-an-email"}),
    ("releases/1.0/rollout", {"ro-rollout_percent": "abc"}),
    ("releases/1.0/rollout", {"ro-rollout_percent": "-1"}),
    ("releases/1.0/rollout", {"ro-rollout_percent": "50", "ro-min_upgrade_from": "9.9"}),
    ("releases/1.0/rollout", {"ro-rollout_percent": "50", "ro-ramp": "200% now"}),
    ("releases/1.0/external", {"ext-platform": "any", "ext-url": "https://x/y",
                               "ext-size": "1e99", "ext-sha256": "a" * 64}),
    ("releases/1.0/external", {"ext-platform": "any", "ext-url": "ftp://x/y",
                               "ext-size": "1", "ext-sha256": "a" * 64}),
    ("releases/1.0/yank", {"yank-reason": "", "yank-confirm": "y"}),
]


@pytest.mark.parametrize(("path", "data"), CASES, ids=[f"{p}:{i}" for i, (p, _) in
                                                       enumerate(CASES)])
def test_bad_form_input(owner, app, api, product, path, data):
    publish(api, product, "1.0")
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    response = owner.post(f"{BASE}/{path}", data=data)
    assert response.status_code == 400, response.status_code
    assert form_errors(response.text), "the error is shown"
    typed = next((v for k, v in data.items() if k not in ("save",) and v and len(v) < 60
                  and k not in ("severity", "status", "channels", "channel", "ext-size")),
                 None)
    if typed and path not in ("releases/1.0/yank",):
        assert typed.replace("&", "&amp;").replace(">", "&gt;") in response.text or \
            typed in response.text, "what was typed is kept"
    with app.app_context():
        after = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert after == before


def test_huge_upload_is_refused_cleanly(owner, app, api, product):
    app.config["MAX_UPLOAD_BYTES"] = 1000
    app.config["MAX_CONTENT_LENGTH"] = 2000
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    response = owner.post(f"{BASE}/releases/1.0/upload",
                          data={"up-platform": "any", "up-file": (io.BytesIO(b"x" * 5000), "a")},
                          content_type="multipart/form-data")
    assert response.status_code == 413 and "upload limit" in response.text
    assert response.mimetype == "text/html"


def test_another_vendors_objects_by_id(owner, app, api, product):
    publish(api, product, "1.0")
    notice = file_notice(api)
    make_vendor(app, "globex", email="boss@globex.example")
    other = app.test_client()
    login(other, "boss@globex.example")
    # Guessing acme's objects under globex's own vendor URL finds nothing either.
    other.post("/console/globex/", data={"slug": "gadget", "name": "Gadget"})
    for url in ("/console/globex/p/ledgerly/releases/1.0",
                f"/console/globex/p/ledgerly/notices/{notice['id']}",
                f"/console/globex/p/gadget/notices/{notice['id']}",
                "/console/globex/p/gadget/releases/1.0"):
        assert other.get(url).status_code == 404, url
    assert other.post(f"/console/globex/p/gadget/notices/{notice['id']}/update",
                      data={"upd-status": "fixed"}).status_code == 404

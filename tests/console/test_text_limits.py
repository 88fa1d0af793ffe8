"""Console side of the text rule (updatesrv/textinput.py): control characters refused next
to the field, over-long text refused with the limit named and kept whole, no maxlength."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from updatesrv.db import db
from updatesrv.notices.models import Notice

from .conftest import form_errors

NOTICE = {"title": "T", "severity": "major", "status": "confirmed", "affected": ">=1",
          "save": "1"}


@pytest.mark.parametrize(("path", "data", "field"), [
    ("notices/new", {**NOTICE, "title": "bad\x1btitle"}, "Title"),
    ("notices/new", {**NOTICE, "details": "a\x0cb"}, "Details"),
    ("settings", {"name": "Led\x00gerly", "notice_prefix": "LEDG"}, "Name"),
    ("releases/new", {"version": "1.0", "channel": "stable", "notes": "x\x1b", "save": "1"},
     "Release notes"),
])
def test_console_refuses_control_characters(owner, path, data, field):
    response = owner.post(f"/console/acme/p/ledgerly/{path}", data=data)
    assert response.status_code == 400
    errors = form_errors(response.text)
    assert any(e.startswith(field) and "control character" in e for e in errors), errors


def test_console_refuses_over_long_text_naming_the_limit(owner, app):
    title = "x" * 300
    response = owner.post("/console/acme/p/ledgerly/notices/new", data={**NOTICE, "title": title})
    assert response.status_code == 400
    assert any("300 characters long; the limit is 120" in e
               for e in form_errors(response.text)), form_errors(response.text)
    assert title in response.text, "what was typed is kept, whole"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0


def test_console_forms_never_render_maxlength(owner):
    html = owner.get("/console/acme/p/ledgerly/notices/new").text
    assert "maxlength=" not in html.replace("data-maxlength=", "")
    assert 'data-maxlength="120"' in html and 'data-maxlength="50000"' in html
    assert "textlimit.js" in html


def test_console_keeps_crlf_text_as_newlines(owner, app):
    response = owner.post("/console/acme/p/ledgerly/notices/new",
                          data={**NOTICE, "summary": "one\r\ntwo"})
    assert response.status_code == 302, form_errors(response.text)
    with app.app_context():
        assert db.session.scalar(sa.select(Notice.summary)) == "one\ntwo"

"""Single-line fields (titles, names, slugs, versions, platform ids and names, URLs) refuse
every line and paragraph separator, in the API and the console, naming the field: such
text ends up in mail headers, where a line break makes the mail impossible to build."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from updatesrv.db import db
from updatesrv.errors import InvalidInput
from updatesrv.notices.models import Notice
from updatesrv.textinput import check_text

from ..console.conftest import form_errors, login

SEPARATORS = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"]


@pytest.mark.parametrize("sep", SEPARATORS)
def test_the_shared_rule_refuses_every_separator_in_single_line_text(sep):
    with pytest.raises(InvalidInput) as caught:
        check_text(f"Licence{sep}expired", "title", 120, single_line=True)
    assert caught.value.field == "title"
    with pytest.raises(InvalidInput):  # a trailing one too: strip() must not hide it
        check_text(f"Licence expired{sep}", "title", 120, single_line=True)


def test_multi_line_text_keeps_its_line_breaks():
    assert check_text("one\r\ntwo\u2028three", "summary", 100) == "one\ntwo\u2028three"


@pytest.mark.parametrize("sep", SEPARATORS)
def test_api_refuses_a_line_break_in_a_notice_title(api, product, app, sep):
    response = api.post("/api/v1/products/ledgerly/notices",
                        json={"title": f"Licence{sep}Bcc: victim@example.com",
                              "severity": "major", "affected": ">=1.0"})
    assert response.status_code == 400, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["field"] == "title"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0


@pytest.mark.parametrize("sep", ["\n", "\r", "\u2028", "\u2029", "\x85"])
def test_api_refuses_line_breaks_in_every_single_line_field(api, product, sep):
    cases = [
        ("post", "/api/v1/products", {"slug": "x1", "name": f"Evil{sep}Name"}, "name"),
        ("post", "/api/v1/products", {"slug": f"x1{sep}", "name": "X"}, "slug"),
        ("patch", "/api/v1/products/ledgerly", {"name": f"Ledgerly{sep}"}, "name"),
        ("patch", "/api/v1/products/ledgerly",
         {"support_url": f"https://help.example/{sep}"}, "support_url"),
        ("patch", "/api/v1/products/ledgerly",
         {"platforms": [{"id": "windows-x86_64", "name": f"Windows{sep}64"}]}, "platforms"),
        ("patch", "/api/v1/products/ledgerly", {"platforms": [f"windows{sep}"]}, "platforms"),
        ("post", "/api/v1/products/ledgerly/releases",
         {"version": f"1.0{sep}x", "draft": True}, "version"),
        ("post", "/api/v1/products/ledgerly/webhooks",
         {"url": f"https://hooks.example/a{sep}b"}, "url"),
    ]
    for method, url, body, field in cases:
        response = getattr(api, method)(url, json=body)
        assert response.status_code == 400, (url, body, response.json)
        assert response.json.get("field") == field, (body, response.json)


@pytest.fixture
def owner(app, client, api, product):
    app.config["WTF_CSRF_ENABLED"] = False
    assert login(client, "owner@acme.example").status_code == 302
    return client


@pytest.mark.parametrize("sep", ["\n", "\u2028", "\u2029"])
def test_console_forms_refuse_a_line_break_next_to_the_field(owner, product, app, sep):
    base = "/console/acme/p/ledgerly"
    response = owner.post(f"{base}/notices/new",
                          data={"title": f"Licence{sep}expired", "severity": "major",
                                "status": "confirmed", "affected": ">=1", "save": "1"})
    assert response.status_code == 400
    assert any("single line" in error for error in form_errors(response.text)), \
        form_errors(response.text)
    response = owner.post(f"{base}/settings", data={"name": f"Ledgerly{sep}",
                                                    "notice_prefix": "LEDG"})
    assert response.status_code == 400
    assert any("single line" in error for error in form_errors(response.text))
    # A textarea keeps its line breaks.
    response = owner.post(f"{base}/notices/new",
                          data={"title": "Licence expired", "severity": "major",
                                "status": "confirmed", "affected": ">=1",
                                "summary": f"one{sep}two", "save": "1"})
    assert response.status_code in (302, 303), form_errors(response.text)
    with app.app_context():
        assert db.session.scalar(sa.select(Notice.title)) == "Licence expired"

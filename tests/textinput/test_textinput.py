"""One text rule for the whole app (updatesrv/textinput.py): control characters other than
tab and newline are refused, over-long text is refused with the limit named, never cut,
in the API and the console alike."""

from __future__ import annotations

import feedparser
import pytest
import sqlalchemy as sa

from updatesrv.db import db
from updatesrv.errors import InvalidInput
from updatesrv.notices.models import Notice
from updatesrv.textinput import check_json_strings, check_text

BAD = ["\x1b[31mred", "page\x0cbreak", "nul\x00byte", "del\x7f", "c1\x85next", "bell\x07",
       "lone \ud800 surrogate", "not\ufffecharacter"]


@pytest.mark.parametrize("value", BAD)
def test_control_characters_are_refused(value):
    with pytest.raises(InvalidInput) as caught:
        check_text(value, "title", 120)
    assert caught.value.field == "title"
    assert "control character" in caught.value.detail or "U+" in caught.value.detail


def test_tab_and_line_breaks_are_kept_and_normalised():
    assert check_text("a\tb\r\nc\rd\ne", "details", 100, strip=False) == "a\tb\nc\nd\ne"


def test_over_long_text_names_the_limit_and_is_not_cut():
    with pytest.raises(InvalidInput) as caught:
        check_text("x" * 121, "title", 120)
    assert "121 characters long; the limit is 120" in caught.value.detail
    assert check_text("é" * 120, "title", 120) == "é" * 120  # characters, not bytes


def test_json_strings_everywhere_in_a_body_are_checked():
    check_json_strings({"a": ["ok", {"b": "fine\twith\ttabs\n"}]})
    with pytest.raises(InvalidInput) as caught:
        check_json_strings({"artifacts": [{"url": "https://x/\x1b"}]})
    assert "artifacts[0].url" in caught.value.detail and caught.value.field == "artifacts"
    with pytest.raises(InvalidInput):
        check_json_strings({"k\x00": "v"})


@pytest.mark.parametrize("field", ["title", "summary", "details", "workaround", "message"])
@pytest.mark.parametrize("char", ["\x1b", "\x0c", "\x00", "\x9b"])
def test_api_refuses_control_characters_in_notices(api, product, app, field, char):
    body = {"title": "Licence", "severity": "major", "affected": ">=1.0",
            field: f"bad {char} text"}
    response = api.post("/api/v1/products/ledgerly/notices", json=body)
    assert response.status_code == 400, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["field"] == field
    assert f"U+{ord(char):04X}" in response.json["detail"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0


def test_api_refuses_control_characters_in_every_resource(api, product):
    cases = [
        ("post", "/api/v1/products", {"slug": "x1", "name": "Evil\x1bName"}),
        ("patch", "/api/v1/products/ledgerly", {"name": "A\x0cB"}),
        ("patch", "/api/v1/products/ledgerly", {"support_url": "https://help.example/\x1b"}),
        ("post", "/api/v1/products/ledgerly/releases",
         {"version": "1.0", "draft": True, "notes": "hello\x00"}),
        ("post", "/api/v1/products/ledgerly/releases",
         {"version": "1.0", "artifacts": [{"platform": "any", "url": "https://x.example/\x1b",
                                           "size": 1, "sha256": "a" * 64}]}),
        ("post", "/api/v1/products/ledgerly/channels/stable/stop", {"reason": "x\x1by"}),
    ]
    for method, url, body in cases:
        response = getattr(api, method)(url, json=body)
        assert response.status_code == 400, (url, body, response.json)
        assert "control character" in response.json["detail"], response.json


def test_deeply_nested_json_is_a_400(api, product):
    response = api.post("/api/v1/products/ledgerly/notices", data="[" * 100_000,
                        content_type="application/json")
    assert response.status_code == 400


def test_atom_feed_stays_valid_xml_with_tabs_and_newlines(api, product, client):
    response = api.post("/api/v1/products/ledgerly/notices",
                        json={"title": "Tab\there", "severity": "minor", "affected": ">=1",
                              "summary": "line one\r\nline two"})
    assert response.status_code == 201
    assert response.json["summary"] == "line one\nline two"
    feed = feedparser.parse(client.get("/p/ledgerly/known-issues.atom").data)
    assert not feed.bozo, feed.bozo_exception
    assert "Tab\there" in feed.entries[0].title

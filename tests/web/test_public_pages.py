from __future__ import annotations

import copy
import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import jsonschema
import pytest
import sqlalchemy as sa

from updatesrv.db import db, write_intent
from updatesrv.notices.models import Notice, NoticeUpdate

from ..conftest import publish
from ..notices.test_api import file_notice

WIN = "windows-x86_64"
OSV_SCHEMA = Path(__file__).resolve().parents[2].parent / "shared" / "osv" / "schema.json"


@pytest.fixture
def story(api, product):
    api.patch("/api/v1/products/ledgerly", json={"support_url": "https://help.example/"})
    publish(api, product, "2.0.0", notes="Big release")
    notice = file_notice(api, platforms=[WIN], status="workaround",
                         summary="After renewing, it says expired.",
                         workaround="Delete `license.cache`.", fixed_in="2.0.1",
                         details="Root cause: **stale cache**.")
    return notice


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_product_home_shows_latest_and_open_count(client, story):
    html = text(client.get("/p/ledgerly/"))
    assert "2.0.0" in html and "1 open known issue" in html
    assert "Download for Windows (64-bit)" in html


def test_known_issues_page_and_am_i_affected(client, api, story):
    html = text(client.get("/p/ledgerly/known-issues/"))
    assert "Licence expired after renewal" in html and "Workaround" in html
    affected = text(client.get(f"/p/ledgerly/known-issues/?version=2.0.0&platform={WIN}"))
    assert "1 known issue affects Ledgerly 2.0.0" in affected
    assert "<code>license.cache</code>" in affected
    assert "update to" not in affected  # the fix is not released yet
    publish(api, "ledgerly", "2.0.1")
    affected = text(client.get(f"/p/ledgerly/known-issues/?version=2.0.0&platform={WIN}"))
    assert "update to 2.0.1 to fix it" in affected
    clean = text(client.get("/p/ledgerly/known-issues/?version=1.0"))
    assert "No known issues affect Ledgerly 1.0" in clean
    bad = text(client.get("/p/ledgerly/known-issues/?version=two"))
    assert "does not look like a version number" in bad and "PEP 440" not in bad


def test_version_fields_stop_at_the_longest_version_the_server_reads(client, story):
    """Issue 18.8: a pasted log must not turn the "Am I affected?" GET into a request line
    the web server refuses; 64 characters is parse_version's limit."""
    html = text(client.get("/p/ledgerly/known-issues/"))
    fields = re.findall(r'<input[^>]*name="version"[^>]*>', html)
    visible = [f for f in fields if 'type="hidden"' not in f]
    assert visible  # "Am I affected?" (and the subscription form where mail is set up)
    assert all('maxlength="64"' in f for f in visible), visible
    long = text(client.get("/p/ledgerly/known-issues/?version=" + "9" * 65))
    assert "No known issues affect" not in long  # refused with a message, not a silent miss


def test_known_issues_filters_and_fixed_section(client, api, story):
    other = file_notice(api, title="Printing is slow", severity="minor", affected=">=1.0,<2.0.0")
    api.patch(f"/api/v1/products/ledgerly/notices/{other['id']}",
              json={"status": "fixed", "fixed_in": "2.0.0"})
    html = text(client.get("/p/ledgerly/known-issues/"))
    assert html.index("Workaround") < html.index("Recently fixed")
    assert html.index("Licence expired") < html.index("Printing is slow")
    only_minor = text(client.get("/p/ledgerly/known-issues/?severity=minor"))
    assert "Printing is slow" in only_minor and "Licence expired" not in only_minor
    mac = text(client.get("/p/ledgerly/known-issues/?platform_filter=macos-arm64"))
    assert "Printing is slow" in mac and "Licence expired" not in mac


def test_notice_page(client, api, story):
    html = text(client.get(f"/p/ledgerly/known-issues/{story['id']}"))
    assert "Versions 2.0 or later and before 2.0.1" in html
    assert "<strong>stale cache</strong>" in html
    assert "2.0.1 (not released yet)" in html
    assert "Still stuck? Contact support" in html and "https://help.example/" in html
    publish(api, "ledgerly", "2.0.1")
    api.patch(f"/api/v1/products/ledgerly/notices/{story['id']}",
              json={"status": "fixed", "message": "Fixed in **2.0.1**"})
    html = text(client.get(f"/p/ledgerly/known-issues/{story['id']}"))
    assert 'href="/p/ledgerly/releases/2.0.1"' in html
    assert "Fixed in <strong>2.0.1</strong>" in html
    assert client.get("/p/ledgerly/known-issues/LEDG-1999-0001").status_code == 404


def test_pages_need_no_javascript_and_send_security_headers(client, story):
    response = client.get("/p/ledgerly/known-issues/")
    html = response.get_data(as_text=True)
    # Everything is in the HTML itself; scripts are optional, local files, never inline.
    assert "Licence expired after renewal" in html
    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/static/localtime.js" defer>']
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


class ActiveContent(HTMLParser):
    """Collects what a browser would execute or load: script/img/iframe elements, event
    handler attributes, and javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        src = dict(attrs).get("src") or ""
        if tag == "script" and src.startswith("/static/"):
            return  # our own progressive-enhancement scripts, same origin
        if tag in {"script", "img", "iframe", "object", "embed", "svg"}:
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith(
                    ("javascript:", "data:", "vbscript:")):
                self.found.append(f"{tag}[{name}={value}]")


def active_content(html: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("field", ["workaround", "details", "message", "summary"])
def test_markdown_is_sanitised_everywhere(client, api, story, field):
    evil = ('<script>alert(1)</script> [click](javascript:alert(1)) [x](JaVaScRiPt:alert(3)) '
            '<img src=x onerror=alert(1)> <a href="javascript:alert(2)">x</a> '
            '[d](data:text/html;base64,PHNjcmlwdD4=)')
    api.patch(f"/api/v1/products/ledgerly/notices/{story['id']}", json={field: evil})
    for url in (f"/p/ledgerly/known-issues/{story['id']}",
                f"/p/ledgerly/known-issues/?version=2.0.0&platform={WIN}",
                "/p/ledgerly/known-issues/"):
        html = client.get(url).get_data(as_text=True)
        assert active_content(html) == [], url
    feed = ElementTree.fromstring(client.get("/p/ledgerly/known-issues.atom").data)
    for content in feed.iter("{http://www.w3.org/2005/Atom}content"):
        assert active_content(content.text or "") == []


def test_known_issues_atom_feed(client, api, story):
    feed = feedparser.parse(client.get("/p/ledgerly/known-issues.atom").data)
    assert not feed.bozo, feed.bozo_exception
    [entry] = feed.entries
    assert entry.title == "[workaround] Licence expired after renewal"
    assert entry.link.endswith(f"/p/ledgerly/known-issues/{story['id']}")
    first_updated = entry.updated
    api.patch(f"/api/v1/products/ledgerly/notices/{story['id']}",
              json={"status": "fixed", "message": "Fixed in 2.0.1"})
    with_update = feedparser.parse(client.get("/p/ledgerly/known-issues.atom").data)
    [entry] = with_update.entries
    assert entry.title == "[fixed] Licence expired after renewal"
    assert entry.updated >= first_updated
    assert "Fixed in 2.0.1" in entry.content[0].value
    assert "<code>license.cache</code>" in entry.content[0].value


def test_releases_atom_feed(client, api, story):
    publish(api, "ledgerly", "2.0.1", notes="Fixes *the* licence bug", critical=True)
    api.post("/api/v1/products/ledgerly/releases", json={"version": "3.0", "draft": True})
    feed = feedparser.parse(client.get("/p/ledgerly/releases.atom").data)
    assert not feed.bozo, feed.bozo_exception
    assert [e.title for e in feed.entries] == ["Ledgerly 2.0.1", "Ledgerly 2.0.0"]
    assert "<em>the</em>" in feed.entries[0].content[0].value
    assert "Critical update" in feed.entries[0].content[0].value


def _osv_validator():
    if not OSV_SCHEMA.exists():
        pytest.skip(f"OSV schema not found at {OSV_SCHEMA} (shared/ is absent in a fresh clone)")
    schema = json.loads(OSV_SCHEMA.read_text())
    relaxed = copy.deepcopy(schema)
    # The ecosystem pattern lists only the public ecosystems; a vendor's own product is
    # none of them. Every other rule stays as published.
    relaxed["$defs"]["ecosystemWithSuffix"].pop("pattern", None)
    relaxed["$defs"]["ecosystemWithSuffix"].pop("enum", None)
    return jsonschema.Draft202012Validator(relaxed,
                                           format_checker=jsonschema.FormatChecker())


def test_osv_export_validates(client, api, story):
    validator = _osv_validator()
    publish(api, "ledgerly", "2.0.1")
    file_notice(api, title="odd spec", affected="!=2.0.3,>=2.0")
    withdrawn = file_notice(api, title="not a bug", affected="==2.0.0")
    api.patch(f"/api/v1/products/ledgerly/notices/{withdrawn['id']}", json={"status": "withdrawn"})
    one = client.get(f"/p/ledgerly/known-issues/{story['id']}.osv.json").json
    validator.validate(one)
    assert one["id"] == f"x_{story['id']}"
    assert one["modified"].endswith("Z") and one["published"].endswith("Z")
    assert one["affected"][0]["ranges"] == [
        {"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "2.0.1"}]}]
    assert one["affected"][0]["versions"] == ["2.0.0"]
    assert one["database_specific"]["severity"] == "major"
    assert one["database_specific"]["workaround"] == "Delete `license.cache`."
    everything = client.get("/p/ledgerly/known-issues.osv.json").json
    assert len(everything) == 3
    for record in everything:
        validator.validate(record)
    odd = next(r for r in everything if r["summary"] == "odd spec")
    assert "ranges" not in odd["affected"][0]  # != cannot be said with OSV events
    assert odd["affected"][0]["versions"] == ["2.0.0", "2.0.1"]
    gone = next(r for r in everything if r["summary"] == "not a bug")
    assert gone["withdrawn"].endswith("Z")
    assert gone["affected"][0]["ranges"][0]["events"] == [{"introduced": "2.0.0"},
                                                         {"last_affected": "2.0.0"}]


def test_osv_ranges_for_simple_specifiers():
    from packaging.specifiers import SpecifierSet

    from updatesrv.notices.osv import _ranges

    def events(spec, fixed_in=None):
        ranges = _ranges(SpecifierSet(spec), fixed_in)
        return ranges and ranges[0]["events"]

    assert events("<3") == [{"introduced": "0"}, {"fixed": "3"}]
    assert events("<=2.1") == [{"introduced": "0"}, {"last_affected": "2.1"}]
    assert events(">=2.0", fixed_in="2.2") == [{"introduced": "2.0"}, {"fixed": "2.2"}]
    assert events(">=2.0") == [{"introduced": "2.0"}]
    assert events("~=1.4") is None and events("==2.*") is None and events(">2") is None


def test_known_issues_paginate_with_1000_notices(app, client, api, product):
    """Bulk-insert 1,000 notices; the page shows 25 and links onwards."""
    with app.app_context(), write_intent():
        product_id = db.session.scalar(sa.text("select id from products"))
        now = dt.datetime.now(dt.UTC)
        db.session.execute(sa.insert(Notice), [
            {"product_id": product_id, "public_id": f"LEDG-2026-{i:04d}", "revision": 1,
             "title": f"Issue {i}", "summary": "", "details": "", "workaround": "",
             "severity": ("critical", "major", "minor", "info")[i % 4],
             "status": ("investigating", "confirmed", "workaround", "fixed")[i % 4],
             "affected": f">={i % 7}.0", "platforms": [], "channels": [],
             "opened_at": now, "updated_at": now, "published_at": now} for i in range(1, 1001)])
        ids = db.session.scalars(sa.select(Notice.id)).all()
        db.session.execute(sa.insert(NoticeUpdate), [
            {"notice_id": nid, "created_at": now, "status": "investigating", "revision": 1,
             "message": "", "actor": "test"} for nid in ids])
        db.session.commit()
    html = text(client.get("/p/ledgerly/known-issues/"))
    assert html.count('class="card notice"') == 25
    assert "Page 1 of 40 (1000 notices)" in html and 'rel="next"' in html
    last = text(client.get("/p/ledgerly/known-issues/?page=40"))
    assert last.count('class="card notice"') == 25 and 'rel="next"' not in last
    assert client.get("/p/ledgerly/known-issues/?page=41").status_code == 404
    # Every one matches 6.5 (>=0.0 … >=6.0); fixed notices are still delivered.
    check = client.get("/api/v1/products/ledgerly/check?version=6.5").json
    assert len(check["notices"]) == 1000
    assert check["notices"][0]["severity"] == "critical"

"""One answer for "fix available", refused ranges that would reach nobody, and notice
dates (issue 19). Database-backed: runs on SQLite and, with
UPDATESRV_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import re

import pytest

from ..conftest import publish
from ..console.conftest import form_errors, login
from .test_api import file_notice

FIXED_IN = re.compile(r"<dt>Fixed in</dt><dd>(.*?)</dd>", re.S)


def fixed_in_text(client, notice_id: str) -> str:
    page = client.get(f"/p/ledgerly/known-issues/{notice_id}")
    assert page.status_code == 200
    found = FIXED_IN.search(page.text)
    assert found
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def notice_fix_available(client, notice_id: str) -> bool:
    listed = client.get("/api/v1/products/ledgerly/notices").json["notices"]
    return bool(next(n for n in listed if n["id"] == notice_id)["fix_available"])


def check(api, version: str):
    return api.get(f"/api/v1/products/ledgerly/check?version={version}"
                   "&platform=windows-x86_64").json


def test_fix_available_is_one_answer_everywhere(api, product, client):
    publish(api, product, "1.0")
    notice = file_notice(api, affected="<1.1", fixed_in="1.1")["id"]
    # Not released yet.
    assert fixed_in_text(client, notice) == "1.1 (not released yet)"
    assert not notice_fix_available(client, notice)
    # Released, then yanked: a yanked fix is no fix anywhere.
    publish(api, product, "1.1")
    assert fixed_in_text(client, notice) == "1.1 (available now)"
    assert notice_fix_available(client, notice)
    api.patch("/api/v1/products/ledgerly/releases/1.1",
              json={"yanked": True, "yank_reason": "corrupts files"})
    assert "available now" not in fixed_in_text(client, notice)
    assert not notice_fix_available(client, notice)
    body = check(api, "1.0")
    assert body["update"] is None
    assert [n["fix_available"] for n in body["notices"]] == [False]
    # A later release outside the range fixes it: the page, the API and the check agree,
    # and the page links the release that is available.
    publish(api, product, "1.2")
    assert fixed_in_text(client, notice) == "1.2 (available now)"
    page = client.get(f"/p/ledgerly/known-issues/{notice}").text
    assert "/p/ledgerly/releases/1.2" in page
    assert notice_fix_available(client, notice)
    body = check(api, "1.0")
    assert body["update"]["version"] == "1.2"
    assert [n["fix_available"] for n in body["notices"]] == [True]
    # The release page of 1.2 says it fixes the notice; the yanked 1.1 was named as the fix.
    assert notice in client.get("/p/ledgerly/releases/1.2").text


@pytest.mark.parametrize(("typed", "hint"), [
    ("2,0,0", "'2.0.0'"), ("2, 0", "'2.0'"), (">=2.0, <1.0", "contradict"),
    ("==2.0, ==2.1", "contradict")])
def test_unsatisfiable_range_is_refused_with_a_hint(api, product, typed, hint):
    response = api.post("/api/v1/products/ledgerly/notices",
                        json={"title": "Crash", "severity": "major", "affected": typed})
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json["field"] == "affected" and hint in response.json["detail"]
    assert api.get("/api/v1/products/ledgerly/notices").json["notices"] == []
    # Editing an existing notice into one that reaches nobody is refused too.
    notice = file_notice(api)["id"]
    edit = api.patch(f"/api/v1/products/ledgerly/notices/{notice}", json={"affected": typed})
    assert edit.status_code == 400 and edit.json["field"] == "affected"


@pytest.fixture
def owner(app, client, api, product):
    app.config["WTF_CSRF_ENABLED"] = False
    assert login(client, "owner@acme.example").status_code == 302
    return client


def test_console_refuses_unsatisfiable_range_next_to_the_field(owner, api, product):
    publish(api, product, "2.0")
    response = owner.post("/console/acme/p/ledgerly/notices/new", data={
        "title": "Crash", "severity": "major", "status": "confirmed", "affected": "2,0,0",
        "save": "1"})
    assert response.status_code == 400
    assert any("Did you mean '2.0.0'" in e.replace("&#39;", "'") for e in
               form_errors(response.text)), form_errors(response.text)
    # The specifier helper says the same before saving.
    preview = owner.post("/console/acme/p/ledgerly/notices/new", data={
        "title": "Crash", "severity": "major", "status": "confirmed", "affected": "2,0,0",
        "check": "1"})
    assert "2.0.0" in preview.text


def test_published_notice_is_never_updated_before_it_was_published(api, product, client):
    draft = file_notice(api, draft=True)["id"]
    published = api.patch(f"/api/v1/products/ledgerly/notices/{draft}",
                          json={"draft": False}).json
    assert published["updated_at"] >= published["published_at"]
    assert published["opened_at"] == published["published_at"]
    page = client.get(f"/p/ledgerly/known-issues/{draft}").text
    assert "<dt>Published</dt>" in page and "<dt>Last updated</dt>" in page

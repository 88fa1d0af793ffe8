"""An install that reports a platform id the product does not know is told so (400
problem+json naming the field and the known ids) instead of "nothing to see"; an updater
alias is taken only when it means exactly one of the product's platforms; the client and
its CLI say which platform they sent; the dashboard lists the ids installs sent (issue 19).
Database-backed: SQLite, and PostgreSQL with UPDATESRV_TEST_DATABASE_URL."""

from __future__ import annotations

import re

import pytest
from updatesrv_client import RequestRejected, UpdateClient
from updatesrv_client.__main__ import main as client_cli

from updatesrv import runtime

from ..conftest import artifact, publish
from ..console.conftest import login


def check(api, platform: str, path: str = "check"):
    return api.get(f"/api/v1/products/ledgerly/{path}?version=1.0&platform={platform}")


@pytest.fixture
def catalog(api, product):
    publish(api, product, "1.0", artifacts=[artifact("windows-x86_64", 1),
                                            artifact("macos-arm64", 2),
                                            artifact("macos-x86_64", 3)])
    publish(api, product, "1.1", artifacts=[artifact("windows-x86_64", 4),
                                            artifact("macos-arm64", 5),
                                            artifact("macos-x86_64", 6)])
    notice = api.post("/api/v1/products/ledgerly/notices", json={
        "title": "Crash on start", "severity": "critical", "affected": "<1.1",
        "platforms": ["windows-x86_64"]})
    assert notice.status_code == 201
    return notice.json["id"]


@pytest.mark.parametrize("path", ["check", "notices"])
def test_unknown_platform_is_refused_with_the_known_ids(api, catalog, path):
    response = check(api, "wndows-x86_64", path)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json
    assert body["field"] == "platform" and "wndows-x86_64" in body["detail"]
    assert body["known_platforms"] == ["macos-arm64", "macos-x86_64", "windows-x86_64"]


@pytest.mark.parametrize("alias", ["windows", "win64", "win-x64", "windows_amd64"])
def test_an_alias_of_exactly_one_platform_is_that_platform(api, catalog, alias):
    body = check(api, alias).json
    assert body["update"]["version"] == "1.1"
    assert [n["id"] for n in body["notices"]] == [catalog]
    assert body["update"]["download"]["url"].endswith("windows-x86_64-4.zip")


@pytest.mark.parametrize(("alias", "candidates"), [
    ("darwin", ["macos-arm64", "macos-x86_64"]), ("mac", ["macos-arm64", "macos-x86_64"])])
def test_an_alias_of_several_platforms_names_the_candidates(api, catalog, alias, candidates):
    response = check(api, alias)
    assert response.status_code == 400
    assert response.json["field"] == "platform"
    assert response.json["candidates"] == candidates


def test_a_registered_id_without_files_yet_is_a_valid_answer(api, catalog):
    # windows-arm64 is in the built-in table: the install is valid, it just has no file.
    response = check(api, "windows-arm64")
    assert response.status_code == 200 and response.json["update"] is None


def test_feeds_refuse_an_unknown_platform(api, catalog, client):
    api.patch("/api/v1/products/ledgerly", json={"feed_formats": ["squirrel", "sparkle"]})
    squirrel = client.get("/u/ledgerly/squirrel/wndows/1.0")
    assert squirrel.status_code == 400 and squirrel.json["field"] == "platform"
    sparkle = client.get("/u/ledgerly/sparkle/appcast.xml?platform=wndows&version=1.0")
    assert sparkle.status_code == 400 and sparkle.json["field"] == "platform"


def test_am_i_affected_refuses_an_unknown_platform(catalog, client):
    page = client.get("/p/ledgerly/known-issues/?version=1.0&platform=wndows")
    assert page.status_code == 200
    assert "Choose your computer from the list" in page.text


def test_client_and_cli_say_which_platform_they_sent(catalog, live_server, capsys):
    with pytest.raises(RequestRejected) as refused:
        UpdateClient(live_server.url, "ledgerly", "1.0", platform="wndows").check()
    assert "'wndows'" in str(refused.value) and "windows-x86_64" in str(refused.value)
    status = client_cli(["notices", "--server", live_server.url, "--product", "ledgerly",
                         "--version", "1.0", "--platform", "wndows"])
    err = capsys.readouterr()
    assert status == 1
    assert "No known issues" not in err.out
    assert "'wndows'" in err.err and "known platforms" in err.err


def test_dashboard_lists_unknown_platform_ids_installs_sent(app, api, catalog, client):
    for _ in range(3):
        assert check(api, "wndows").status_code == 400
    assert check(api, "linux-x86_64").status_code == 200  # registered: answered
    assert check(api, "windows-x86_64").status_code == 200  # its own: not listed
    assert check(api, "any").status_code == 200
    assert check(api, "bad id!").status_code == 400  # not an id at all: not listed
    runtime(app).recorder.flush()
    app.config["WTF_CSRF_ENABLED"] = False
    assert login(client, "owner@acme.example").status_code == 302
    page = client.get("/console/acme/p/ledgerly/").text
    section = re.search(r'id="unknown-platforms".*?</section>', page, re.S)
    assert section, "the dashboard lists unknown platform ids"

    def rows(table: str) -> list[tuple[str, str]]:
        found = re.search(rf'<table id="{table}">.*?</table>', section.group(0), re.S)
        assert found, table
        return re.findall(r"<code>([^<]+)</code></td><td>(\d+)</td>", found.group(0))

    assert rows("refused-platforms") == [("wndows", "3")]
    # A built-in id the product has not declared (nor files for) was answered, and is
    # listed apart so the vendor finds out too.
    assert rows("undeclared-platforms") == [("linux-x86_64", "1")]

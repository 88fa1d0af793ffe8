"""Console "Connect your app": exact feed URLs and snippets per updater, per-product on/off
for each format (owners only), and the warning when a release cannot appear in a feed."""

from __future__ import annotations

import html

from flask.testing import FlaskClient

from tests.conftest import Api, artifact
from tests.console.conftest import add_user, login

PAGE = "/console/acme/p/ledgerly/connect"


def test_page_shows_exact_urls_and_snippets(owner: FlaskClient) -> None:
    page = html.unescape(owner.get(PAGE).get_data(as_text=True))
    root = "http://localhost/u/ledgerly"
    assert f"<string>{root}/sparkle/appcast.xml</string>" in page  # Info.plist SUFeedURL
    assert "provider: generic" in page and f"{root}/electron/?version=${{version}}" in page
    assert f"{root}/tauri/{{{{target}}}}/{{{{arch}}}}/{{{{current_version}}}}" in page
    assert f'new UpdateManager("{root}/velopack")' in page
    assert f"{root}/squirrel/${{process.platform}}-${{process.arch}}/${{app.getVersion()}}" in page
    assert "Connect your app" in page


def test_owner_switches_formats_on_and_off(owner: FlaskClient) -> None:
    assert owner.get("/u/ledgerly/velopack/releases.stable.json").status_code == 404
    response = owner.post(PAGE, data={"feed_formats": ["velopack", "tauri"]})
    assert response.status_code == 302
    assert owner.get("/u/ledgerly/velopack/releases.stable.json").status_code == 200
    owner.post(PAGE, data={"feed_formats": ["tauri"]})
    assert owner.get("/u/ledgerly/velopack/releases.stable.json").status_code == 404
    response = owner.post(PAGE, data={"feed_formats": ["omaha"]})
    assert response.status_code == 400


def test_viewer_cannot_switch(csrf_off, client: FlaskClient, api: Api, product: str) -> None:
    add_user(csrf_off, "viewer@acme.example", "acme", "viewer")
    login(client, "viewer@acme.example")
    assert client.get(PAGE).status_code == 200
    assert client.post(PAGE, data={"feed_formats": ["tauri"]}).status_code == 403


def test_release_without_semver_form_is_warned_about(owner: FlaskClient, api: Api) -> None:
    owner.post(PAGE, data={"feed_formats": ["tauri", "sparkle"]})
    response = api.post("/api/v1/products/ledgerly/releases", json={
        "version": "2.0.post1", "artifacts": [artifact()]})
    assert response.status_code == 201, response.json
    release_page = html.unescape(owner.get("/console/acme/p/ledgerly/releases/2.0.post1")
                                 .get_data(as_text=True))
    assert "The tauri feed(s) skip 2.0.post1: it has no SemVer form" in release_page
    assert "They offer the newest release they can serve instead." in release_page
    api.post("/api/v1/products/ledgerly/releases", json={"version": "2.1",
                                                         "artifacts": [artifact()]})
    connect_page = html.unescape(owner.get(PAGE).get_data(as_text=True))
    assert "skip 2.0.post1: it has no SemVer form" in connect_page
    assert ("The tauri feed(s) skip 2.1 (windows-x86_64): its file has no minisign "
            "signature") in connect_page

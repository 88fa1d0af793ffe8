"""A subscription filter that could never match is refused, and the public forms offer
the product's platforms by name instead of a free-text box (issue 19): "windows" was
accepted, confirmed, and that subscriber was never mailed."""

from __future__ import annotations

import re

from tests.conftest import publish
from tests.reach_helpers import file_notice, tick


def subscribe(client, product, **fields):
    return client.post(f"/api/v1/products/{product}/subscriptions",
                       json={"email": "ana@example.com", **fields})


def test_api_refuses_unknown_platforms_and_unreleased_versions(api, client, product):
    publish(api, product, "2.0")
    refused = subscribe(client, product, platform="windows")
    assert refused.status_code == 400
    assert refused.json["field"] == "platform"
    assert "windows-x86_64" in refused.json["detail"]
    version = subscribe(client, product, version="9.9")
    assert version.status_code == 400 and version.json["field"] == "version"
    assert "2.0" in version.json["detail"]
    # PEP 440 equality: 2.0.0 is the released 2.0; a built-in platform id is valid.
    assert subscribe(client, product, version="2.0.0",
                     platform="windows-x86_64").status_code == 202
    assert subscribe(client, product, platform="macos-arm64").status_code == 202


def test_forms_offer_the_platforms_by_name(api, client, product):
    publish(api, product, "2.0")
    for url, select_id in ((f"/p/{product}/known-issues/", "sub-platform"),
                           (f"/p/{product}/subscribe", "f-platform")):
        page = client.get(url).text
        select = re.search(rf'<select id="{select_id}" name="platform".*?</select>', page, re.S)
        assert select, url
        options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]+)</option>', select.group(0))
        assert options == [("", "I don't know / any"), ("windows-x86_64", "Windows (64-bit)")]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    bad = client.post(f"/p/{product}/subscribe", data={
        "email": "x@example.com", "platform": "windows", "csrf_token": token})
    assert bad.status_code == 400
    assert 'id="f-platform-error"' in bad.text


def test_a_form_subscriber_on_a_platform_is_mailed(api, app, mailbox, product, confirmed):
    publish(api, product, "2.0")
    confirmed("win@example.com", platform="windows-x86_64", version="2.0")
    confirmed("mac@example.com", platform="macos-arm64")
    file_notice(api, product, platforms=["windows-x86_64"], affected=">=2.0")
    tick(app)
    got = {m["To"] for m in mailbox.messages if "Known issue" in m["Subject"]}
    assert got == {"win@example.com"}

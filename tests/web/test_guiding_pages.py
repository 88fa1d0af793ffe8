"""Pages that guide: releases and notices point at each other, public pages are for
non-technical readers, vendor Markdown never outranks the page's own headings."""

from __future__ import annotations

from ..conftest import artifact, publish


def test_release_and_notice_pages_link_both_ways(client, api, product):
    publish(api, product, "2.0.0", notes="# Big heading\n\nText")
    publish(api, product, "2.0.1")
    notice = api.post("/api/v1/products/ledgerly/notices", json={
        "title": "Licence expired", "severity": "major", "affected": ">=2.0,<2.0.1",
        "fixed_in": "2.0.1", "platforms": ["windows-x86_64"]}).json
    affected = client.get("/p/ledgerly/releases/2.0.0").text
    assert "Known issues in 2.0.0" in affected and notice["id"] in affected
    assert "<h3>Big heading</h3>" in affected and "<h1>Big heading" not in affected
    fixed = client.get("/p/ledgerly/releases/2.0.1").text
    assert "Fixed in 2.0.1:" in fixed and "Licence expired" in fixed
    page = client.get(f"/p/ledgerly/known-issues/{notice['id']}").text
    assert 'href="/p/ledgerly/releases/2.0.0"' in page
    assert 'href="/p/ledgerly/releases/2.0.1"' in page
    assert "Windows (64-bit)" in page and '<details class="tech">' in page


def test_no_support_contact_is_not_the_product_page(client, api, product):
    api.patch("/api/v1/products/ledgerly", json={"support_url": None})
    publish(api, product, "2.0.0")
    notice = api.post("/api/v1/products/ledgerly/notices", json={
        "title": "Crash", "severity": "minor", "affected": "2.0.0"}).json
    page = client.get(f"/p/ledgerly/known-issues/{notice['id']}").text
    assert "Contact support" not in page
    check = client.get("/api/v1/products/ledgerly/check?version=2.0.0").json
    assert check["notices"][0]["support_url"] is None
    assert api.get(f"/api/v1/products/ledgerly/notices/{notice['id']}").json[
        "support_url"] is None


def test_home_page_links_to_the_console(client):
    assert 'href="/console/"' in client.get("/").text


def test_am_i_affected_lists_platforms_by_name(client, api, product):
    publish(api, product, "2.0.0", artifacts=[artifact("macos-arm64", 1)])
    page = client.get("/p/ledgerly/known-issues/").text
    assert '<option value="macos-arm64" >macOS (Apple silicon)</option>' in page
    assert "About" in page  # where to find the version

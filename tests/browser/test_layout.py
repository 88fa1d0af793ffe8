"""No page is wider than the screen: every public and console page (found from the URL
map, so new pages are covered too), at 390 px (a phone) and 1280 px, with 120-character
unbroken strings seeded in every field a vendor can fill."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from ..conftest import LiveServer, make_vendor
from .artifacts import artifact_dir

pytestmark = pytest.mark.browser

LONG = "W" * 120  # one unbroken word: it cannot wrap at a space
WIDTHS = (390, 1280)
# Not pages: files (feeds, JSON, CSV: anything ending in an extension), downloads and the
# health probe.
SKIP_ENDPOINTS = {"downloads.download", "public.healthz"}
FILE_RULE = re.compile(r"\.[a-z]+$")


def _seed(app: Flask, client: Any, token: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}

    def call(method: str, url: str, **body: Any) -> Any:
        response = client.open(url, method=method, json=body, headers=headers)
        assert response.status_code in (200, 201), (url, response.json)
        return response.json

    call("POST", "/api/v1/products", slug="ledgerly", name="Ledgerly " + LONG[:100],
         support_url=f"https://help.example/{LONG}", support_email=f"{LONG[:60]}@example.com",
         platforms=[{"id": "windows-x86_64", "name": LONG[:80]}])
    notes = (f"# Heading {LONG}\n\n{LONG}\n\n`{LONG}`\n\n```\n{LONG} {LONG}\n```\n\n"
             f"| a | b |\n|---|---|\n| {LONG} | {LONG} |\n\n[{LONG}](https://x.example/{LONG})")
    artifact = {"platform": "windows-x86_64", "url": f"https://cdn.example/{LONG}.msi",
                "size": 123456, "sha256": "a" * 64}
    call("POST", "/api/v1/products/ledgerly/releases", version="1.0.0", notes=notes,
         artifacts=[artifact])
    call("POST", "/api/v1/products/ledgerly/releases", version="2.0.0", notes=notes,
         artifacts=[artifact])
    call("PATCH", "/api/v1/products/ledgerly/releases/2.0.0", yanked=True, yank_reason=LONG)
    call("POST", "/api/v1/products/ledgerly/releases", version="3.0.0b1", notes=notes,
         draft=True, channel="beta")
    notice = call("POST", "/api/v1/products/ledgerly/notices", title=LONG, severity="major",
                  affected=">=1.0,<2.0.1", summary=LONG, details=notes, workaround=notes,
                  platforms=["windows-x86_64"], fixed_in="2.0.1", message=LONG)
    call("PATCH", f"/api/v1/products/ledgerly/notices/{notice['id']}", status="workaround",
         message=notes)
    call("POST", "/api/v1/products/ledgerly/notices", title=LONG[:119] + "D",
         severity="minor", affected="1.0.0", draft=True)
    # A failure group with the longest fingerprint and exception type the API takes.
    call("PATCH", "/api/v1/products/ledgerly", failure_reports=True)
    sent = client.post("/api/v1/products/ledgerly/reports", json={
        "install_id": "layout", "version": "2.0.0", "platform": "windows-x86_64",
        "reports": [{"kind": "crash", "fingerprint": "F" * 64,
                     "exception_type": "E" * 80}]})
    assert sent.status_code == 202, sent.json
    group = call("GET", "/api/v1/products/ledgerly/reports")["items"][0]
    return {"vendor": "acme", "product": "ledgerly", "version": "1.0.0",
            "notice_id": notice["id"], "group_id": str(group["id"])}


def _pages(app: Flask, values: dict[str, str]) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS or \
                rule.rule.startswith(("/api/", "/static/", "/u/")) or FILE_RULE.search(rule.rule):
            continue
        missing = set(rule.arguments) - set(values)
        assert not missing, (f"{rule.rule}: add a value for {missing} to the layout test so "
                             "this page is checked too")
        urls.append(rule.build({k: values[k] for k in rule.arguments})[1])
    urls.append("/p/ledgerly/known-issues/?version=1.0.0&platform=windows-x86_64")
    urls.append(f"/p/ledgerly/known-issues/?version={LONG}")
    return sorted(set(urls))


def test_no_page_is_wider_than_the_screen(app, browser, request):
    _, token = make_vendor(app, "acme", email="owner@acme.example")
    values = _seed(app, app.test_client(), token)
    values["token"] = "not-a-real-invitation"
    shots = artifact_dir(request.node.name)
    too_wide = []
    with LiveServer(app) as server:
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.goto(f"{server.url}/console/login")
            page.get_by_label("E-mail").fill("owner@acme.example")
            page.get_by_label("Password").fill("correct horse battery")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(re.compile(r".*/console/acme/$"))
            urls = _pages(app, values)
            assert len(urls) > 20
            for url in urls:
                page.goto(server.url + url)
                scroll = page.evaluate("document.documentElement.scrollWidth")
                name = re.sub(r"[^\w]+", "_", url).strip("_") or "home"
                if scroll > width:
                    page.screenshot(path=str(shots / f"{width}-{name}-TOO-WIDE.png"),
                                    full_page=True)
                    too_wide.append(f"{url} at {width}px: {scroll}px wide")
                elif width == 390:
                    page.screenshot(path=str(shots / f"{width}-{name}.png"), full_page=True)
            context.close()
    assert not too_wide, "\n".join(too_wide)

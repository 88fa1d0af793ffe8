"""The vendor story, in a real Chromium: SzámlaMester writes a notice in English and
Hungarian; a hu-HU install, a de-DE install (no German text: the product's default) and an
en-US install each see the right text in the client and on the page; a Hungarian reader
subscribes on the Hungarian page and gets Hungarian mail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from updatesrv_client import UpdateClient

from tests.reach_helpers import tick

from ..conftest import LiveServer, artifact, publish

pytestmark = pytest.mark.browser

HU = {"title": "A program az indítás után leáll",
      "workaround": "Indítsa el a programot rendszergazdaként."}
EN = {"title": "The program closes right after starting",
      "workaround": "Start the program as administrator."}


@pytest.fixture
def app(mail_app: Flask) -> Flask:
    return mail_app


@pytest.fixture
def server(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as live:
        yield live


def test_each_reader_is_told_in_their_language(browser, server, api, app, mailbox, tmp_path):
    made = api.post("/api/v1/products", json={
        "slug": "szamla", "name": "SzámlaMester", "default_locale": "en",
        "offered_locales": ["hu"], "support_email": "help@szamla.example"})
    assert made.status_code == 201, made.json
    publish(api, "szamla", "2.0.0", artifacts=[artifact("windows-x86_64")])
    notice = api.post("/api/v1/products/szamla/notices", json={
        **EN, "severity": "critical", "affected": "2.0.0", "translations": {"hu": HU}}).json

    seen: dict[str, Any] = {}
    for locale, expected in (("hu-HU", HU), ("de-DE", EN), ("en-US", EN)):
        client = UpdateClient(server.url, "szamla", "2.0.0", platform="windows-x86_64",
                              locale=locale, state_dir=tmp_path / locale)
        [told] = client.check().notices
        assert told.title == expected["title"], locale
        context = browser.new_context(locale=locale)
        page = context.new_page()
        page.goto(f"{server.url}/p/szamla/known-issues/{notice['id']}")
        seen[locale] = (page.locator("html").get_attribute("lang"),
                        page.locator("h1").inner_text(),
                        page.locator("#wa-h + .notes").inner_text().strip())
        context.close()
    assert seen["hu-HU"] == ("hu", HU["title"], HU["workaround"])
    assert seen["de-DE"] == ("en", EN["title"], EN["workaround"])
    assert seen["en-US"] == ("en", EN["title"], EN["workaround"])

    # A Hungarian reader subscribes on the Hungarian page, in the browser.
    context = browser.new_context(locale="hu-HU")
    page = context.new_page()
    page.goto(f"{server.url}/p/szamla/known-issues/{notice['id']}")
    assert page.get_by_role("heading", name="Értesítsen, ha javították").is_visible()
    page.get_by_label("Az Ön e-mail-címe").fill("kata@example.hu")
    page.get_by_role("button", name="Értesítsen e-mailben").click()
    assert "Nézze meg a postafiókját" in page.locator("main").inner_text()
    tick(app)
    [confirm] = mailbox.to("kata@example.hu")
    assert confirm["Subject"] == "[SzámlaMester] Erősítse meg a feliratkozását"
    link = re.search(r"http://updates\.example(/p/\S+)", confirm.get_body(
        ("plain",)).get_content()).group(1)
    page.goto(server.url + link)
    page.get_by_role("button", name="Megerősítés").click()
    assert "Megerősítve" in page.locator("main").inner_text()
    context.close()

    api.patch(f"/api/v1/products/szamla/notices/{notice['id']}", json={
        "message": "We found the cause.",
        "translations": {"hu": {"message": "Megtaláltuk az okát."}}})
    tick(app)
    [update] = mailbox.to("kata@example.hu")[1:]
    assert update["Subject"] == f"[SzámlaMester] Fejlemény egy ismert hibáról: {HU['title']}"
    body = update.get_body(("plain",)).get_content()
    assert "Megtaláltuk az okát." in body and HU["workaround"] in body

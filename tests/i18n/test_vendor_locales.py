"""A vendor offers a notice in several languages: the product's default and offered
locales, ``translations`` on the API, the check's ``locale`` (hu-HU → hu → the product's
default, cached per matched locale), the pages (fallen-back blocks marked with their own
``lang``) and the mails of a Hungarian subscriber."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.conftest import publish
from tests.reach_helpers import tick

HU_TEXT = {"title": "A program az indítás után leáll",
           "summary": "A 2.0.0-s verzió egyes gépeken azonnal bezárul.",
           "workaround": "Indítsa el a programot **rendszergazdaként**."}
EN_TEXT = {"title": "The program closes right after starting",
           "summary": "Version 2.0.0 closes at once on some computers.",
           "workaround": "Start the program **as administrator**."}


@pytest.fixture
def app(mail_app: Flask) -> Flask:
    return mail_app


@pytest.fixture
def szamla(api: Any) -> str:
    created = api.post("/api/v1/products", json={
        "slug": "szamla", "name": "SzámlaMester", "default_locale": "en",
        "offered_locales": ["hu", "hu"], "support_email": "help@szamla.example"})
    assert created.status_code == 201, created.json
    assert created.json["default_locale"] == "en"
    assert created.json["offered_locales"] == ["hu"]
    publish(api, "szamla", "2.0.0")
    return "szamla"


def _notice(api: Any, **extra: Any) -> dict[str, Any]:
    made = api.post("/api/v1/products/szamla/notices", json={
        **EN_TEXT, "severity": "critical", "affected": ">=2.0,<2.0.1", **extra})
    assert made.status_code == 201, made.json
    return dict(made.json)


def _check(client: Any, **params: str) -> Any:
    query = "&".join(f"{k}={v}" for k, v in {"version": "2.0.0", **params}.items())
    return client.get(f"/api/v1/products/szamla/check?{query}")


@pytest.mark.parametrize(("body", "field"), [
    ({"default_locale": "klingon-xx"}, "default_locale"),
    ({"offered_locales": "hu"}, "offered_locales"),
    ({"offered_locales": ["hu", "C"]}, "offered_locales"),
])
def test_product_locales_refuse_what_is_no_language(api, szamla, body, field):
    answer = api.patch("/api/v1/products/szamla", json=body)
    assert answer.status_code == 400 and answer.json["field"] == field, answer.json


@pytest.mark.parametrize(("translations", "words"), [
    ({"de": {"title": "Absturz"}}, "not among the product's offered locales (hu)"),
    ({"en": {"title": "x"}}, "default locale"),
    ({"hu": {"titel": "x"}}, "unknown field(s) titel"),
    ({"hu": {"title": "x" * 121}}, "translations.hu.title"),
    ({"hu": "A program leáll"}, "must be an object"),
    ({"hu": {"message": "Megtaláltuk."}}, "needs the message itself"),
    ([], "must be an object"),
])
def test_bad_translations_are_refused_clearly(api, szamla, translations, words):
    answer = api.post("/api/v1/products/szamla/notices", json={
        **EN_TEXT, "severity": "major", "affected": "2.0.0", "translations": translations})
    assert answer.status_code == 400, answer.json
    assert words in answer.json["detail"] and answer.json["field"].startswith("translations")


def test_the_check_answers_in_the_best_matching_locale(api, client, szamla):
    notice = _notice(api, translations={"hu": HU_TEXT})
    assert notice["translations"] == {"hu": HU_TEXT} and notice["locale"] == "en"
    cases = {"hu-HU": "hu", "hu": "hu", "hu_HU.UTF-8": "hu", "de-DE": "en", "en-US": "en",
             "": "en", "C.UTF-8": "en", "%21%21": "en"}
    etags = {}
    for asked, matched in cases.items():
        answer = _check(client, locale=asked)
        assert answer.status_code == 200, (asked, answer.json)
        [shown] = answer.json["notices"]
        assert shown["locale"] == matched, asked
        assert shown["title"] == (HU_TEXT if matched == "hu" else EN_TEXT)["title"]
        assert shown["workaround"] == (HU_TEXT if matched == "hu" else EN_TEXT)["workaround"]
        assert answer.json["product_name"] == "SzámlaMester"
        etags[asked] = answer.headers["ETag"]
    # Cached per matched locale, not per raw tag.
    assert etags["hu-HU"] == etags["hu"] == etags["hu_HU.UTF-8"]
    assert etags["de-DE"] == etags["en-US"] == etags[""]
    assert etags["hu"] != etags["en-US"]
    listed = client.get("/api/v1/products/szamla/notices?version=2.0.0&locale=hu-HU").json
    assert listed["notices"][0]["title"] == HU_TEXT["title"]


def test_a_changed_translation_tells_installs_again(api, client, szamla):
    notice = _notice(api, translations={"hu": HU_TEXT})
    url = f"/api/v1/products/szamla/notices/{notice['id']}"
    same = api.patch(url, json={"translations": {"hu": {"title": HU_TEXT["title"]}}})
    assert same.json["revision"] == 1  # nothing a reader sees changed
    changed = api.patch(url, json={"translations": {"hu": {"summary": "Új összefoglaló."}}})
    assert changed.json["revision"] == 2
    assert changed.json["translations"]["hu"] == {**HU_TEXT, "summary": "Új összefoglaló."}
    [shown] = _check(client, locale="hu").json["notices"]
    assert shown["revision"] == 2 and shown["summary"] == "Új összefoglaló."
    cleared = api.patch(url, json={"translations": {"hu": {"summary": ""}}})
    assert "summary" not in cleared.json["translations"]["hu"]
    [partly] = _check(client, locale="hu").json["notices"]
    assert partly["title"] == HU_TEXT["title"] and partly["summary"] == EN_TEXT["summary"]
    removed = api.patch(url, json={"translations": {"hu": None}})
    assert removed.json["translations"] == {} and removed.json["revision"] == 4
    [english] = _check(client, locale="hu").json["notices"]
    assert english["locale"] == "en" and english["title"] == EN_TEXT["title"]


def test_pages_show_the_readers_text_and_mark_fallbacks(api, client, szamla):
    notice = _notice(api, translations={"hu": HU_TEXT})
    api.patch(f"/api/v1/products/szamla/notices/{notice['id']}", json={
        "message": "We found the cause.",
        "translations": {"hu": {"message": "Megtaláltuk az okát."}}})
    untranslated = _notice(api, title="Printing is slow")
    page = f"/p/szamla/known-issues/{notice['id']}"
    hungarian = client.get(page, headers={"Accept-Language": "hu-HU"}).get_data(as_text=True)
    assert '<html lang="hu">' in hungarian
    assert f"<h1>{HU_TEXT['title']}</h1>" in hungarian
    assert "Megtaláltuk az okát." in hungarian and "We found the cause." not in hungarian
    german = client.get(page, headers={"Accept-Language": "de-DE"}).get_data(as_text=True)
    assert '<html lang="en">' in german and f"<h1>{EN_TEXT['title']}</h1>" in german
    # A Hungarian page whose vendor text is only in English marks that block.
    listing = client.get("/p/szamla/known-issues/", headers={"Accept-Language": "hu"})
    html = listing.get_data(as_text=True)
    assert re.search(r'<a href="[^"]+' + untranslated["id"] + r'" lang="en">Printing is slow',
                     html)
    assert re.search(r'<a href="[^"]+' + notice["id"] + r'">' + HU_TEXT["title"], html)
    # ?lang= chooses the content language too.
    chosen = client.get(f"{page}?lang=en", headers={"Accept-Language": "hu"})
    assert f"<h1>{EN_TEXT['title']}</h1>" in chosen.get_data(as_text=True)


def test_a_product_whose_default_is_hungarian_speaks_it_to_unknown_languages(api, client):
    api.post("/api/v1/products", json={"slug": "konyvelo", "name": "Könyvelő",
                                       "default_locale": "hu"})
    page = client.get("/p/konyvelo/", headers={"Accept-Language": "de-DE"})
    assert '<html lang="hu">' in page.get_data(as_text=True)
    english = client.get("/p/konyvelo/", headers={"Accept-Language": "en-GB"})
    assert '<html lang="en">' in english.get_data(as_text=True)


def test_a_hungarian_subscriber_reads_the_vendors_hungarian(api, client, app, mailbox, szamla):
    notice = _notice(api, translations={"hu": HU_TEXT})
    for email, language in (("kata@example.hu", "hu-HU"), ("ann@example.com", "en")):
        made = client.post("/api/v1/products/szamla/subscriptions",
                           json={"email": email, "locale": language})
        assert made.status_code == 202, made.json
    tick(app)
    for email in ("kata@example.hu", "ann@example.com"):
        url = re.search(r"http://updates\.example(/p/\S+/subscriptions/confirm\?token=\S+)",
                        mailbox.to(email)[0].get_body(("plain",)).get_content()).group(1)
        assert client.post(url).status_code == 200
    api.patch(f"/api/v1/products/szamla/notices/{notice['id']}", json={
        "message": "We found the cause.",
        "translations": {"hu": {"message": "Megtaláltuk az okát."}}})
    tick(app)
    [hungarian] = mailbox.to("kata@example.hu")[1:]
    assert hungarian["Subject"] == ("[SzámlaMester] Fejlemény egy ismert hibáról: "
                                    f"{HU_TEXT['title']}")
    text = hungarian.get_body(("plain",)).get_content()
    assert "Megtaláltuk az okát." in text and HU_TEXT["summary"] in text
    assert "We found the cause." not in text
    [english] = mailbox.to("ann@example.com")[1:]
    assert english["Subject"] == f"[SzámlaMester] Update on a known issue: {EN_TEXT['title']}"
    assert "We found the cause." in english.get_body(("plain",)).get_content()


def test_release_notes_in_the_readers_language(api, client, szamla):
    made = api.post("/api/v1/products/szamla/releases", json={
        "version": "2.0.1", "notes": "Fixes the crash at start.",
        "translations": {"hu": {"notes": "Javítja az indításkori leállást."}},
        "artifacts": [{"platform": "windows-x86_64", "url": "https://cdn.example/2.0.1.zip",
                       "size": 10, "sha256": "a" * 64}]})
    assert made.status_code == 201, made.json
    assert made.json["translations"] == {"hu": {"notes": "Javítja az indításkori leállást."}}
    hungarian = _check(client, locale="hu-HU", platform="windows-x86_64").json["update"]
    assert hungarian["notes"] == "Javítja az indításkori leállást."
    assert hungarian["locale"] == "hu"
    german = _check(client, locale="de", platform="windows-x86_64").json["update"]
    assert german["notes"] == "Fixes the crash at start." and german["locale"] == "en"
    page = client.get("/p/szamla/releases/2.0.1", headers={"Accept-Language": "hu"})
    assert "Javítja az indításkori leállást." in page.get_data(as_text=True)
    refused = api.patch("/api/v1/products/szamla/releases/2.0.1",
                        json={"translations": {"fr": {"notes": "Corrige"}}})
    assert refused.status_code == 400 and "offered locales" in refused.json["detail"]
    removed = api.patch("/api/v1/products/szamla/releases/2.0.1",
                        json={"translations": {"hu": None}})
    assert removed.status_code == 200 and removed.json["translations"] == {}
    again = _check(client, locale="hu", platform="windows-x86_64").json["update"]
    assert again["notes"] == "Fixes the crash at start." and again["locale"] == "en"

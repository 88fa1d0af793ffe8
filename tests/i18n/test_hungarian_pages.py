"""A Hungarian reader gets Hungarian: every public page and every subscription mail
(through the real SMTP server) rendered with ``Accept-Language: hu`` contains none of the
software's English, names its language in ``<html lang>``, and writes dates the Hungarian
way. The same pages in English show the English (so the check can fail)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.conftest import artifact, publish
from tests.i18n.pages_text import english_fragments, english_in, visible_text
from tests.reach_helpers import tick

HU = {"Accept-Language": "hu-HU,hu;q=0.9,en;q=0.5"}
HU_DATE = re.compile(r"\b20\d\d\. (január|február|március|április|május|június|július|"
                     r"augusztus|szeptember|október|november|december) \d{1,2}\.")
SLUG = "szamlamester"


@pytest.fixture
def app(mail_app: Flask) -> Flask:
    return mail_app


@pytest.fixture
def story(api: Any) -> dict[str, Any]:
    """SzámlaMester: a Hungarian product with two releases and a Hungarian notice."""
    created = api.post("/api/v1/products", json={
        "slug": SLUG, "name": "SzámlaMester", "support_email": "segitseg@szamlamester.example"})
    assert created.status_code == 201, created.json
    publish(api, SLUG, "2.0.0", notes="Új számlasablonok.",
            artifacts=[artifact("windows-x86_64", size=1_534_567)])
    notice = api.post(f"/api/v1/products/{SLUG}/notices", json={
        "title": "A program az indítás után leáll", "severity": "critical",
        "affected": ">=2.0,<2.0.1", "platforms": ["windows-x86_64"],
        "summary": "A 2.0.0-s verzió egyes gépeken azonnal bezárul.",
        "workaround": "Indítsa el a programot **rendszergazdaként**."})
    assert notice.status_code == 201, notice.json
    return {"notice": notice.json["id"]}


def _csrf(page: Any) -> str:
    match = re.search(rb'name="csrf_token" value="([^"]+)"', page.data)
    assert match, page.data[:500]
    return match.group(1).decode()


def _assert_hungarian(html: str, where: str, fragments: list[str]) -> None:
    assert '<html lang="hu">' in html, where
    found = english_in(visible_text(html), fragments)
    assert found == [], f"English on {where}: {found}"


def _public_pages(client: Any, story: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    notice = f"/p/{SLUG}/known-issues/{story['notice']}"
    pages = {path: client.get(path, headers=headers) for path in (
        "/", f"/p/{SLUG}/", f"/p/{SLUG}/releases/", f"/p/{SLUG}/releases/2.0.0",
        f"/p/{SLUG}/known-issues/",
        f"/p/{SLUG}/known-issues/?version=2.0.0&platform=windows-x86_64",
        f"/p/{SLUG}/known-issues/?version=2.0.1",
        f"/p/{SLUG}/known-issues/?version=2,0,0",
        f"/p/{SLUG}/known-issues/?version=kettő",
        f"/p/{SLUG}/known-issues/?status=withdrawn",
        notice, f"{notice}/feedback", f"/p/{SLUG}/subscribe",
        f"/p/{SLUG}/subscribe?notice_id={story['notice']}",
        f"/p/{SLUG}/known-issues/NOPE-1", "/no-such-page",
        f"/p/{SLUG}/subscriptions/confirm?token=used-or-expired")}
    return pages


def test_every_public_page_in_hungarian(client, story):
    fragments = english_fragments("hu")
    pages = _public_pages(client, story, HU)
    for path, page in pages.items():
        assert page.status_code in (200, 404), (path, page.status_code)
        _assert_hungarian(page.get_data(as_text=True), path, fragments)
    notice_page = pages[f"/p/{SLUG}/known-issues/{story['notice']}"].get_data(as_text=True)
    text = visible_text(notice_page)
    assert "Érinti ez Önt?" not in text  # that box lives on the list page
    assert "Teendők" in text and "Előzmények" in text and "Technikai részletek" in text
    assert "Windows (64 bites)" in text and "kritikus" in text
    assert HU_DATE.search(text), text
    affected = visible_text(pages[f"/p/{SLUG}/known-issues/?version=2.0.0&platform="
                                  "windows-x86_64"].get_data(as_text=True))
    assert "Érinti ez Önt?" in affected
    assert "1 ismert hiba érinti ezt a verziót: SzámlaMester 2.0.0, Windows (64 bites)." in affected
    comma = visible_text(pages[f"/p/{SLUG}/known-issues/?version=2,0,0"].get_data(as_text=True))
    assert "Erre gondolt: 2.0.0?" in comma
    release = visible_text(pages[f"/p/{SLUG}/releases/2.0.0"].get_data(as_text=True))
    assert "1,5 MB" in release and "Letöltés \u2013 Windows (64 bites)" in release
    assert "Az oldal nem található" in visible_text(pages["/no-such-page"].get_data(as_text=True))


def test_the_same_pages_in_english_show_the_english(client, story):
    """The detector works: English pages are full of the fragments it looks for."""
    fragments = english_fragments("hu")
    pages = _public_pages(client, story, {"Accept-Language": "en-US,en;q=0.8"})
    for path, page in pages.items():
        html = page.get_data(as_text=True)
        assert '<html lang="en">' in html, path
        assert english_in(visible_text(html), fragments), path
    comma = visible_text(pages[f"/p/{SLUG}/known-issues/?version=2,0,0"].get_data(as_text=True))
    assert "did you mean 2.0.0?" in comma


def test_forms_answers_and_every_mail_in_hungarian(client, app, mailbox, api, story):
    """Subscribe on the Hungarian page: the locale is recorded, the confirmation mail, the
    pages of the links and every notice mail are Hungarian (subject, text and HTML)."""
    fragments = english_fragments("hu")
    page = client.get(f"/p/{SLUG}/known-issues/", headers=HU)
    bad = client.post(f"/p/{SLUG}/subscribe", headers=HU,
                      data={"email": "nem-cim", "csrf_token": _csrf(page)})
    assert bad.status_code == 400
    _assert_hungarian(bad.get_data(as_text=True), "subscribe error", fragments)
    assert "Adjon meg egy érvényes e-mail-címet" in bad.get_data(as_text=True)
    done = client.post(f"/p/{SLUG}/subscribe", headers=HU,
                       data={"email": "kata@example.hu", "csrf_token": _csrf(page)})
    assert done.status_code == 202
    _assert_hungarian(done.get_data(as_text=True), "subscribe sent", fragments)
    # An English reader subscribes on the English page at the same time.
    en_page = client.get(f"/p/{SLUG}/known-issues/", headers={"Accept-Language": "en"})
    client.post(f"/p/{SLUG}/subscribe", headers={"Accept-Language": "en"},
                data={"email": "ann@example.com", "csrf_token": _csrf(en_page)})
    tick(app)
    [confirm] = mailbox.to("kata@example.hu")
    _assert_mail_hungarian(confirm, fragments)
    assert confirm["Subject"] == "[SzámlaMester] Erősítse meg a feliratkozását"
    [english_confirm] = mailbox.to("ann@example.com")
    assert english_confirm["Subject"] == "[SzámlaMester] Confirm your e-mail updates"

    for address, mail in (("kata@example.hu", confirm), ("ann@example.com", english_confirm)):
        url = re.search(r"http://updates\.example(/p/\S+/subscriptions/confirm\?token=\S+)",
                        mail.get_body(("plain",)).get_content()).group(1)
        ask = client.get(url, headers=HU)
        _assert_hungarian(ask.get_data(as_text=True), "confirm page", fragments)
        confirmed = client.post(url, headers=HU)
        assert confirmed.status_code == 200, address
        _assert_hungarian(confirmed.get_data(as_text=True), "confirmed page", fragments)

    notice = story["notice"]
    api.patch(f"/api/v1/products/{SLUG}/notices/{notice}",
              json={"message": "Megtaláltuk az okát; a javítás úton van."})
    tick(app)
    publish(api, SLUG, "2.0.1", notes="Javítja az indítási hibát.")
    api.patch(f"/api/v1/products/{SLUG}/notices/{notice}",
              json={"status": "fixed", "fixed_in": "2.0.1"})
    tick(app)
    mails = mailbox.to("kata@example.hu")[1:]
    assert [m["Subject"] for m in mails] == [
        "[SzámlaMester] Fejlemény egy ismert hibáról: A program az indítás után leáll",
        "[SzámlaMester] Javítva \u2013 2.0.1: A program az indítás után leáll"]
    for mail in mails:
        _assert_mail_hungarian(mail, fragments)
    update_text = mails[0].get_body(("plain",)).get_content()
    assert "Újdonságok (" in update_text and HU_DATE.search(update_text)
    assert "2.0 vagy újabb és 2.0.1 előtti verziók" in update_text
    assert "Windows (64 bites)" in update_text and "windows-x86_64" not in update_text
    english = [m["Subject"] for m in mailbox.to("ann@example.com")[1:]]
    assert english == ["[SzámlaMester] Update on a known issue: A program az indítás után leáll",
                       "[SzámlaMester] Fixed in 2.0.1: A program az indítás után leáll"]

    unsubscribe = re.fullmatch(r"<http://updates\.example(/p/\S+)>",
                               mails[-1]["List-Unsubscribe"]).group(1)
    ask = client.get(unsubscribe, headers=HU)
    _assert_hungarian(ask.get_data(as_text=True), "unsubscribe page", fragments)
    gone = client.post(unsubscribe, headers=HU)
    _assert_hungarian(gone.get_data(as_text=True), "unsubscribed page", fragments)
    assert "Sikeres leiratkozás" in gone.get_data(as_text=True)


def _assert_mail_hungarian(mail: Any, fragments: list[str]) -> None:
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for where, body in (("subject", mail["Subject"]), ("text", text),
                        ("html", visible_text(html))):
        assert english_in(body, fragments) == [], (where, english_in(body, fragments), body)
    assert '<html lang="hu">' in html
    assert not re.search(r"\d{4}-\d\d-\d\dT", text), "no raw ISO timestamps in mails"


def test_language_choice_switcher_and_cache_keys(client, story):
    path = f"/p/{SLUG}/known-issues/"
    assert '<html lang="hu">' in client.get(path, headers=HU).get_data(as_text=True)
    # A language the server does not ship falls back to English.
    assert '<html lang="en">' in client.get(path, headers={"Accept-Language": "de-DE"}).get_data(
        as_text=True)
    page = client.get(path, headers=HU)
    assert page.headers["Vary"] and "Accept-Language" in page.headers["Vary"]
    assert "Cookie" in page.headers["Vary"]
    html = page.get_data(as_text=True)
    assert 'href="?lang=en"' in html  # the switcher
    assert '<strong lang="hu" aria-current="true">Magyar</strong>' in html
    # ?lang= wins over Accept-Language and is remembered in a cookie...
    chosen = client.get(f"{path}?lang=en", headers=HU)
    assert '<html lang="en">' in chosen.get_data(as_text=True)
    assert "lang=en" in chosen.headers["Set-Cookie"]
    # ...which then wins over Accept-Language on every page.
    assert '<html lang="en">' in client.get(f"/p/{SLUG}/", headers=HU).get_data(as_text=True)
    client.get(f"{path}?lang=hu")
    assert '<html lang="hu">' in client.get(f"/p/{SLUG}/", headers={
        "Accept-Language": "en"}).get_data(as_text=True)
    # Nonsense in ?lang= or the cookie is ignored, never a 500.
    assert client.get(f"{path}?lang=%3Cscript%3E").status_code == 200


def test_the_api_stays_english_for_machines(client, story):
    missing = client.get(f"/api/v1/products/{SLUG}/notices/NOPE-1", headers=HU)
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
    assert missing.json["title"] == "Not found"
    fixed_in = client.get(f"/api/v1/products/{SLUG}/notices/{story['notice']}", headers=HU)
    assert fixed_in.json["affected_text"] == "versions 2.0 or later and before 2.0.1"

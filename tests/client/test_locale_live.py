"""The client asks in the reader's language (the app's ``locale=``, else the system's) and
gets the vendor's translation where there is one; dialogs name the product by its name."""

from __future__ import annotations

import pytest
from updatesrv_client import UpdateClient
from updatesrv_client._locale import system_locale, to_bcp47

from ..conftest import publish

WIN = "windows-x86_64"
HU_TITLE = "A program az indítás után leáll"


@pytest.fixture
def szamla(api):
    made = api.post("/api/v1/products", json={"slug": "szamla", "name": "SzámlaMester",
                                              "offered_locales": ["hu"]})
    assert made.status_code == 201, made.json
    publish(api, "szamla", "2.0.0")
    notice = api.post("/api/v1/products/szamla/notices", json={
        "title": "The program closes right after starting", "severity": "major",
        "affected": "2.0.0", "translations": {"hu": {"title": HU_TITLE}}})
    assert notice.status_code == 201, notice.json
    return "szamla"


@pytest.mark.parametrize(("raw", "tag"), [
    ("hu_HU.UTF-8", "hu-HU"), ("hu", "hu"), ("de_CH@euro", "de-CH"), ("C.UTF-8", None),
    ("POSIX", None), ("", None), ("zh_Hant_TW", "zh-Hant-TW"), ("../etc", None)])
def test_locale_tags_from_the_system(raw, tag):
    assert to_bcp47(raw) == tag


def test_the_system_locale_follows_lc_all_then_lc_messages_then_lang(monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.setenv("LC_MESSAGES", "hu_HU.UTF-8")
    assert system_locale() == "hu-HU"
    monkeypatch.setenv("LC_ALL", "C")
    assert system_locale() is None  # C means no preference, not "a language called C"


def test_notices_come_in_the_readers_language(live_server, szamla, tmp_path, monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "hu_HU.UTF-8")
    from_system = UpdateClient(live_server.url, "szamla", "2.0.0", platform=WIN,
                               state_dir=tmp_path / "a").check()
    [notice] = from_system.notices
    assert notice.title == HU_TITLE and notice.locale == "hu"
    assert from_system.product_name == "SzámlaMester"
    # The app's choice wins over the system's; a language without text gets the default.
    german = UpdateClient(live_server.url, "szamla", "2.0.0", platform=WIN, locale="de-DE",
                          state_dir=tmp_path / "a").check()
    assert german.notices[0].locale == "en"
    assert german.notices[0].title == "The program closes right after starting"
    # The saved answer is per language: switching back does not reuse the German one.
    again = UpdateClient(live_server.url, "szamla", "2.0.0", platform=WIN, locale="hu",
                         state_dir=tmp_path / "a").check()
    assert again.notices[0].title == HU_TITLE

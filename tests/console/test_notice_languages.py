"""The console's notice page shows the notice in each offered locale side by side and
which locales still lack a translation."""

from __future__ import annotations


def test_missing_translations_are_shown(owner, api, product):
    api.patch(f"/api/v1/products/{product}", json={"offered_locales": ["hu", "de"]})
    notice = api.post(f"/api/v1/products/{product}/notices", json={
        "title": "Sync stops", "severity": "major", "affected": "2.0.0",
        "summary": "It stops.",
        "translations": {"hu": {"title": "Leáll a szinkronizálás"}}}).json
    page = owner.get(f"/console/acme/p/{product}/notices/{notice['id']}").text
    assert 'id="missing-locales"' in page and "No translation yet for de" in page
    assert '<td lang="hu">Leáll a szinkronizálás</td>' in page
    assert "missing" in page  # the Hungarian summary
    api.patch(f"/api/v1/products/{product}/notices/{notice['id']}", json={
        "translations": {"de": {"title": "Synchronisation stoppt", "summary": "Sie stoppt."},
                         "hu": {"summary": "Leáll."}}})
    done = owner.get(f"/console/acme/p/{product}/notices/{notice['id']}").text
    assert "Translated into every offered locale." in done


def test_no_languages_section_without_offered_locales(owner, api, product):
    notice = api.post(f"/api/v1/products/{product}/notices", json={
        "title": "Sync stops", "severity": "major", "affected": "2.0.0"}).json
    page = owner.get(f"/console/acme/p/{product}/notices/{notice['id']}").text
    assert 'id="lang-h"' not in page

"""A version typed with decimal commas (2,0,0) gets the dotted spelling suggested, in the
reader's language, on the API and the public forms (the console's forms:
tests/console/test_comma_versions.py)."""

from __future__ import annotations

import re

from ..conftest import publish


def test_the_api_suggests_the_dotted_version(api, product):
    refused = api.post(f"/api/v1/products/{product}/releases",
                       json={"version": "2,0,0", "draft": True})
    assert refused.status_code == 400
    assert refused.json["field"] == "version" and refused.json["suggestion"] == "2.0.0"
    assert "did you mean 2.0.0?" in refused.json["detail"]
    check = api.client.get(f"/api/v1/products/{product}/check?version=2,1")
    assert check.status_code == 400 and check.json["suggestion"] == "2.1"


def test_public_forms_suggest_it_in_hungarian_and_english(app, client, api, product):
    app.config["MAIL_URL"] = "smtp://127.0.0.1:9"  # the subscribe form shows only with mail
    publish(api, product, "2.0.0")
    for language, words in (("hu", "Erre gondolt: 2.0.0?"), ("en", "did you mean 2.0.0?")):
        affected = client.get(f"/p/{product}/known-issues/?version=2,0,0",
                              headers={"Accept-Language": language})
        assert words in affected.get_data(as_text=True), language
        page = client.get(f"/p/{product}/subscribe", headers={"Accept-Language": language})
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        refused = client.post(f"/p/{product}/subscribe", headers={"Accept-Language": language},
                              data={"email": "kata@example.hu", "version": "2,0,0",
                                    "csrf_token": token.group(1)})
        assert refused.status_code == 400
        assert words in refused.get_data(as_text=True), language

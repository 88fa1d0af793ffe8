"""Every paging parameter goes through updatesrv/paging.py: huge, negative or malformed
values are a clear 400 (problem+json on the API, a page in the console), never a 500,
on both databases."""

from __future__ import annotations

import pytest

from .conftest import publish
from .console.conftest import login

HUGE = "99999999999999999999"


@pytest.mark.parametrize("query", [
    f"offset={HUGE}", f"offset=-{HUGE}", f"limit={HUGE}", f"limit=-{HUGE}", "limit=-1",
    "limit=0", "offset=-1", "limit=abc", "offset=1e3", "limit=\uff15", "offset=1_000",
])
def test_audit_api_paging_is_bounded(api, product, query):
    response = api.get(f"/api/v1/audit?{query}")
    assert response.status_code == 400, (query, response.status_code)
    assert response.mimetype == "application/problem+json"
    assert "must be" in response.json["detail"]


def test_audit_api_paging_in_bounds(api, product):
    assert api.get("/api/v1/audit?offset=1000000000&limit=500").json == {"items": []}
    assert len(api.get("/api/v1/audit?limit=1").json["items"]) == 1


@pytest.mark.parametrize("query", [f"page={HUGE}", f"per_page={HUGE}", "page=0", "page=-3",
                                   "per_page=0", "per_page=101", f"page=-{HUGE}"])
def test_release_list_api_paging_is_bounded(api, product, query):
    publish(api, product, "1.0")
    response = api.client.get(f"/api/v1/products/ledgerly/releases?{query}")
    assert response.status_code == 400, (query, response.status_code)


@pytest.mark.parametrize("days", [HUGE, "0", "367", "-1", "x"])
def test_stats_days_is_bounded(api, product, days):
    assert api.get(f"/api/v1/products/ledgerly/stats?days={days}").status_code == 400


@pytest.mark.parametrize("page", [HUGE, f"-{HUGE}", "0", "abc"])
def test_console_and_public_pages_refuse_wild_pages(app, client, api, product, page):
    app.config["WTF_CSRF_ENABLED"] = False
    publish(api, product, "1.0")
    login(client, "owner@acme.example")
    for url in ("/console/acme/audit", "/p/ledgerly/releases/", "/p/ledgerly/known-issues/"):
        response = client.get(f"{url}?page={page}")
        assert response.status_code == 400, (url, page, response.status_code)
        assert "page must be" in response.text


def test_console_audit_far_page_is_empty_not_an_error(app, client, api, product):
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, "owner@acme.example")
    assert client.get("/console/acme/audit?page=1000000").status_code == 200

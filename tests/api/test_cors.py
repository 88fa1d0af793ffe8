"""CORS: the public check (fast lane and Flask view), notices, keys and feedback answer any
origin, with preflight; the console and the vendor API never get CORS headers."""

from __future__ import annotations

import pytest

from ..conftest import publish
from ..notices.test_api import file_notice

ORIGIN = {"Origin": "file://"}
CHECK = "/api/v1/products/ledgerly/check?version=2.0.0&platform=windows-x86_64"


def preflight(client, url, method, headers=""):
    extra = {"Access-Control-Request-Method": method, **ORIGIN}
    if headers:
        extra["Access-Control-Request-Headers"] = headers
    return client.open(url, method="OPTIONS", headers=extra)


def test_the_check_answers_any_origin_and_exposes_its_signature(api, product, client):
    publish(api, product, "2.0.1")
    fast = client.get(CHECK, headers={"Origin": "tauri://localhost"})
    assert fast.status_code == 200
    assert fast.headers["Access-Control-Allow-Origin"] == "*"
    exposed = fast.headers["Access-Control-Expose-Headers"]
    assert "Updatesrv-Signature" in exposed and "ETag" in exposed
    assert "Access-Control-Allow-Credentials" not in fast.headers
    # Revalidation (304) and an invalid check answered by the Flask view as problem+json.
    etag = fast.headers["ETag"]
    assert client.get(CHECK, headers={"If-None-Match": etag, **ORIGIN}).headers[
        "Access-Control-Allow-Origin"] == "*"
    bad = client.get("/api/v1/products/ledgerly/check?version=nope", headers=ORIGIN)
    assert bad.status_code == 400 and bad.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("url", [CHECK, "/api/v1/keys", "/api/v1/products/ledgerly/notices"])
def test_preflight_for_reads(api, product, client, url):
    response = preflight(client, url, "GET", "if-none-match, accept")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "if-none-match" in response.headers["Access-Control-Allow-Headers"]


def test_notices_keys_and_feedback(api, product, client):
    notice = file_notice(api)
    for url in ("/api/v1/keys", "/api/v1/products/ledgerly/notices",
                f"/api/v1/products/ledgerly/notices/{notice['id']}"):
        response = client.get(url, headers=ORIGIN)
        assert response.status_code == 200 and response.headers[
            "Access-Control-Allow-Origin"] == "*", url
    feedback = f"/api/v1/products/ledgerly/notices/{notice['id']}/feedback"
    assert preflight(client, feedback, "POST", "content-type").status_code == 204
    vote = client.post(feedback, json={"kind": "affected", "install_id": "install-1"},
                       headers=ORIGIN)
    assert vote.status_code == 200 and vote.headers["Access-Control-Allow-Origin"] == "*"


def test_nothing_private_gets_cors(api, product, client):
    notice = file_notice(api)
    # The vendor API: a write with a token, on a path whose GET is public, gets no CORS.
    url = f"/api/v1/products/ledgerly/notices/{notice['id']}"
    for method, headers in (("PATCH", "authorization, content-type"),
                            ("GET", "authorization"), ("POST", "content-type")):
        answer = preflight(client, url, method, headers)
        assert "Access-Control-Allow-Origin" not in answer.headers, (method, headers)
    patched = api.patch(url, json={"message": "hi"}, headers=ORIGIN)
    assert patched.status_code == 200 and "Access-Control-Allow-Origin" not in patched.headers
    filed = api.post("/api/v1/products/ledgerly/notices", json={
        "title": "x", "severity": "minor", "affected": "<3"}, headers=ORIGIN)
    assert filed.status_code == 201 and "Access-Control-Allow-Origin" not in filed.headers
    for private in ("/api/v1/products", "/api/v1/products/ledgerly/releases",
                    "/console/", "/console/login", "/p/ledgerly/"):
        response = client.get(private, headers=ORIGIN)
        assert "Access-Control-Allow-Origin" not in response.headers, private
        assert "Access-Control-Allow-Origin" not in preflight(client, private, "GET").headers

"""Vendor webhooks: Standard Webhooks signatures checked with the reference library,
deliveries to a real endpoint on loopback, retries, log and redelivery, SSRF refusals."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from tests.conftest import publish
from tests.reach_helpers import file_notice, tick


def _register(api, product, url, **extra):
    response = api.post(f"/api/v1/products/{product}/webhooks", json={"url": url, **extra})
    assert response.status_code == 201, response.json
    return response.json


def test_signed_deliveries_for_every_event(api, app, product, receiver):
    hook = _register(api, product, receiver.url)
    assert hook["secret"].startswith("whsec_") and hook["id"].startswith("whk_")
    listed = api.get(f"/api/v1/products/{product}/webhooks").json["items"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]

    notice = file_notice(api, product)
    api.patch(f"/api/v1/products/{product}/notices/{notice['id']}", json={"summary": "x"})
    api.patch(f"/api/v1/products/{product}/notices/{notice['id']}",
              json={"status": "fixed", "fixed_in": "2.0.1"})
    publish(api, product, "2.0.1")
    api.patch(f"/api/v1/products/{product}/releases/2.0.1",
              json={"yanked": True, "yank_reason": "bad build"})
    tick(app)
    verifier = Verifier(hook["secret"])
    types = []
    for request in receiver.requests:
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert request["path"] == "/hooks/updatesrv"
        assert headers["content-type"] == "application/json"
        payload = verifier.verify(request["body"], headers)  # raises if the signature is bad
        assert headers["webhook-signature"].startswith("v1,")
        types.append(payload["type"])
        assert set(payload) == {"type", "timestamp", "data"}
    assert sorted(types) == sorted(["notice.published", "notice.updated", "notice.fixed",
                                    "release.published", "release.yanked"])
    fixed = next(json.loads(r["body"]) for r in receiver.requests
                 if b'"notice.fixed"' in r["body"])
    assert fixed["data"]["notice"]["id"] == notice["id"]
    assert fixed["data"]["notice"]["fixed_in"] == "2.0.1"
    tampered = dict(receiver.requests[0]["headers"])
    with pytest.raises(Exception):  # noqa: B017 - the library's own verification error
        verifier.verify(receiver.requests[0]["body"] + b" ", {k.lower(): v for k, v in
                                                               tampered.items()})


def test_events_filter_and_delete(api, app, product, receiver):
    hook = _register(api, product, receiver.url, events=["release.published"])
    file_notice(api, product)
    publish(api, product, "3.0")
    tick(app)
    assert [json.loads(r["body"])["type"] for r in receiver.requests] == ["release.published"]
    assert api.delete(f"/api/v1/products/{product}/webhooks/{hook['id']}").status_code == 204
    assert api.get(f"/api/v1/products/{product}/webhooks").json["items"] == []
    publish(api, product, "3.1")
    tick(app)
    assert len(receiver.requests) == 1
    bad = api.post(f"/api/v1/products/{product}/webhooks",
                   json={"url": receiver.url, "events": ["release.deleted"]})
    assert bad.status_code == 400 and bad.json["field"] == "events"


def test_failed_deliveries_retry_and_can_be_redelivered(api, app, product, receiver):
    _register(api, product, receiver.url)
    receiver.status = 503
    file_notice(api, product)
    assert tick(app)["outbox_retrying"] == 1
    log = api.get(f"/api/v1/products/{product}/webhooks/deliveries").json["items"]
    assert log[0]["status"] == "pending" and log[0]["response_status"] == 503
    assert log[0]["attempts"] == 1
    receiver.status = 204
    assert tick(app, dt.timedelta(minutes=2))["outbox_sent"] == 1
    first_id = receiver.requests[0]["headers"]["webhook-id"]
    assert receiver.requests[1]["headers"]["webhook-id"] == first_id  # same message
    log = api.get(f"/api/v1/products/{product}/webhooks/deliveries").json["items"]
    assert log[0]["status"] == "sent" and log[0]["response_status"] == 204
    assert api.post(f"/api/v1/products/{product}/webhooks/deliveries/{log[0]['id']}"
                    "/redeliver").status_code == 202
    tick(app)
    assert len(receiver.requests) == 3
    assert receiver.requests[2]["headers"]["webhook-id"] == first_id


@pytest.mark.parametrize("url", ["http://hooks.example.com/x", "https://127.0.0.1/x",
                                 "https://10.1.2.3/x", "https://169.254.169.254/latest",
                                 "https://[::1]/x", "https://localhost/x",
                                 "https://user:pw@hooks.example.com/", "ftp://x.example/",
                                 "https://[::ffff:192.168.0.1]/x"])
def test_private_and_plain_http_urls_are_refused(api, app, product, url):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    response = api.post(f"/api/v1/products/{product}/webhooks", json={"url": url})
    assert response.status_code == 400, url
    assert response.json["field"] == "url"


def test_the_address_is_checked_again_at_delivery(api, app, product, receiver):
    """Registered while private addresses were allowed; at delivery time they are not, so
    nothing reaches the endpoint and the delivery fails for good with the reason."""
    _register(api, product, receiver.url)
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    file_notice(api, product)
    assert tick(app)["outbox_failed"] == 1
    assert receiver.requests == []
    log = api.get(f"/api/v1/products/{product}/webhooks/deliveries").json["items"]
    assert log[0]["status"] == "failed"
    assert "HTTPS" in log[0]["last_error"] or "private" in log[0]["last_error"]


def test_only_owners_manage_webhooks(api, app, client, product, receiver):
    import sqlalchemy as sa

    from tests.conftest import Api
    from updatesrv.accounts import tokens
    from updatesrv.accounts.models import Vendor
    from updatesrv.db import db

    with app.app_context():
        vendor = db.session.scalar(sa.select(Vendor))
        _, token = tokens.create_token(db.session, vendor, "ci", "publisher")
    response = Api(client, token).post(f"/api/v1/products/{product}/webhooks",
                                       json={"url": receiver.url})
    assert response.status_code == 403


def test_delivery_resolves_the_name_and_refuses_private_answers():
    from updatesrv.db import utcnow
    from updatesrv.webhooks.delivery import WebhookFailed, post
    from updatesrv.webhooks.signing import new_secret

    with pytest.raises(WebhookFailed, match="loopback, private or link-local") as info:
        post("https://localhost:9/x", new_secret(), "msg_1", b"{}", allow_private=False,
             timeout=1, now=utcnow())
    assert info.value.permanent

"""Console reach page: counts for all members, addresses and CSV for owners, webhooks with
a secret shown once, delivery log and redelivery, the funnel on the notice page."""

from __future__ import annotations

import pytest

from tests.console.conftest import add_user, login
from tests.reach_helpers import file_notice, tick
from tests.webhooks.conftest import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_owner_manages_webhooks_and_sees_subscribers(owner, api, app, product, receiver):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    page = owner.get("/console/acme/p/ledgerly/reach")
    assert page.status_code == 200 and b"E-mail subscribers" in page.data
    bad = owner.post("/console/acme/p/ledgerly/webhooks", data={"url": "ftp://x"})
    assert bad.status_code == 400 and b"HTTPS only" in bad.data
    created = owner.post("/console/acme/p/ledgerly/webhooks",
                         data={"url": receiver.url, "events": ["notice.published"]})
    assert created.status_code == 200 and b"whsec_" in created.data
    again = owner.get("/console/acme/p/ledgerly/reach")
    assert b"whsec_" not in again.data and receiver.url.encode() in again.data
    file_notice(api, product)
    tick(app)
    log = owner.get("/console/acme/p/ledgerly/reach").data
    assert b"notice.published" in log and b"Redeliver" in log
    import re

    delivery = re.search(rb"/webhooks/deliveries/(\d+)/redeliver", log).group(1).decode()
    assert owner.post(f"/console/acme/p/ledgerly/webhooks/deliveries/{delivery}/redeliver"
                      ).status_code == 302
    tick(app)
    assert len(receiver.requests) == 2
    csv = owner.get("/console/acme/p/ledgerly/subscribers.csv")
    assert csv.status_code == 200 and csv.data.startswith(b"email,status")
    hook_id = re.search(rb"/webhooks/(whk_[0-9a-f]+)/delete", log).group(1).decode()
    assert owner.post(f"/console/acme/p/ledgerly/webhooks/{hook_id}/delete").status_code == 302
    assert b"No webhooks." in owner.get("/console/acme/p/ledgerly/reach").data


def test_viewers_see_counts_but_no_addresses(csrf_off, app, client, api, product):
    add_user(app, "viewer@acme.example", "acme", "viewer")
    login(client, "viewer@acme.example")
    page = client.get("/console/acme/p/ledgerly/reach")
    assert page.status_code == 200 and b"Subscriber addresses" not in page.data
    assert b"Export subscribers" not in page.data
    assert client.get("/console/acme/p/ledgerly/subscribers.csv").status_code == 403
    assert client.post("/console/acme/p/ledgerly/webhooks",
                       data={"url": "https://hooks.example.com/"}).status_code == 403


def test_notice_page_draws_the_funnel_and_dashboard_shows_feedback(owner, api, client,
                                                                    product):
    from tests.conftest import publish

    publish(api, product, "2.0")
    notice = file_notice(api, product)
    client.get(f"/api/v1/products/{product}/check",
               query_string={"version": "2.0", "install_id": "i-1"})
    client.post(f"/api/v1/products/{product}/notices/{notice['id']}/feedback",
                json={"kind": "affected", "install_id": "i-1"})
    page = owner.get(f"/console/acme/p/ledgerly/notices/{notice['id']}").data
    assert b'<svg class="chart funnel"' in page
    assert b"Affected installs: 1. Told: 1. Shown: 0. Moved off: 0." in page
    dashboard = owner.get("/console/acme/p/ledgerly/").data
    assert b"Feedback: 1 affected" in dashboard
    # "I am affected", then "the workaround did not help" from the same install: still one
    # affected person, and the page says what each number counts (issue 19).
    client.post(f"/api/v1/products/{product}/notices/{notice['id']}/feedback",
                json={"kind": "workaround_failed", "install_id": "i-1"})
    text = owner.get(f"/console/acme/p/ledgerly/notices/{notice['id']}").text
    assert ("everyone who answered about the workaround is counted as affected): "
            "1 affected · 0 workaround helped · 1 did not help") in text
    assert "Affected installs: distinct installs that checked" in text

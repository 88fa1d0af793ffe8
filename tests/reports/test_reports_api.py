"""Failure reports end to end through the app: the switch, the endpoint's validation, the
grouping and rate, the caps, the alarm (rollout paused through the auto-halt, audit,
mail and webhook event) and drafting a notice from a group. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import artifact, publish
from updatesrv import runtime
from updatesrv.db import db, utcnow
from updatesrv.outbox.drain import expand_events
from updatesrv.outbox.models import OutboxEvent, OutboxMessage

URL = "/api/v1/products/ledgerly/reports"
WIN = "windows-x86_64"


def batch(install: str, version: str = "2.0", platform: str = WIN, **report: Any) -> dict:
    return {"install_id": install, "version": version, "platform": platform,
            "channel": "stable", "locale": "de-DE",
            "reports": [report or {"kind": "start_failure", "exit_code": 3,
                                   "seconds_after_start": 1.5}]}


def enable(api, **alarm: Any) -> None:
    body: dict[str, Any] = {"failure_reports": True}
    if alarm:
        body["failure_alarm"] = alarm
    response = api.patch("/api/v1/products/ledgerly", json=body)
    assert response.status_code == 200, response.json
    assert response.json["failure_reports"] is True


def check(client, install: str, version: str = "2.0", platform: str = WIN) -> None:
    response = client.get(f"/api/v1/products/ledgerly/check?version={version}"
                          f"&platform={platform}&install_id={install}")
    assert response.status_code == 200, response.json


def flush(app) -> None:
    runtime(app).recorder.flush()


def test_off_by_default_answers_404_and_the_public_never_sees_reports(api, product, client):
    response = client.post(URL, json=batch("a1"))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["type"].endswith("/failure-reports-off")
    enable(api)
    assert client.post(URL, json=batch("a1")).status_code == 202
    # Reading needs the vendor's token.
    assert client.get(URL).status_code == 401
    api.patch("/api/v1/products/ledgerly", json={"failure_reports": False})
    assert client.post(URL, json=batch("a1")).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({**batch("a1"), "user": "alice"}, None),
    (batch("a1", kind="start_failure"), "reports"),  # neither exit_code nor signal
    (batch("a1", kind="crash", exception_type="C:\\Users\\alice"), "reports"),
    (batch("a1", kind="crash", exception_type="KeyError", fingerprint="/home/alice/x"),
     "reports"),
    (batch("a1", kind="update_failure", step="reboot"), "reports"),
    (batch("a1", kind="crash", exception_type="KeyError", stack="Traceback"), "reports"),
    ({**batch("a1"), "reports": []}, "reports"),
    ({**batch("a1"), "version": "two"}, "version"),
    ({**batch("a1"), "platform": "Windows 11"}, "platform"),
    ({**batch("a1"), "channel": "no-such"}, "channel"),
    ({**batch("a1"), "install_id": "x" * 200}, "install_id"),
    (batch("a1", kind="start_failure", exit_code=1, count=0), "reports"),
])
def test_bad_batches_get_problem_json(api, product, client, body, field):
    enable(api)
    response = client.post(URL, json=body)
    assert response.status_code == 400, response.data
    assert response.mimetype == "application/problem+json"
    assert response.json.get("field") == field


def test_too_large_and_not_json(api, product, client):
    enable(api)
    big = {**batch("a1"), "reports": [{"kind": "start_failure", "exit_code": i}
                                      for i in range(2000)]}
    response = client.post(URL, json=big)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    response = client.post(URL, data="kind=crash")
    assert response.status_code == 400


def test_grouped_with_rate_against_active_installs(app, api, product, client):
    publish(api, "ledgerly", "2.0")
    enable(api)
    for n in range(40):
        check(client, f"i{n}")
    for n in range(3):
        response = client.post(URL, json=batch(f"i{n}"))
        assert response.status_code == 202
        assert response.json == {"accepted": 1, "refused": 0}
    client.post(URL, json=batch("i0", kind="crash", exception_type="ledgerly.LicenceExpired",
                                fingerprint="licence-expired", count=4))
    body = api.get(URL).json
    groups = {(g["kind"], g["fingerprint"]): g for g in body["items"]}
    start = groups[("start_failure", "exit:3")]
    assert (start["installs"], start["reports"], start["active_installs"]) == (3, 3, 40)
    assert start["failure_rate"] == 0.075
    assert start["detail"] == {"exit_code": 3, "seconds_after_start": 1.5}
    assert start["alarmed"] is False
    crash = groups[("crash", "licence-expired")]
    assert (crash["installs"], crash["reports"]) == (1, 4)
    assert body["today"]["accepted"] == 7
    with app.app_context():
        # Only hashes are stored, never the install id.
        hashes = db.session.execute(sa.text("SELECT install_hash FROM failure_installs"))
        assert all(h not in {"i0", "i1", "i2"} for (h,) in hashes)


def test_caps_are_counted(app, api, product, client):
    app.config["FAILURE_REPORTS_PER_INSTALL_PER_DAY"] = 5
    runtime(app).recorder.reports.per_install_per_day = 5
    runtime(app).recorder.reports.per_product_per_day = 8
    enable(api)
    assert client.post(URL, json=batch("a", kind="start_failure", exit_code=1,
                                       count=7)).json == {"accepted": 5, "refused": 2}
    assert client.post(URL, json=batch("b", kind="start_failure", exit_code=1,
                                       count=4)).json == {"accepted": 3, "refused": 1}
    today = api.get(URL).json["today"]
    assert today == {"accepted": 8, "over_install_cap": 2, "over_product_cap": 1,
                     "buffer_full": 0}


def test_a_spike_pauses_the_rollout_of_that_version_on_that_platform(app, api, product,
                                                                      client):
    publish(api, "ledgerly", "1.0")
    publish(api, "ledgerly", "2.0", rollout_percent=20,
            artifacts=[artifact(WIN, 2), artifact("linux-x86_64", 3)])
    publish(api, "ledgerly", "2.1b1", rollout_percent=20, channel="beta",
            artifacts=[artifact(WIN, 4)])
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    webhook = api.post("/api/v1/products/ledgerly/webhooks",
                       json={"url": "http://127.0.0.1:9/x", "events": ["failure.spike"]})
    assert webhook.status_code == 201, webhook.json
    enable(api)
    for n in range(100):
        check(client, f"w{n}")
        check(client, f"l{n}", platform="linux-x86_64")
    flush(app)
    for n in range(4):
        client.post(URL, json=batch(f"w{n}"))
        client.post(URL, json=batch(f"l{n}", platform="linux-x86_64"))
    flush(app)
    assert not api.get(URL).json["items"][0]["alarmed"]
    client.post(URL, json=batch("w4"))
    flush(app)
    groups = api.get(URL).json["items"]
    alarmed = [g for g in groups if g["alarmed"]]
    assert [(g["version"], g["platform"], g["installs"]) for g in alarmed] == [
        ("2.0", WIN, 5)]
    releases = {r["version"]: r for r in api.get(
        "/api/v1/products/ledgerly/releases?channel=beta").json.get("items", [])}
    with app.app_context():
        from updatesrv.releases.models import Release

        paused = {r.version: (r.paused, r.paused_reason) for r in db.session.scalars(
            sa.select(Release))}
        assert paused["2.0"][0] is True
        assert "fails to start (exit:3) on 5 installs" in paused["2.0"][1]
        assert paused["2.1b1"][0] is False and paused["1.0"][0] is False
        events = db.session.scalars(sa.select(OutboxEvent).where(
            OutboxEvent.kind == "failure.spike")).all()
        assert len(events) == 1
        assert events[0].payload["group"]["paused_releases"] == ["2.0"]
        mails = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.purpose == "failure.spike")).all()
        assert [m.recipient for m in mails] == ["owner@acme.example"]
        assert "Rollouts paused: 2.0" in mails[0].payload["text"]
    expand_events(app.extensions["updatesrv.db"][1], utcnow(), "secret")
    with app.app_context():
        hooks = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.channel == "webhook")).all()
        assert [h.purpose for h in hooks] == ["failure.spike"]
        assert '"type":"failure.spike"' in hooks[0].payload["body"]
    del releases
    audit = api.get("/api/v1/audit?object_type=release").json["items"]
    assert any(e["action"] == "release.auto_pause" and e["actor"] == "system"
               for e in audit)
    # Raised once: more reports do not raise it again.
    client.post(URL, json=batch("w5"))
    flush(app)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent).where(
            OutboxEvent.kind == "failure.spike")) == 1


def test_thresholds_are_per_product(app, api, product, client):
    publish(api, "ledgerly", "2.0", rollout_percent=20)
    enable(api, installs=2, percent=50)
    for n in range(4):
        check(client, f"w{n}")
    flush(app)
    client.post(URL, json=batch("w0"))
    flush(app)
    assert not api.get(URL).json["items"][0]["alarmed"]
    client.post(URL, json=batch("w1"))
    flush(app)
    assert api.get(URL).json["items"][0]["alarmed"]
    response = api.patch("/api/v1/products/ledgerly", json={"failure_alarm": {"percent": 0}})
    assert response.status_code == 400 and response.json["field"] == "failure_alarm"


def test_draft_a_notice_from_a_group_and_see_its_reach(app, api, product, client):
    publish(api, "ledgerly", "2.0")
    enable(api)
    for n in range(3):
        check(client, f"w{n}")
        client.post(URL, json=batch(f"w{n}"))
    group = api.get(URL).json["items"][0]
    response = api.post(f"{URL}/{group['id']}/notice")
    assert response.status_code == 201, response.json
    notice = response.json
    assert notice["affected"] == "==2.0" and notice["platforms"] == [WIN]
    assert notice["draft"] is True
    assert api.post(f"{URL}/{group['id']}/notice").json["id"] == notice["id"]
    api.patch(f"/api/v1/products/ledgerly/notices/{notice['id']}", json={"draft": False})
    check(client, "w0")
    check(client, "w1")
    body = api.get(f"{URL}/{group['id']}").json
    assert body["notice"] == notice["id"]
    assert body["reach"] == {"failing": 3, "told": 2, "shown": 0, "moved": 0}
    assert api.get(f"{URL}/999999").status_code == 404

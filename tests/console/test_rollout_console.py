from __future__ import annotations

from ..conftest import publish
from ..notices.test_api import file_notice
from .conftest import form_errors

BASE = "/console/acme/p/ledgerly"
WIN = "windows-x86_64"


def test_rollout_controls(owner, api, product):
    publish(api, product, "1.0")
    publish(api, product, "1.1")
    url = f"{BASE}/releases/1.1"
    bad = owner.post(f"{url}/rollout", data={"ro-rollout_percent": "150"})
    assert bad.status_code == 400
    bad_ramp = owner.post(f"{url}/rollout", data={"ro-rollout_percent": "5",
                                                  "ro-ramp": "5 percent tomorrow"})
    assert bad_ramp.status_code == 400 and any("write steps like" in e
                                               for e in form_errors(bad_ramp.text))
    ok = owner.post(f"{url}/rollout", data={"ro-rollout_percent": "5",
                                            "ro-ramp": "5% now, 25% +24h, 100% +72h"})
    assert ok.status_code == 302
    body = api.get("/api/v1/products/ledgerly/releases/1.1").json
    assert body["rollout_percent"] == 5 and [s["percent"] for s in body["ramp"]] == [5, 25, 100]
    dashboard = owner.get(f"{BASE}/").text
    assert "5% of installs" in dashboard and "next: 25%" in dashboard
    assert owner.post(f"{url}/pause").status_code == 302
    assert api.get("/api/v1/products/ledgerly/releases/1.1").json["paused"] is True
    assert "Resume rollout" in owner.get(url).text
    owner.post(f"{url}/resume")
    assert api.get("/api/v1/products/ledgerly/releases/1.1").json["paused"] is False


def test_auto_pause_reason_on_dashboard(owner, api, product):
    publish(api, product, "1.0")
    publish(api, product, "1.1", rollout_percent=10)
    notice = file_notice(api, affected="==1.1", severity="critical", title="Crash on start")
    page = owner.get(f"{BASE}/").text
    assert f"Paused automatically: critical notice {notice['id']}" in page


def test_emergency_stop_buttons(owner, api, product):
    new = owner.get(f"{BASE}/").text
    assert "Emergency stop" not in new and "Stop stable" not in new  # nothing to stop yet
    publish(api, product, "1.0")
    publish(api, product, "1.1")
    page = owner.get(f"{BASE}/").text
    assert "Stop stable" in page and "Stop beta" not in page  # only channels with releases
    unconfirmed = owner.post(f"{BASE}/channels/stable/stop", data={"reason": "bad CDN"},
                             follow_redirects=True)
    assert "tick the box to confirm" in unconfirmed.text
    assert owner.get(f"/api/v1/products/ledgerly/check?version=1.0&platform={WIN}"
                     ).json["update"]["version"] == "1.1"
    owner.post(f"{BASE}/channels/stable/stop", data={"reason": "bad CDN", "confirm": "y"})
    check = owner.get(f"/api/v1/products/ledgerly/check?version=1.0&platform={WIN}").json
    assert check["update"] is None
    assert "stable stopped" in owner.get(f"{BASE}/").text
    owner.post(f"{BASE}/channels/stable/resume")
    check = owner.get(f"/api/v1/products/ledgerly/check?version=1.0&platform={WIN}").json
    assert check["update"]["version"] == "1.1"


def test_notice_hold_field(owner, api, product):
    publish(api, product, "2.0")
    publish(api, product, "2.1")
    created = owner.post(f"{BASE}/notices/new", data={
        "title": "Printer driver conflict", "severity": "major", "status": "confirmed",
        "affected": "<2.1", "hold_release": "2.1", "save": "1"})
    assert created.status_code == 302
    assert owner.post(created.headers["Location"] + "/publish").status_code == 302
    check = owner.get(f"/api/v1/products/ledgerly/check?version=2.0&platform={WIN}").json
    assert check["update"] is None
    bad = owner.post(f"{BASE}/notices/new", data={
        "title": "x", "severity": "major", "status": "confirmed", "affected": "<2.1",
        "hold_release": "soon", "save": "1"})
    assert bad.status_code == 400 and "PEP 440" in bad.text

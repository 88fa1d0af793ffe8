"""The console side of failure reports: the switch and thresholds in the settings, the
groups, one group with its chart, "Draft a notice from this" and the dashboard's alarm."""

from __future__ import annotations

from tests.conftest import publish
from tests.console.conftest import form_errors

from .test_reports_api import URL, batch, check

BASE = "/console/acme/p/ledgerly"
SETTINGS = {"name": "Ledgerly", "notice_prefix": "LEDG", "failure_reports": "y",
            "failure_alarm_installs": "2", "failure_alarm_percent": "10"}


def test_settings_turn_reports_on_with_thresholds(owner, api, product):
    bad = owner.post(f"{BASE}/settings", data={**SETTINGS, "failure_alarm_percent": "0"})
    assert bad.status_code == 400 and form_errors(bad.text)
    assert owner.post(f"{BASE}/settings", data=SETTINGS).status_code == 302
    body = api.get("/api/v1/vendor/products").json["items"][0]
    assert body["failure_reports"] is True
    assert body["failure_alarm"] == {"installs": 2, "percent": 10.0}
    off = {k: v for k, v in SETTINGS.items() if k != "failure_reports"}
    assert owner.post(f"{BASE}/settings", data=off).status_code == 302
    assert api.get("/api/v1/vendor/products").json["items"][0]["failure_reports"] is False


def test_groups_detail_draft_notice_and_dashboard_alarm(owner, api, product, client):
    publish(api, product, "2.0", rollout_percent=20)
    owner.post(f"{BASE}/settings", data=SETTINGS)
    for n in range(10):
        check(client, f"w{n}")
    for n in range(2):
        assert client.post(URL, json=batch(f"w{n}")).status_code == 202
    listing = owner.get(f"{BASE}/reports/")
    assert listing.status_code == 200
    assert "exit:3" in listing.text and "20.0%" in listing.text and "alarm" in listing.text
    group_id = api.get(URL).json["items"][0]["id"]
    page = owner.get(f"{BASE}/reports/{group_id}").text
    assert "raised the alarm" in page and "<svg" in page
    assert "Draft a notice from this" in page
    dashboard = owner.get(f"{BASE}/").text
    assert "Failure alarms" in dashboard and "Paused automatically" in dashboard
    drafted = owner.post(f"{BASE}/reports/{group_id}/notice")
    assert drafted.status_code == 302 and "/notices/LEDG-" in drafted.location
    page = owner.get(f"{BASE}/reports/{group_id}").text
    assert "Of the 2 failing installs, 0 were told" in page
    assert "Draft a notice from this" not in page
    # The public side never shows reports.
    assert "exit:3" not in client.get("/p/ledgerly/").text

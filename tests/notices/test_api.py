from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from updatesrv.db import db
from updatesrv.notices.models import NoticeUpdate, TimelineIsAppendOnly

from ..conftest import Api, artifact, make_vendor, publish

WIN, MAC = "windows-x86_64", "macos-arm64"


def file_notice(api: Api, **fields):
    body = {"title": "Licence expired after renewal", "severity": "major",
            "affected": ">=2.0,<2.0.1", **fields}
    response = api.post("/api/v1/products/ledgerly/notices", json=body)
    assert response.status_code == 201, response.json
    return response.json


def delivered(api: Api, version: str, **params) -> list[str]:
    query = "&".join(f"{k}={v}" for k, v in {"version": version, **params}.items())
    body = api.client.get(f"/api/v1/products/ledgerly/check?{query}").json
    return [n["id"] for n in body["notices"]]


def test_the_licence_bug_story(api, product):
    """The reason updatesrv exists, end to end through the API."""
    api.patch("/api/v1/products/ledgerly", json={"support_email": "help@ledgerly.example",
                                                 "support_url": None})
    publish(api, product, "2.0.0", artifacts=[artifact(WIN, 1), artifact(MAC, 2)])
    notice = file_notice(api, platforms=[WIN], status="workaround",
                         summary="After renewing, the app says the licence expired.",
                         workaround="Delete `license.cache` from the app folder.",
                         fixed_in="2.0.1")
    assert notice["id"].startswith("LEDG-") and notice["revision"] == 1
    body = api.client.get("/api/v1/products/ledgerly/check?version=2.0.0&platform="
                          f"{WIN}").json
    [shown] = body["notices"]
    assert shown == {
        "id": notice["id"], "revision": 1, "title": "Licence expired after renewal",
        "summary": "After renewing, the app says the licence expired.", "severity": "major",
        "status": "workaround", "platforms": [WIN],
        "workaround": "Delete `license.cache` from the app folder.", "fixed_in": "2.0.1",
        "fix_available": False,
        "url": f"http://localhost/p/ledgerly/known-issues/{notice['id']}",
        "support_url": "mailto:help@ledgerly.example", "updated_at": shown["updated_at"],
        "locale": "en"}
    assert body["update"] is None
    # Mac installs are not affected; the fix ships; Windows installs get it.
    assert delivered(api, "2.0.0", platform=MAC) == []
    publish(api, product, "2.0.1", artifacts=[artifact(WIN, 3)])
    body = api.client.get(f"/api/v1/products/ledgerly/check?version=2.0.0&platform={WIN}").json
    assert body["update"]["version"] == "2.0.1"
    assert body["notices"][0]["fix_available"] is True
    assert delivered(api, "2.0.1", platform=WIN) == []


@pytest.mark.parametrize(("affected", "installed", "expected"), [
    (">=2.0,<2.0.1", "2.0", True),
    (">=2.0,<2.0.1", "2.0.0", True),
    (">=2.0,<2.0.1", "2.0.1", False),
    (">=2.0,<2.0.1", "2.0.1rc1", False),   # PEP 440: <V excludes pre-releases of V
    (">=2.0,<2.0.1", "2.0.0.post1", True),
    (">=2.0", "2.1b1", True),               # pre-releases are matched (better told)
    ("<2.1", "2.1.0.dev3", False),
    ("<=2.1", "2.1rc1", True),
    ("==2.0.*", "2.0.9", True),
    ("==2.0.*", "2.1", False),
    ("!=2.0.3,>=2.0", "2.0.3", False),
    ("!=2.0.3,>=2.0", "2.0.4", True),
    ("~=1.4", "1.9", True),
    ("~=1.4", "2.0", False),
    ("~=1.4.2", "1.4.5", True),
    ("~=1.4.2", "1.5", False),
    ("==2.0", "2.0.0", True),
])
def test_specifier_edge_cases(api, product, affected, installed, expected):
    notice = file_notice(api, affected=affected)
    assert (delivered(api, installed) == [notice["id"]]) is expected


def test_union_through_several_notices(api, product):
    a = file_notice(api, affected="<1.5", severity="minor", title="old")
    b = file_notice(api, affected=">=3.0", severity="minor", title="new")
    assert delivered(api, "1.0") == [a["id"]]
    assert delivered(api, "2.0") == []
    assert delivered(api, "3.1") == [b["id"]]


def test_platform_and_channel_filters(api, product):
    win = file_notice(api, platforms=[WIN], title="win only")
    beta = file_notice(api, channels=["beta"], title="beta only")
    assert delivered(api, "2.0.0", platform=WIN) == [win["id"]]
    assert delivered(api, "2.0.0", platform=MAC) == []
    # With no platform the filter is ignored: better told than missed.
    assert delivered(api, "2.0.0") == [win["id"]]
    assert set(delivered(api, "2.0.0", platform=WIN, channel="beta")) == {win["id"], beta["id"]}


def test_ordering_severity_then_recency_then_id(api, product):
    minor = file_notice(api, severity="minor", title="minor")
    crit = file_notice(api, severity="critical", title="critical")
    major_old = file_notice(api, severity="major", title="major old")
    major_new = file_notice(api, severity="major", title="major new")
    api.patch(f"/api/v1/products/ledgerly/notices/{major_old['id']}", json={"summary": "x"})
    assert delivered(api, "2.0") == [crit["id"], major_old["id"], major_new["id"], minor["id"]]


def test_withdrawn_are_not_delivered_but_kept(api, product):
    notice = file_notice(api)
    api.patch(f"/api/v1/products/ledgerly/notices/{notice['id']}",
              json={"status": "withdrawn", "message": "Not a bug after all"})
    assert delivered(api, "2.0") == []
    kept = api.client.get(f"/api/v1/products/ledgerly/notices/{notice['id']}").json
    assert kept["status"] == "withdrawn" and kept["resolved_at"]


def test_fixed_notice_still_delivered_to_affected_installs(api, product):
    notice = file_notice(api, fixed_in="2.0.1")
    api.patch(f"/api/v1/products/ledgerly/notices/{notice['id']}", json={"status": "fixed"})
    assert delivered(api, "2.0.0") == [notice["id"]]


def test_revision_bump_rules(api, product):
    notice = file_notice(api)
    url = f"/api/v1/products/ledgerly/notices/{notice['id']}"
    for change in ({"title": "New title"}, {"summary": "s"}, {"details": "d"},
                   {"workaround": "w"}, {"severity": "minor"}, {"status": "confirmed"},
                   {"affected": ">=2.0,<2.0.2"}, {"platforms": [WIN]}, {"channels": ["beta"]},
                   {"fixed_in": "2.0.2"}):
        before = api.client.get(url).json
        after = api.patch(url, json=change).json
        assert after["revision"] == before["revision"] + 1, change
        assert after["updated_at"] >= before["updated_at"]
    # No change, or only a message: same revision.
    same = api.patch(url, json={"title": "New title"}).json
    assert same["revision"] == 11
    message_only = api.patch(url, json={"message": "Still investigating."}).json
    assert message_only["revision"] == 11
    assert message_only["timeline"][-1]["message"] == "Still investigating."


def test_timeline_records_status_changes_and_is_append_only(app, api, product):
    notice = file_notice(api, message="We are looking into it.")
    url = f"/api/v1/products/ledgerly/notices/{notice['id']}"
    api.patch(url, json={"status": "confirmed"})
    api.patch(url, json={"status": "fixed", "fixed_in": "2.0.1", "message": "Fixed in 2.0.1"})
    timeline = api.client.get(url).json["timeline"]
    assert [(t["status"], t["message"]) for t in timeline] == [
        ("investigating", "We are looking into it."), ("confirmed", ""),
        ("fixed", "Fixed in 2.0.1")]
    with app.app_context():
        entry = db.session.scalar(sa.select(NoticeUpdate))
        entry.message = "rewritten history"
        with pytest.raises(TimelineIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(TimelineIsAppendOnly):
            db.session.delete(db.session.scalar(sa.select(NoticeUpdate)))
            db.session.commit()


def test_public_ids_are_sequential_and_prefixed(api, product):
    api.patch("/api/v1/products/ledgerly", json={"notice_prefix": "LDG"})
    year = dt.datetime.now(dt.UTC).year
    ids = [file_notice(api, title=f"n{i}")["id"] for i in range(3)]
    assert ids == [f"LDG-{year}-0001", f"LDG-{year}-0002", f"LDG-{year}-0003"]
    assert api.patch("/api/v1/products/ledgerly", json={"notice_prefix": "bad prefix"}
                     ).status_code == 400


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "", "severity": "major", "affected": ">=1"}, "title"),
    ({"title": "x" * 121, "severity": "major", "affected": ">=1"}, "title"),
    ({"title": "t", "severity": "catastrophic", "affected": ">=1"}, "severity"),
    ({"title": "t", "severity": "major", "affected": "from 2.0 to 2.1"}, "affected"),
    ({"title": "t", "severity": "major", "affected": ">=2.0,<"}, "affected"),
    ({"title": "t", "severity": "major"}, "affected"),
    ({"title": "t", "severity": "major", "affected": ">=1", "status": "done"}, "status"),
    ({"title": "t", "severity": "major", "affected": ">=1", "platforms": "win"}, "platforms"),
    ({"title": "t", "severity": "major", "affected": ">=1", "channels": ["weekly"]},
     "channels"),
    ({"title": "t", "severity": "major", "affected": ">=1", "fixed_in": "soon"}, "fixed_in"),
    ({"title": "t", "severity": "major", "affected": ">=1", "id": "X-1"}, None),
])
def test_bad_notices(api, product, body, field):
    response = api.post("/api/v1/products/ledgerly/notices", json=body)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json.get("field") == field


def test_critical_notice_makes_the_fixing_update_critical(api, product):
    publish(api, product, "2.0.0")
    publish(api, product, "2.0.1")
    body = api.client.get(f"/api/v1/products/ledgerly/check?version=2.0.0&platform={WIN}").json
    assert body["update"]["critical"] is False
    file_notice(api, severity="critical", fixed_in="2.0.1")
    body = api.client.get(f"/api/v1/products/ledgerly/check?version=2.0.0&platform={WIN}").json
    assert body["update"]["critical"] is True
    assert body["notices"][0]["fix_available"] is True


def test_critical_notice_not_fixed_by_offer_is_not_critical(api, product):
    publish(api, product, "2.0.0")
    publish(api, product, "2.0.1")
    file_notice(api, severity="critical", fixed_in="2.0.2")
    body = api.client.get(f"/api/v1/products/ledgerly/check?version=2.0.0&platform={WIN}").json
    assert body["update"]["critical"] is False
    assert body["notices"][0]["fix_available"] is False


def test_public_notices_endpoint(api, product):
    publish(api, product, "2.0.1")
    a = file_notice(api, fixed_in="2.0.1")
    b = file_notice(api, affected="<1.0", title="ancient", severity="minor")
    by_version = api.client.get("/api/v1/products/ledgerly/notices?version=2.0.0&platform="
                                f"{WIN}").json
    assert [n["id"] for n in by_version["notices"]] == [a["id"]]
    assert by_version["update"] == "2.0.1" and by_version["notices"][0]["fix_available"]
    everything = api.client.get("/api/v1/products/ledgerly/notices").json
    assert [n["id"] for n in everything["notices"]] == [a["id"], b["id"]]
    assert everything["notices"][0]["fix_available"] is True
    assert api.client.get("/api/v1/products/ledgerly/notices?version=x").status_code == 400


def test_notices_are_vendor_scoped_and_audited(app, api, product):
    notice = file_notice(api)
    _, other_token = make_vendor(app, "globex")
    other = Api(api.client, other_token)
    assert other.patch(f"/api/v1/products/ledgerly/notices/{notice['id']}",
                       json={"status": "fixed"}).status_code == 404
    assert other.post("/api/v1/products/ledgerly/notices",
                      json={"title": "t", "severity": "info", "affected": ">=1"}
                      ).status_code == 404
    api.patch(f"/api/v1/products/ledgerly/notices/{notice['id']}", json={"status": "fixed"})
    actions = [e["action"] for e in api.get("/api/v1/audit?object_type=notice").json["items"]]
    assert actions == ["notice.update", "notice.create"]

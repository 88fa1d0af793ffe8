"""Issue 9's silent misses: each mistake a vendor can make that would leave installs
untold is refused (or understood), tested through the API the CLI and console also use."""

from __future__ import annotations

from ..conftest import Api, artifact, make_vendor, publish
from .test_api import WIN, delivered, file_notice

MAC = "macos-arm64"
CHECK = "/api/v1/products/ledgerly/check?platform=windows-x86_64&version="


def test_unknown_platform_is_refused_with_the_known_ones(api, product):
    publish(api, product, "2.0.0", artifacts=[artifact(WIN, 1)])
    bad = api.post("/api/v1/products/ledgerly/notices", json={
        "title": "Crash", "severity": "major", "affected": "2.0.0", "platforms": ["windows"]})
    assert bad.status_code == 400 and bad.json["field"] == "platforms"
    assert "windows-x86_64" in bad.json["known_platforms"]
    assert "Did you mean windows-x86_64" in bad.json["detail"]
    release = api.post("/api/v1/products/ledgerly/releases", json={
        "version": "2.0.1", "artifacts": [artifact("windows", 2)]})
    assert release.status_code == 400 and "windows-x86_64" in release.json["detail"]
    assert release.json["known_platforms"][0] == WIN  # the product's own come first


def test_declared_platforms_with_human_names(api, product):
    bad = api.patch("/api/v1/products/ledgerly", json={"platforms": ["Windows 11!"]})
    assert bad.status_code == 400 and bad.json["field"] == "platforms"
    ok = api.patch("/api/v1/products/ledgerly", json={"platforms": [
        "windows-x86_64", {"id": "linux-riscv64", "name": "Linux (RISC-V)"}]})
    assert ok.status_code == 200, ok.json
    assert ok.json["platforms"] == [{"id": "windows-x86_64", "name": "Windows (64-bit)"},
                                    {"id": "linux-riscv64", "name": "Linux (RISC-V)"}]
    publish(api, product, "1.0", artifacts=[artifact("linux-riscv64", 1)])
    notice = file_notice(api, affected="1.0", platforms=["linux-riscv64"])
    assert notice["platforms"] == ["linux-riscv64"]
    assert delivered(api, "1.0", platform="linux-riscv64") == [notice["id"]]
    assert delivered(api, "1.0", platform=WIN) == []


def test_bare_versions_and_spaces_in_affected(api, product):
    publish(api, product, "2.0.0")
    assert file_notice(api, affected="2.0.0")["affected"] == "==2.0.0"
    assert file_notice(api, affected="2.0.*")["affected"] == "==2.0.*"
    spaced = file_notice(api, affected=">= 1.0, < 2.1")
    assert spaced["affected"] == ">=1.0,<2.1"
    assert spaced["affected_text"] == "versions 1.0 or later and before 2.1"
    assert len(delivered(api, "2.0.0")) == 3
    bad = api.post("/api/v1/products/ledgerly/notices", json={
        "title": "x", "severity": "minor", "affected": "2.0 or so"})
    assert bad.status_code == 400 and "PEP 440" not in bad.json["detail"]


def test_fixed_in_must_come_after_the_affected_range(api, product):
    inside = api.post("/api/v1/products/ledgerly/notices", json={
        "title": "x", "severity": "major", "affected": ">=2.0", "fixed_in": "2.5"})
    assert inside.status_code == 400 and inside.json["field"] == "fixed_in"
    assert "itself affected" in inside.json["detail"]
    below = api.post("/api/v1/products/ledgerly/notices", json={
        "title": "x", "severity": "major", "affected": ">=2.0", "fixed_in": "1.0"})
    assert below.status_code == 400 and "older than every affected" in below.json["detail"]
    notice = file_notice(api, affected=">=2.0,<2.0.1", fixed_in="2.0.1")
    # Widening the range over the fix is refused too, whichever field changes.
    widen = api.patch(f"/api/v1/products/ledgerly/notices/{notice['id']}",
                      json={"affected": ">=2.0"})
    assert widen.status_code == 400 and widen.json["field"] == "fixed_in"


def test_fix_available_only_when_the_offer_leaves_the_range(api, product):
    publish(api, product, "2.0.0")
    publish(api, product, "2.0.2")
    # A range with a hole: 2.0.2 is past fixed_in 2.0.1 but still affected.
    notice = file_notice(api, affected=">=2.0,!=2.0.1", fixed_in="2.0.1")
    body = api.client.get(CHECK + "2.0.0").json
    assert body["update"]["version"] == "2.0.2"
    assert [n["fix_available"] for n in body["notices"]] == [False]
    api.patch(f"/api/v1/products/ledgerly/notices/{notice['id']}",
              json={"affected": ">=2.0,<2.0.1"})
    body = api.client.get(CHECK + "2.0.0").json
    assert [n["fix_available"] for n in body["notices"]] == [True]


def test_offer_the_fix_as_critical(api, product):
    publish(api, product, "2.0.0")
    publish(api, product, "2.0.1")
    notice = file_notice(api, severity="major", status="fixed", fixed_in="2.0.1")
    check = CHECK + "2.0.0"
    assert api.client.get(check).json["update"]["critical"] is False
    assert api.client.get(CHECK + "1.0").json["update"]["critical"] is False
    changed = api.patch(f"/api/v1/products/ledgerly/notices/{notice['id']}",
                        json={"fix_critical": True})
    assert changed.status_code == 200 and changed.json["fix_critical"] is True
    assert api.client.get(check).json["update"]["critical"] is True
    # Installs the notice does not affect are not pushed.
    assert api.client.get(CHECK + "1.0").json["update"]["critical"] is False
    bad = api.patch(f"/api/v1/products/ledgerly/notices/{notice['id']}",
                    json={"fix_critical": "yes"})
    assert bad.status_code == 400 and bad.json["field"] == "fix_critical"


def test_notice_ids_are_unique_server_wide(app, api, client):
    for slug in ("billing", "billing-crit"):
        assert api.post("/api/v1/products", json={"slug": slug, "name": slug}
                        ).status_code == 201
    ids = [api.post(f"/api/v1/products/{slug}/notices", json={
        "title": "t", "severity": "minor", "affected": ">=1"}).json["id"]
        for slug in ("billing", "billing-crit")]
    assert ids[0] != ids[1] and ids[0].startswith("BILL-") and ids[1].startswith("BILL2-")
    clash = api.patch("/api/v1/products/billing-crit", json={"notice_prefix": "BILL"})
    assert clash.status_code == 400 and clash.json["field"] == "notice_prefix"
    # A prefix a product gave up stays reserved for it: its notices keep their ids.
    assert api.patch("/api/v1/products/billing", json={"notice_prefix": "INV"}
                     ).status_code == 200
    again = api.patch("/api/v1/products/billing-crit", json={"notice_prefix": "BILL"})
    assert again.status_code == 400
    _, other_token = make_vendor(app, "other")
    other = Api(client, other_token)
    created = other.post("/api/v1/products", json={"slug": "bill", "name": "Bill",
                                                   "notice_prefix": "BILL"})
    assert created.status_code == 400 and created.json["field"] == "notice_prefix"


def test_drafts_reach_nobody_until_published(api, product, client):
    publish(api, product, "2.0.0", artifacts=[artifact(WIN, 1)])
    draft = file_notice(api, draft=True, severity="critical", summary="Draft text")
    assert draft["draft"] is True and draft["published_at"] is None
    nid = draft["id"]
    assert delivered(api, "2.0.0") == []
    assert api.client.get("/api/v1/products/ledgerly/notices").json["notices"] == []
    assert client.get(f"/api/v1/products/ledgerly/notices/{nid}").status_code == 404
    assert api.get(f"/api/v1/products/ledgerly/notices/{nid}").status_code == 200  # owner
    assert client.get(f"/p/ledgerly/known-issues/{nid}").status_code == 404
    assert nid not in client.get("/p/ledgerly/known-issues/").get_data(as_text=True)
    assert nid not in client.get("/p/ledgerly/known-issues.atom").get_data(as_text=True)
    assert client.get("/p/ledgerly/known-issues.osv.json").json == []
    assert client.get(f"/p/ledgerly/known-issues/{nid}.osv.json").status_code == 404
    published = api.patch(f"/api/v1/products/ledgerly/notices/{nid}", json={"draft": False})
    assert published.status_code == 200 and published.json["draft"] is False
    assert delivered(api, "2.0.0") == [nid]
    assert client.get(f"/p/ledgerly/known-issues/{nid}").status_code == 200
    back = api.patch(f"/api/v1/products/ledgerly/notices/{nid}", json={"draft": True})
    assert back.status_code == 400 and back.json["field"] == "draft"
    events = [e["action"] for e in api.get("/api/v1/audit?object=" + nid).json["items"]]
    assert "notice.publish" in events and "notice.draft" in events

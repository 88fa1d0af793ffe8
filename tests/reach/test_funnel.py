"""The reach funnel from real check requests: affected → told → shown → moved."""

from __future__ import annotations

from tests.conftest import publish
from tests.reach_helpers import file_notice


def _check(client, product, version, install_id, **extra):
    response = client.get(f"/api/v1/products/{product}/check",
                          query_string={"version": version, "platform": "windows-x86_64",
                                        "install_id": install_id, **extra})
    assert response.status_code == 200, response.json
    return response.json


def test_funnel_counts_each_install_once_per_stage(api, app, client, product):
    publish(api, product, "1.0")
    publish(api, product, "2.0")
    _check(client, product, "2.0", "install-e")  # active before the notice, never again
    notice = file_notice(api, product)
    nid = notice["id"]
    assert [n["id"] for n in _check(client, product, "2.0", "install-a")["notices"]] == [nid]
    _check(client, product, "2.0", "install-a")
    _check(client, product, "2.0", "install-b")
    _check(client, product, "2.0", "install-b", shown=f"{nid}:1")
    _check(client, product, "2.0", "install-c")
    _check(client, product, "1.0", "install-d")  # not affected
    _check(client, product, "2.0", "")  # no install id: counted as a check, not an install
    publish(api, product, "2.0.1")
    _check(client, product, "2.0.1", "install-c")  # updated to the fix
    reach = api.get(f"/api/v1/products/{product}/notices/{nid}/reach")
    assert reach.status_code == 200
    body = reach.json
    assert {k: body[k] for k in ("affected_installs", "told", "shown", "moved")} == {
        "affected_installs": 4, "told": 3, "shown": 1, "moved": 1}
    assert body["subscribers_mailed"] == 0
    assert body["feedback"] == {"affected": 0, "workaround_helped": 0,
                                "workaround_failed": 0, "messages": 0}
    assert body["told_p50_seconds"] is not None and body["told_p50_seconds"] >= 0
    assert body["told_p90_seconds"] is None  # 3 of 4 told: 90 % not reached yet


def test_shown_acknowledgements_are_validated(api, client, product):
    publish(api, product, "2.0")
    for bad in ("x", "A:1,", "A:b", ",".join(f"N-{i}:1" for i in range(51))):
        response = client.get(f"/api/v1/products/{product}/check",
                              query_string={"version": "2.0", "install_id": "i1",
                                            "shown": bad})
        assert response.status_code == 400, bad
        assert response.json["field"] == "shown"


def test_reach_needs_the_owning_vendors_token(api, app, client, product):
    notice = file_notice(api, product)
    url = f"/api/v1/products/{product}/notices/{notice['id']}/reach"
    assert client.get(url).status_code == 401
    from tests.conftest import Api, make_vendor

    _, other = make_vendor(app, "globex")
    assert Api(client, other).get(url).status_code == 404

"""The check's WSGI fast lane answers exactly what the Flask view answers, and leaves every
request it cannot answer with a 200 or 304 to Flask (problem+json errors, HEAD, proxies)."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import EnvironBuilder

from updatesrv.api.fastlane import CheckFastLane

from ..conftest import Api, make_app, make_vendor, publish

CHECK = "/api/v1/products/ledgerly/check"


def call(wsgi: Any, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None
                       ) -> Any:
        seen["status"], seen["headers"] = status, headers

    body = b"".join(wsgi(dict(environ), start_response))
    return seen["status"], {k.lower(): v for k, v in seen["headers"]}, body


def lane_of(app: Any) -> CheckFastLane:
    lane = app.wsgi_app
    while not isinstance(lane, CheckFastLane):
        lane = lane.app  # ProxyFix keeps the app it wraps in .app
    return lane


@pytest.fixture
def catalog(api: Api, product: str) -> str:
    publish(api, product, "1.0")
    publish(api, product, "1.1", channel="beta")
    publish(api, product, "2.0", critical=True)
    notice = api.post(f"/api/v1/products/{product}/notices", json={
        "title": "Licence says expired", "summary": "After renewing, the app says expired.",
        "affected": ">=1.0,<2.0", "severity": "major", "status": "workaround",
        "workaround": "Delete licence.cache"})
    assert notice.status_code == 201, notice.json
    return notice.json["id"]


QUERIES = [
    {"version": "1.0"},
    {"version": "1.0", "platform": "windows-x86_64", "install_id": "abc-1"},
    {"version": "1.0", "channel": "beta", "platform": "windows-x86_64"},
    {"version": "2.0", "platform": "windows-x86_64"},
    {"version": "1.0", "install_id": "abc-2", "shown": "NOTI-1:1"},
    {"version": "1.0", "version2": "ignored", "install_id": "x"},
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_lane_answers_what_the_flask_view_answers(app, catalog, query):
    lane = lane_of(app)
    environ = EnvironBuilder(path=CHECK, query_string=query,
                             headers={"Host": "updates.example"}).get_environ()
    fast = call(lane, environ)
    flask = call(lane.next_app, environ)
    assert fast[0] == "200 OK" and fast == flask
    # And a client that saved the ETag gets the same 304 either way.
    environ["HTTP_IF_NONE_MATCH"] = fast[1]["etag"]
    fast_304, flask_304 = call(lane, environ), call(lane.next_app, environ)
    assert fast_304[0].startswith("304") and fast_304 == flask_304
    assert fast_304[2] == b"" and "content-type" not in fast_304[1]


def test_a_well_formed_check_never_reaches_flask(app, catalog, client, monkeypatch):
    lane = lane_of(app)

    def flask_route(environ, start_response):
        raise AssertionError(f"the fast lane passed {environ['PATH_INFO']} on to Flask")

    monkeypatch.setattr(lane, "next_app", flask_route)
    answer = client.get(CHECK + "?version=1.0&platform=windows-x86_64&install_id=i-1")
    assert answer.status_code == 200 and answer.json["update"]["version"] == "2.0"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url, status, field", [
    (CHECK + "?version=banana", 400, "version"),
    (CHECK, 400, "version"),
    (CHECK + "?version=1.0&channel=gold", 400, "channel"),
    (CHECK + "?version=1.0&install_id=" + "x" * 200, 400, "install_id"),
    (CHECK + "?version=1.0&shown=not-a-pair", 400, "shown"),
    (CHECK + "?version=1.0&platform=win%20dows!", 400, "platform"),
    (CHECK + "?version=%ff", 400, None),
    ("/api/v1/products/nosuch/check?version=1.0", 404, None),
])
def test_bad_checks_get_the_apis_problem_json(client, catalog, url, status, field):
    answer = client.get(url)
    assert answer.status_code == status, answer.data
    assert answer.mimetype == "application/problem+json"
    if field:
        assert field in answer.get_data(as_text=True)


def test_untrusted_host_is_refused_as_flask_refuses_it(tmp_path, pg_schema, monkeypatch):
    monkeypatch.setenv("UPDATESRV_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, pg_schema, TRUSTED_HOSTS=["updates.example", "localhost"])
    api = Api(app.test_client(), make_vendor(app)[1])
    api.post("/api/v1/products", json={"slug": "ledgerly", "name": "Ledgerly"})
    publish(api, "ledgerly", "1.0")
    url = CHECK + "?version=1.0"
    assert api.client.get(url, headers={"Host": "updates.example"}).status_code == 200
    assert api.client.get(url, headers={"Host": "evil.example"}).status_code == 400


def test_behind_a_proxy_the_lane_sees_the_clients_scheme(tmp_path, pg_schema, monkeypatch):
    """The lane sits inside ProxyFix: download URLs in the answer use https from
    X-Forwarded-Proto, as every other page does behind nginx."""
    monkeypatch.setenv("UPDATESRV_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, pg_schema, TRUSTED_PROXIES=1)
    api = Api(app.test_client(), make_vendor(app)[1])
    api.post("/api/v1/products", json={"slug": "ledgerly", "name": "Ledgerly"})
    publish(api, "ledgerly", "1.0")
    publish(api, "ledgerly", "1.1")
    answer = api.client.get(CHECK + "?version=1.0&platform=windows-x86_64",
                            headers={"X-Forwarded-Proto": "https", "Host": "up.example"})
    assert answer.status_code == 200
    assert answer.json["update"]["notes_url"].startswith("https://up.example/")


def test_head_and_other_methods_take_the_flask_route(client, catalog):
    head = client.head(CHECK + "?version=1.0")
    assert head.status_code == 200 and head.data == b""
    assert client.post(CHECK + "?version=1.0").status_code == 405

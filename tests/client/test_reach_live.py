"""The client's part of reach, against a live server on a loopback port: start-up
revalidation, shown acknowledgements queued for the next check, report()."""

from __future__ import annotations

import pytest
import requests
from updatesrv_client import UpdateCheckError, UpdateClient

from ..conftest import LiveServer, publish
from ..reach_helpers import file_notice

WIN = "windows-x86_64"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class CountingSession(requests.Session):
    """A real requests.Session that keeps what the client asked and what it was answered."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str, dict]] = []

    def request(self, method, url, *args, **kw):  # type: ignore[override]
        sent = dict(kw.get("params") or kw.get("json") or {})
        response = super().request(method, url, *args, **kw)
        sent["_status"] = response.status_code
        self.calls.append((method, url, sent))
        return response


def _client(server, tmp_path, clock=None, http=None, **kw):
    return UpdateClient(server.url, "ledgerly", "2.0", platform=WIN,
                        state_dir=tmp_path / "state", clock=clock or Clock(),
                        session=http, **kw)


def _reach(api, notice_id):
    return api.get(f"/api/v1/products/ledgerly/notices/{notice_id}/reach").json


def test_app_start_revalidates_after_an_hour_background_checks_wait_a_day(
        live_server, api, product, tmp_path):
    publish(api, product, "2.0")
    clock, http = Clock(), CountingSession()
    client = _client(live_server, tmp_path, clock, http)
    assert client.check(on_start=True).notices == ()
    clock.now += 1800
    assert client.check(on_start=True).from_cache  # younger than an hour
    notice = file_notice(api, product)
    clock.now += 1800 + 1
    assert client.check().from_cache  # a background check keeps the 24 h interval
    started = client.check(on_start=True)  # the app starts: revalidate
    assert not started.from_cache and [n.id for n in started.notices] == [notice["id"]]
    clock.now += 3601
    again = client.check(on_start=True)
    assert not again.from_cache and http.calls[-1][2]["_status"] == 304
    assert len([c for c in http.calls if c[0] == "GET"]) == 3
    assert _client(live_server, tmp_path, clock,
                   recheck_on_start_after=7200).check(on_start=True).from_cache


def test_mark_shown_is_acknowledged_with_the_next_check_even_after_being_offline(
        app, api, product, tmp_path):
    publish(api, product, "2.0")
    notice = file_notice(api, product)
    clock, http = Clock(), CountingSession()
    with LiveServer(app) as server:
        client = _client(server, tmp_path, clock, http)
        [shown] = client.check().new_notices
        client.mark_shown(shown)
        assert _reach(api, notice["id"])["shown"] == 0
        url = server.url
    # The server is gone: the check fails, the acknowledgement stays queued.
    offline = UpdateClient(url, "ledgerly", "2.0", platform=WIN, state_dir=tmp_path / "state",
                           clock=clock, timeout=(0.5, 0.5))
    with pytest.raises(UpdateCheckError):
        offline.check(force=True)
    with LiveServer(app) as server:
        client = _client(server, tmp_path, clock, http)
        clock.now += 7200
        client.check(on_start=True)
        assert http.calls[-1][2]["shown"] == f"{notice['id']}:1"
        body = _reach(api, notice["id"])
        assert (body["told"], body["shown"]) == (1, 1)
        clock.now += 7200
        client.check(on_start=True)
        assert "shown" not in http.calls[-1][2]  # sent once, then cleared


def test_report_votes_once_per_install(live_server, api, product, tmp_path):
    publish(api, product, "2.0")
    notice = file_notice(api, product)
    client = _client(live_server, tmp_path)
    [n] = client.check().notices
    client.report(n, "affected")
    client.report(n, "workaround_failed")  # replaces the first vote, still affected
    _client(live_server, tmp_path / "other").report(n, "workaround_helped")
    assert _reach(api, notice["id"])["feedback"] == {
        "affected": 2, "workaround_helped": 1, "workaround_failed": 1, "messages": 0}
    with pytest.raises(ValueError):
        client.report(n, "angry")
    anonymous = UpdateClient(live_server.url, "ledgerly", "2.0", platform=WIN)
    with pytest.raises(UpdateCheckError, match="state_dir"):
        anonymous.report(n, "affected")

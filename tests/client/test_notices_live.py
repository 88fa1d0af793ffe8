"""Notices through the client library, against a live server on a loopback port."""

from __future__ import annotations

import io
import subprocess
import sys

from updatesrv_client import NetworkError, UpdateClient
from updatesrv_client.present import console

from ..conftest import LiveServer, artifact, publish
from ..notices.test_api import file_notice

WIN = "windows-x86_64"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def client_for(server, tmp_path, version="2.0.0", **kw):
    return UpdateClient(server.url, "ledgerly", version, platform=WIN,
                        state_dir=tmp_path / "state", **kw)


def test_mark_shown_and_revisions(live_server, api, product, tmp_path):
    notice = file_notice(api, workaround="Delete `license.cache`.")
    client = client_for(live_server, tmp_path)
    result = client.check()
    [shown] = result.notices
    assert shown.id == notice["id"] and result.new_notices == (shown,)
    client.mark_shown(shown)
    assert client.check(force=True).new_notices == ()
    # A restarted app (new client, same state dir) remembers.
    assert client_for(live_server, tmp_path).check(force=True).new_notices == ()
    # The vendor revises the notice: it comes back.
    api.patch(f"/api/v1/products/ledgerly/notices/{notice['id']}",
              json={"workaround": "Delete `license.cache`, then restart."})
    again = client.check(force=True)
    assert [n.revision for n in again.new_notices] == [2]
    # A message-only update does not bother users again.
    client.mark_shown(again.notices[0])
    api.patch(f"/api/v1/products/ledgerly/notices/{notice['id']}", json={"message": "FYI"})
    assert client.check(force=True).new_notices == ()


def test_critical_notices_cannot_be_dismissed_while_they_apply(live_server, api, product,
                                                               tmp_path):
    file_notice(api, severity="critical", title="Data loss on save")
    client = client_for(live_server, tmp_path)
    result = client.check()
    client.mark_shown(result.notices[0])
    assert len(client.check(force=True).new_notices) == 1
    assert len(client_for(live_server, tmp_path).check(force=True).new_notices) == 1
    # Once the install leaves the affected range, it is gone.
    assert client_for(live_server, tmp_path, version="2.0.1").check().notices == ()


def test_new_notices_computed_for_saved_answers(live_server, api, product, tmp_path):
    file_notice(api)
    clock = Clock()
    client = client_for(live_server, tmp_path, clock=clock)
    client.check()
    clock.now += 60
    cached = client.check()
    assert cached.from_cache and len(cached.new_notices) == 1
    client.mark_shown(cached.notices[0])
    assert client.check().new_notices == ()  # still from the saved answer, now shown


def test_offline_cached_result_shows_known_notices(app, api, product, tmp_path):
    publish(api, product, "2.0.1")
    file_notice(api, fixed_in="2.0.1", workaround="Delete `license.cache`.")
    with LiveServer(app) as server:
        client = client_for(server, tmp_path)
        client.check()
        url = server.url
    # The server is gone now: the app can still show what it knew.
    offline = UpdateClient(url, "ledgerly", "2.0.0", platform=WIN, state_dir=tmp_path / "state",
                           timeout=2)
    try:
        offline.check(force=True)
        raise AssertionError("expected the check to fail with the server down")
    except NetworkError:
        pass
    saved = offline.cached_result()
    assert saved is not None and saved.from_cache
    assert saved.notices[0].fix_available and saved.update.version == "2.0.1"
    # An upgraded app never shows the old version's notices.
    upgraded = UpdateClient(url, "ledgerly", "2.0.1", platform=WIN,
                            state_dir=tmp_path / "state", timeout=2)
    assert upgraded.cached_result() is None


def test_upgrade_drops_the_old_versions_saved_answer(live_server, api, product, tmp_path):
    file_notice(api)
    client_for(live_server, tmp_path).check()
    client_for(live_server, tmp_path, version="2.0.1").check()
    assert client_for(live_server, tmp_path).cached_result() is None


def test_console_presenter(live_server, api, product, tmp_path):
    api.patch("/api/v1/products/ledgerly", json={"support_url": "https://help.example/"})
    publish(api, product, "2.0.0", artifacts=[artifact(WIN, 1)])
    publish(api, product, "2.0.1", artifacts=[artifact(WIN, 2)])
    file_notice(api, severity="critical", title="Licence expired after renewal",
                workaround="Delete `license.cache`.", fixed_in="2.0.1", status="workaround")
    result = client_for(live_server, tmp_path).check()
    out = io.StringIO()
    console(result, out)
    text = out.getvalue()
    assert "Known issues affecting Ledgerly 2.0.0" in text  # the name, not the slug
    assert "[CRITICAL] Licence expired after renewal" in text
    assert "Delete `license.cache`." in text
    assert "Fixed in 2.0.1 — update available (2.0.1)." in text
    assert "Still stuck? Contact support: https://help.example/" in text
    assert "Critical update available: 2.0.1" in text


def test_notices_cli_online_and_offline(app, api, product, tmp_path):
    file_notice(api, workaround="Delete `license.cache`.")
    state = tmp_path / "state"
    with LiveServer(app) as server:
        url = server.url
        args = [sys.executable, "-m", "updatesrv_client", "notices", "--server", url,
                "--product", "ledgerly", "--version", "2.0.0", "--platform", WIN,
                "--state-dir", str(state), "--timeout", "3"]
        online = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert online.returncode == 0, online.stderr
        assert "Licence expired after renewal" in online.stdout
    offline = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert offline.returncode == 1
    assert "update check failed" in offline.stderr
    assert "Licence expired after renewal" in offline.stdout
    assert "shown from the last saved answer" in offline.stdout

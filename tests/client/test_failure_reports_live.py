"""Failure reports from the Python client and the guarded launcher, against a live server
on loopback: queued, batched, sent with the check, kept when the server cannot be reached,
dropped and stopped when the vendor does not collect them, never sent when the app opted
out; the launcher reports a failed start (terminal and dialogs under Xvfb)."""

from __future__ import annotations

import json
import sys
import tkinter

import pytest
from updatesrv_client import UpdateClient, run_guarded
from updatesrv_client.present.tk import NoticeDialog, UpdateDialog

from .test_launcher import DialogDriver, exits_with, launch
from .test_live import WIN, upload_release

pytestmark = pytest.mark.live
REPORTS = "/api/v1/products/ledgerly/reports"


class LicenceExpired(Exception):
    pass


def enable(api) -> None:  # type: ignore[no-untyped-def]
    assert api.patch("/api/v1/products/ledgerly",
                     json={"failure_reports": True}).status_code == 200


def groups(api) -> dict[tuple[str, str], dict]:  # type: ignore[no-untyped-def]
    return {(g["kind"], g["fingerprint"]): g for g in api.get(REPORTS).json["items"]}


def client_for(url: str, tmp_path, **kw) -> UpdateClient:  # type: ignore[no-untyped-def]
    return UpdateClient(url, "ledgerly", "2.0.0", platform=WIN,
                        state_dir=tmp_path / "state", timeout=3, deadline=5, **kw)


def test_reports_are_batched_with_the_check(live_server, api, product, tmp_path):
    upload_release(api, "2.0.0")
    enable(api)
    client = client_for(live_server.url, tmp_path)
    try:
        raise LicenceExpired("/home/alice/.ledgerly/licence.key expired")
    except LicenceExpired as exc:
        assert client.report_crash(exc, fingerprint="licence-expired")
        assert client.report_crash(exc, fingerprint="licence-expired")  # coalesced
    assert client.report_failure("start_failure", exit_code=3, seconds_after_start=1.2)
    assert client.report_failure("update_failure", step="install", version="2.0.1")
    assert not client.report_failure("crash")  # no exception: refused, never raised
    client.check(force=True)
    found = groups(api)
    crash = found[("crash", "licence-expired")]
    assert crash["reports"] == 2 and crash["installs"] == 1
    assert crash["detail"]["exception_type"].endswith("LicenceExpired")
    assert "alice" not in json.dumps(api.get(REPORTS).json)
    assert found[("start_failure", "exit:3")]["detail"]["seconds_after_start"] == 1.2
    assert found[("update_failure", "install")]["version"] == "2.0.1"
    assert client.send_failure_reports() == 0  # nothing left to send


def test_kept_while_the_server_is_unreachable(api, product, tmp_path, live_server):
    enable(api)
    offline = client_for("http://127.0.0.1:9", tmp_path)
    assert offline.report_failure("start_failure", signal=11)
    assert offline.send_failure_reports() == 0
    assert client_for(live_server.url, tmp_path).send_failure_reports() == 1
    assert groups(api)[("start_failure", "signal:11")]["installs"] == 1


def test_stops_sending_when_the_vendor_collects_none(live_server, api, product, tmp_path):
    client = client_for(live_server.url, tmp_path)
    assert client.report_failure("start_failure", exit_code=1)
    assert client.send_failure_reports() == 0
    enable(api)
    # The 404 dropped the queue and switched sending off on this install for a while.
    assert not client.report_failure("start_failure", exit_code=1)
    assert client.send_failure_reports() == 0
    assert api.get(REPORTS).json["items"] == []


def test_an_app_that_opted_out_sends_nothing(live_server, api, product, tmp_path):
    enable(api)
    client = client_for(live_server.url, tmp_path, failure_reports=False)
    assert not client.report_failure("start_failure", exit_code=1)
    assert client.send_failure_reports() == 0
    assert api.get(REPORTS).json["items"] == []


def test_launcher_reports_a_failed_start(live_server, api, product, tmp_path):
    upload_release(api, "2.0.0")
    enable(api)
    done = launch(live_server.url, tmp_path, exits_with(3, "licence expired\n"))
    assert done.returncode == 3
    group = groups(api)[("start_failure", "exit:3")]
    assert group["installs"] == 1 and group["platform"] == WIN
    assert 0 <= group["detail"]["seconds_after_start"] < 30
    killed = launch(live_server.url, tmp_path,
                    [sys.executable, "-c", "import os; os.kill(os.getpid(), 9)"])
    assert killed.returncode == 137
    assert ("start_failure", "signal:9") in groups(api)
    quiet = launch(live_server.url, tmp_path / "other", exits_with(5), "--no-failure-reports")
    assert quiet.returncode == 5 and ("start_failure", "exit:5") not in groups(api)


def test_launcher_reports_with_dialogs_under_xvfb(display, live_server, api, product,
                                                  tmp_path, monkeypatch):
    upload_release(api, "2.0.0")
    enable(api)
    driver = DialogDriver(tmp_path, {NoticeDialog: "Close", UpdateDialog: "Close"})
    monkeypatch.setattr(tkinter.Misc, "wait_window",
                        lambda root, window=None: driver.wait_window(root, window))
    code = run_guarded(exits_with(6), server=live_server.url, product="ledgerly",
                       version="2.0.0", platform=WIN, state_dir=tmp_path / "state", ui="auto")
    assert code == 6
    assert "ledgerly stopped unexpectedly (exit code 6)" in driver.seen[-1][1]
    assert groups(api)[("start_failure", "exit:6")]["installs"] == 1

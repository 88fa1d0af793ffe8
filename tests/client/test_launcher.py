"""The guarded launcher against a live server: a real child process, a real exit code."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tkinter

import pytest
from updatesrv_client import run_guarded
from updatesrv_client.present.tk import NoticeDialog, UpdateDialog

from ..conftest import LiveServer
from ..notices.test_api import file_notice
from .test_live import WIN, upload_release
from .xdisplay import find, pump, screenshot

pytestmark = pytest.mark.live


def exits_with(code: int, say: str = "") -> list[str]:
    return [sys.executable, "-c",
            f"import sys; sys.stderr.write({say!r}); sys.stderr.flush(); sys.exit({code})"]


def launch(server_url: str, tmp_path, app: list[str], *extra: str,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "updatesrv_client", "launch", "--server", server_url,
               "--product", "ledgerly", "--version", "2.0.0", "--platform", WIN,
               "--state-dir", str(tmp_path / "state"), "--ui", "terminal", "--timeout", "3",
               *extra, "--", *app]
    return subprocess.run(command, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def broken_start(api, product):  # type: ignore[no-untyped-def]
    api.patch("/api/v1/products/ledgerly", json={"support_url": None,
                                                 "support_email": "help@ledgerly.example"})
    return file_notice(api, severity="major", status="workaround",
                       title="Refuses to start after reinstall",
                       workaround="1. Delete `license.cache` from the app folder.\n"
                                  "2. Start again.")


def test_failing_start_shows_notices_workaround_and_support(live_server, broken_start,
                                                            tmp_path):
    done = launch(live_server.url, tmp_path, exits_with(3, "licence expired\n"))
    assert done.returncode == 3
    err = done.stderr
    assert "licence expired" in err  # the app's own output is untouched
    assert "ledgerly stopped unexpectedly (exit code 3)" in err
    assert "[Major] Refuses to start after reinstall" in err
    assert "1. Delete `license.cache` from the app folder." in err
    assert "Still stuck? Contact support: help@ledgerly.example" in err
    assert done.stdout == ""


def test_clean_exit_and_late_failure_show_nothing(live_server, broken_start, tmp_path):
    ok = launch(live_server.url, tmp_path, exits_with(0))
    assert ok.returncode == 0 and "Refuses to start" not in ok.stderr
    late = launch(live_server.url, tmp_path, exits_with(5), "--crash-window", "0")
    assert late.returncode == 5 and "Refuses to start" not in late.stderr


def test_offline_shows_the_saved_answer(app, broken_start, tmp_path):
    with LiveServer(app) as server:
        url = server.url
        assert launch(url, tmp_path, exits_with(0)).returncode == 0  # saves the answer
    done = launch(url, tmp_path, exits_with(4))  # the server is gone now
    assert done.returncode == 4
    assert "Could not reach the update server; showing what was known" in done.stderr
    assert "Refuses to start after reinstall" in done.stderr


def test_offline_without_a_saved_answer_still_points_to_support(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    done = launch(url, tmp_path, exits_with(2))
    assert done.returncode == 2
    assert "Could not reach the update server to look for known issues" in done.stderr
    assert f"Contact support: {url}/p/ledgerly/" in done.stderr


def test_critical_notice_is_shown_before_the_app_starts(live_server, api, product, tmp_path):
    file_notice(api, severity="critical", title="Saving corrupts invoices",
                workaround="Export to CSV before saving.")
    done = launch(live_server.url, tmp_path, exits_with(0, "APP STARTED\n"))
    assert done.returncode == 0
    assert done.stderr.index("Saving corrupts invoices") < done.stderr.index("APP STARTED")
    assert "Export to CSV before saving." in done.stderr


def test_missing_app_and_signals(live_server, broken_start, tmp_path):
    missing = launch(live_server.url, tmp_path, [str(tmp_path / "no-such-app")])
    assert missing.returncode == 127
    assert "ledgerly could not be started" in missing.stderr
    assert "Refuses to start after reinstall" in missing.stderr
    killed = launch(live_server.url, tmp_path,
                    [sys.executable, "-c", "import os; os.kill(os.getpid(), 9)"])
    assert killed.returncode == 128 + signal.SIGKILL


def test_usage_errors(tmp_path):
    done = subprocess.run([sys.executable, "-m", "updatesrv_client", "launch", "--server",
                           "http://127.0.0.1:9", "--product", "p", "--version", "1"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "needs the app's command" in done.stderr
    with pytest.raises(ValueError):
        run_guarded([], server="http://127.0.0.1:9", product="p", version="1")


# -- the same, with dialogs on the virtual screen -----------------------------------------

class DialogDriver:
    """Stands in for the person: when the launcher waits for a dialog, look at it, take a
    screenshot, then press one of its buttons."""

    def __init__(self, tmp_path, press: dict[type, str]) -> None:  # type: ignore[no-untyped-def]
        self.tmp_path, self.press = tmp_path, press
        self.seen: list[tuple[str, str]] = []

    def wait_window(self, root, window) -> None:  # type: ignore[no-untyped-def]
        pump(root, 0.3)
        kind = type(window)
        if isinstance(window, UpdateDialog):
            text = window.heading.cget("text")
        else:
            text = window.note.cget("text") + "\n" + window.body.content()
        self.seen.append((kind.__name__, text))
        screenshot(window, f"launcher-{len(self.seen)}-{kind.__name__}",
                   self.tmp_path / "screenshots")
        find(window, "TButton", self.press[kind]).invoke()
        pump(root, 0.1)


def test_dialogs_when_a_display_is_available(display, live_server, api, product, tmp_path,
                                             monkeypatch):
    upload_release(api, "2.0.0", b"old")
    upload_release(api, "2.0.1")
    assert api.patch("/api/v1/products/ledgerly/releases/2.0.1",
                     json={"critical": True}).status_code == 200
    file_notice(api, severity="critical", title="Saving corrupts invoices",
                workaround="Export to **CSV** before saving.")
    driver = DialogDriver(tmp_path, {NoticeDialog: "Close",
                                     UpdateDialog: "Start without updating"})
    monkeypatch.setattr(tkinter.Misc, "wait_window",
                        lambda root, window=None: driver.wait_window(root, window))
    code = run_guarded(exits_with(6), server=live_server.url, product="ledgerly",
                       version="2.0.0", platform=WIN, state_dir=tmp_path / "state", ui="auto")
    assert code == 6
    kinds = [kind for kind, _ in driver.seen]
    assert kinds[0] == "NoticeDialog" and kinds[-1] == "NoticeDialog"
    assert "Export to CSV before saving." in driver.seen[0][1]
    assert "ledgerly stopped unexpectedly (exit code 6)" in driver.seen[-1][1]
    assert "Still stuck? Contact support: https://help.example/" in driver.seen[-1][1]

"""examples/billing_app.py on a virtual screen against a live server: notices on start,
"Don't show again", the update dialog, and a server that is down, slow or talks garbage."""

from __future__ import annotations

import importlib.util
import socket
import threading
import tkinter as tk
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest
from updatesrv_client import UpdateClient
from updatesrv_client.present.tk import NoticeDialog, UpdateDialog

from ..notices.test_api import file_notice
from .test_live import PAYLOAD, WIN, upload_release
from .xdisplay import find, pump_until, screenshot, toplevels

pytestmark = pytest.mark.live
EXAMPLE = Path(__file__).parents[2] / "examples" / "billing_app.py"


@pytest.fixture(scope="module")
def billing() -> ModuleType:
    spec = importlib.util.spec_from_file_location("billing_app", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def start(billing, root, url, tmp_path, installed=None, timeout=(2, 5)):  # type: ignore[no-untyped-def]
    client = UpdateClient(url, "ledgerly", "2.0.0", platform=WIN, state_dir=tmp_path / "state",
                          timeout=timeout)
    app = billing.BillingApp(root, client, tmp_path / "state",
                             on_install=lambda version, path: installed.append((version, path))
                             if installed is not None else None)
    pump_until(root, lambda: app.startup.finished)
    return app


def menu_command(root: tk.Tk, label: str) -> None:
    menubar = root.nametowidget(root.cget("menu"))
    help_menu = root.nametowidget(menubar.entrycget("Help", "menu"))
    help_menu.invoke(label)


def test_notices_on_start_and_dont_show_again(billing, display, live_server, api, product,
                                              tmp_path):
    file_notice(api, severity="minor", title="Totals rounded oddly",
                workaround="Use **Round half up** in Settings.")
    file_notice(api, severity="critical", title="Saving corrupts invoices",
                workaround="Export to CSV before saving.")
    root = tk.Tk()
    start(billing, root, live_server.url, tmp_path)
    [dialog] = pump_until(root, lambda: toplevels(root, NoticeDialog))
    shown = dialog.body.content()
    assert "Totals rounded oddly" in shown and "Saving corrupts invoices" in shown
    assert "Use Round half up in Settings." in shown
    # Only the minor one can be silenced.
    [dont_show] = [w for w in dialog.body.text.winfo_children()
                   if w.winfo_class() == "TCheckbutton"]
    dont_show.invoke()
    screenshot(dialog, "app-first-start", tmp_path / "screenshots")
    find(dialog, "TButton", "Close").invoke()
    root.destroy()

    root = tk.Tk()  # the next start of the app
    try:
        start(billing, root, live_server.url, tmp_path)
        [dialog] = pump_until(root, lambda: toplevels(root, NoticeDialog))
        shown = dialog.body.content()
        assert "Saving corrupts invoices" in shown and "Totals rounded oddly" not in shown
        screenshot(dialog, "app-second-start", tmp_path / "screenshots")
    finally:
        root.destroy()


def test_fix_offered_update_downloads_verifies_installs(billing, display, live_server, api,
                                                        product, tmp_path):
    upload_release(api, "2.0.0", b"old")
    upload_release(api, "2.0.1")
    file_notice(api, fixed_in="2.0.1", workaround="Update to 2.0.1.")
    root = tk.Tk()
    installed: list[tuple[str, Path]] = []
    try:
        app = start(billing, root, live_server.url, tmp_path, installed)
        assert app.status.cget("text").startswith("Version 2.0.1 is available")
        [notice] = pump_until(root, lambda: toplevels(root, NoticeDialog))
        find(notice, "TButton", "Update now to 2.0.1").invoke()
        [dialog] = toplevels(root, UpdateDialog)
        assert dialog.phase == "offer"
        find(dialog, "TButton", "Download and install").invoke()
        pump_until(root, lambda: dialog.phase in ("verified", "download-failed"))
        assert dialog.phase == "verified"
        find(dialog, "TButton", "Install and restart").invoke()
        [(version, path)] = installed
        assert version == "2.0.1" and path.read_bytes() == PAYLOAD
        screenshot(root, "app-main-window", tmp_path / "screenshots")
        # Help > Check for updates... asks again and offers the same version.
        menu_command(root, "Check for updates…")
        [again] = toplevels(root, UpdateDialog)
        pump_until(root, lambda: again.phase != "checking")
        assert again.phase == "offer"
    finally:
        root.destroy()


class Garbage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html>Service temporarily unavailable</html>" \
            if "check" in self.path else b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(params=["down", "slow", "garbage"])
def bad_server(request) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "down":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            yield f"http://127.0.0.1:{s.getsockname()[1]}"  # bound, not listening: refused
    elif request.param == "slow":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(16)  # accepts connections, never answers
            yield f"http://127.0.0.1:{s.getsockname()[1]}"
    else:
        server = ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


def test_app_keeps_running_when_the_server_fails(billing, display, bad_server, tmp_path,
                                                 request):
    root = tk.Tk()
    try:
        app = start(billing, root, bad_server, tmp_path, timeout=(0.5, 0.5))
        assert root.winfo_exists() and app.status.cget("text") == "Ready"
        assert toplevels(root, NoticeDialog) == []  # nothing known, nothing to interrupt
        menu_command(root, "Check for updates…")
        [dialog] = toplevels(root, UpdateDialog)
        pump_until(root, lambda: dialog.phase != "checking")
        assert dialog.phase == "check-failed"
        assert dialog.heading.cget("text") == "Could not check for updates"
        assert "the app keeps working" in dialog.body.content()
        name = request.node.callspec.id
        screenshot(dialog, f"app-server-{name}-update", tmp_path / "screenshots")
        find(dialog, "TButton", "Close").invoke()
        menu_command(root, "Known issues…")
        [issues] = toplevels(root, NoticeDialog)
        pump_until(root, lambda: issues.note.winfo_ismapped())
        assert issues.note.cget("text").startswith("Could not check for known issues")
        screenshot(issues, f"app-server-{name}-notices", tmp_path / "screenshots")
        assert root.winfo_exists()
    finally:
        root.destroy()

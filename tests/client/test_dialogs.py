"""The Tk notice and update dialogs on a virtual screen (Xvfb), against a live server.
Screenshots land in the test's tmp dir (and in $UPDATESRV_SCREENSHOTS when set)."""

from __future__ import annotations

import json
import threading
import tkinter as tk
import tkinter.font as tkfont
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from updatesrv_client import UpdateClient
from updatesrv_client.present import tk as ui

from ..notices.test_api import file_notice
from .test_live import PAYLOAD, WIN, upload_release
from .xdisplay import find, pump, pump_until, screenshot, walk

pytestmark = pytest.mark.live

WORKAROUND = """After renewing, **do this once**:

1. Quit Ledgerly.
2. Delete `C:\\Users\\you\\AppData\\Roaming\\Ledgerly\\license.cache`
3. Start Ledgerly again; see [the licence guide](https://help.example/licence).

```
del %APPDATA%\\Ledgerly\\license.cache
```
"""


def client_for(server, tmp_path, version="2.0.0", **kw) -> UpdateClient:  # type: ignore[no-untyped-def]
    return UpdateClient(server.url, "ledgerly", version, platform=WIN,
                        state_dir=tmp_path / "state", timeout=(2, 5), **kw)


@pytest.fixture
def licence_bug(api, product):  # type: ignore[no-untyped-def]
    upload_release(api, "2.0.0", b"old")
    upload_release(api, "2.0.1")
    return file_notice(api, severity="major", status="workaround", fixed_in="2.0.1",
                       summary="After renewing, the app says the licence expired.",
                       workaround=WORKAROUND)


def ranges(text: tk.Text, tag: str) -> list[str]:
    spans = text.tag_ranges(tag)
    return [text.get(a, b) for a, b in zip(spans[::2], spans[1::2], strict=True)]


def test_notice_dialog_shows_workaround_fix_and_support(tk_root, live_server, licence_bug,
                                                        tmp_path):
    client = client_for(live_server, tmp_path)
    result = client.check()
    chosen = []
    dialog = ui.NoticeDialog(tk_root, client, result, on_update=chosen.append)
    pump(tk_root)
    text = dialog.body.text
    shown = dialog.body.content()
    # The workaround, readable: numbered list, no Markdown syntax, code in monospace.
    assert "1. Quit Ledgerly." in shown and "**" not in shown and "```" not in shown
    assert "C:\\Users\\you\\AppData\\Roaming\\Ledgerly\\license.cache" in ranges(text, "code")
    assert "del %APPDATA%\\Ledgerly\\license.cache\n" in ranges(text, "codeblock")
    assert "do this once" in ranges(text, "bold")
    assert "the licence guide" in ranges(text, "link")
    assert dialog.body._url_at(text.tag_ranges("link")[0]) == "https://help.example/licence"
    assert "Fixed in 2.0.1: version 2.0.1 is ready for you." in shown
    assert "Still stuck? Contact support: https://help.example/" in shown
    assert dialog.heading.cget("text") == "Major known issue"
    assert dialog.header.cget("background").upper() == "#A35200"
    # Keyboard: the first button has the focus; Tab reaches the text, the embedded "Update
    # now" and "Don't show this again" controls and both buttons.
    assert dialog.focus_lastfor().cget("text") == "Update now to 2.0.1"
    reached, widget = set(), dialog.focus_lastfor()
    for _ in range(10):
        widget = widget.tk_focusNext()
        reached.add(widget.winfo_class() + ":" + (str(widget.cget("text"))
                                                  if widget.winfo_class() != "Text" else ""))
    assert {"Text:", "TButton:Update now", "TCheckbutton:Don't show this again",
            "TButton:Close", "TButton:Update now to 2.0.1"} <= reached
    # Selectable and copyable: a person can copy the file path.
    start = text.search("C:\\Users", "1.0")
    text.tag_add("sel", start, f"{start} lineend")
    text.focus_force()
    text.event_generate("<<Copy>>")
    assert tk_root.clipboard_get() == "C:\\Users\\you\\AppData\\Roaming\\Ledgerly\\license.cache"
    screenshot(dialog, "notice-dialog", tmp_path / "screenshots")
    find(dialog, "TButton", "Update now to 2.0.1").invoke()
    assert [u.version for u in chosen] == ["2.0.1"] and not dialog.winfo_exists()


def test_dialog_readable_at_200_percent(tk_root, live_server, licence_bug, tmp_path,
                                       request):
    client = client_for(live_server, tmp_path)
    result = client.check()
    normal = ui.NoticeDialog(tk_root, client, result)
    pump(tk_root)
    small = tkfont.Font(font=normal.body.text.cget("font")).metrics("linespace")
    normal.close()
    scaling = float(tk_root.tk.call("tk", "scaling"))
    # Tk keeps the scaling per display, beyond this root: put it back afterwards.
    request.addfinalizer(lambda: tk_root.tk.call("tk", "scaling", scaling))
    tk_root.tk.call("tk", "scaling", 2 * scaling)
    big = ui.NoticeDialog(tk_root, client, result)
    pump(tk_root)
    large = tkfont.Font(font=big.body.text.cget("font")).metrics("linespace")
    assert large >= 1.8 * small
    # Still on the screen, the buttons still visible.
    assert big.winfo_width() <= big.winfo_screenwidth()
    assert big.winfo_height() <= big.winfo_screenheight()
    close = find(big, "TButton", "Close")
    assert close.winfo_rooty() + close.winfo_height() <= big.winfo_screenheight()
    screenshot(big, "notice-dialog-200-percent", tmp_path / "screenshots")


def test_long_titles_and_workarounds_wrap_and_scroll(tk_root, live_server, api, product,
                                                     tmp_path):
    title = "Printing fails when " + "the invoice has very many lines " * 6
    steps = "\n".join(f"{i}. Step {i}: open the settings folder and check the file "
                      f"`/home/someone/.config/ledgerly/profiles/profile-{i}/settings.json`"
                      for i in range(1, 60))
    file_notice(api, title=title[:120], workaround=steps, severity="minor")
    client = client_for(live_server, tmp_path)
    dialog = ui.NoticeDialog(tk_root, client, client.check())
    pump(tk_root)
    text = dialog.body.text
    assert text.cget("wrap") == "word"
    assert dialog.winfo_height() <= dialog.winfo_screenheight()
    first, last = text.yview()
    assert first == 0.0 and last < 0.5  # it scrolls
    text.yview_moveto(1.0)
    pump(tk_root)
    assert text.yview()[1] == 1.0
    assert "profile-59/settings.json" in dialog.body.content()
    # The title wraps inside the window instead of stretching it.
    title_lines = text.count("title.first", "title.last", "displaylines")
    assert title_lines and title_lines[0] >= 2
    text.yview_moveto(0.0)
    screenshot(dialog, "notice-long", tmp_path / "screenshots")


def test_right_to_left_and_accented_text(tk_root, live_server, api, product, tmp_path):
    file_notice(api, title="הדפסה נכשלת אחרי עדכון", severity="minor",
                summary="مرحبا: الطباعة لا تعمل بعد التحديث",
                workaround="- Öffnen Sie **Einstellungen / Drucken**\n"
                           "- Choisissez « Aperçu » puis réessayez — ça marche.\n"
                           "- מחקו את הקובץ `print.cache` ונסו שוב")
    client = client_for(live_server, tmp_path)
    dialog = ui.NoticeDialog(tk_root, client, client.check())
    pump(tk_root)
    shown = dialog.body.content()
    for phrase in ("הדפסה נכשלת אחרי עדכון", "مرحبا: الطباعة لا تعمل بعد التحديث",
                   "Öffnen Sie Einstellungen / Drucken", "« Aperçu » puis réessayez — ça",
                   "מחקו את הקובץ print.cache ונסו שוב"):
        assert phrase in shown
    # Drawn in display order (Tk 8.6 would draw the logical order left to right), Arabic
    # letters joined: مرحبا is alef final, beh medial, hah initial, reh final, meem initial.
    text = dialog.body.text
    rtl = " ".join(ranges(text, "rtl"))
    assert "בוש וסנו print.cache ץבוקה תא וקחמ" in rtl and "Öffnen" not in rtl
    assert "ןוכדע ירחא תלשכנ הספדה" in rtl  # the title line too
    assert "\uFE8E\uFE92\uFEA3\uFEAE\uFEE3" in rtl and "مرحبا" not in rtl
    assert_laid_out_lines_fit(dialog.body)
    screenshot(dialog, "notice-rtl-accents", tmp_path / "screenshots")

    # Narrower: the paragraphs are laid out again in more lines, still in display order.
    lines_before = count(text, "1.0", "end", "lines")
    dialog.geometry("230x560")
    pump_until(tk_root, lambda: count(text, "1.0", "end", "lines") > lines_before)
    assert_laid_out_lines_fit(dialog.body)
    assert dialog.body.content() == shown
    screenshot(dialog, "notice-rtl-narrow", tmp_path / "screenshots")

    # Copying gives the text as written (logical order, unjoined letters), not as drawn.
    text.tag_add("sel", "1.0", "end-1c")
    text.event_generate("<<Copy>>")
    assert text.clipboard_get() == shown


def count(text: tk.Text, start: str, end: str, what: str) -> int:
    found = text.count(start, end, what)  # None for zero
    return int(found[0]) if found else 0


def assert_laid_out_lines_fit(body) -> None:  # type: ignore[no-untyped-def]
    """Tk must not wrap a laid-out right-to-left line again: each text line is one
    display line."""
    text = body.text
    text.update_idletasks()
    for paragraph in body._bidi.paragraphs:
        start, end = text.index(paragraph.start), text.index(paragraph.end)
        logical_lines = count(text, start, end, "lines") + 1
        display_lines = count(text, start, end, "displaylines") + 1
        assert display_lines == logical_lines, paragraph.logical


def test_banner_critical_stays_minor_dismissable(tk_root, live_server, api, product,
                                                 tmp_path):
    file_notice(api, title="Exports lose the last line", severity="minor",
                affected=">=1.0")
    client = client_for(live_server, tmp_path)
    banner = ui.NoticeBanner(tk_root, client, client.check())
    banner.pack(fill="x")
    pump(tk_root)
    assert "Exports lose the last line" in banner.label.cget("text")
    find(banner, "TButton", "What to do…").invoke()
    [details] = [w for w in tk_root.winfo_children() if isinstance(w, ui.NoticeDialog)]
    assert "Exports lose the last line" in details.body.content()
    find(details, "TButton", "Close").invoke()
    find(banner, "TButton", "Dismiss").invoke()
    assert client.check(force=True).new_notices == ()
    file_notice(api, title="Data loss on save", severity="critical", affected=">=1.0")
    critical = ui.NoticeBanner(tk_root, client, client.check(force=True))
    critical.pack(fill="x")
    pump(tk_root)
    assert find(critical, "TButton", "Dismiss") is None
    assert "Critical known issue: Data loss on save" in critical.label.cget("text")
    screenshot(tk_root, "banner-critical", tmp_path / "screenshots")


def test_update_dialog_downloads_verifies_then_installs(tk_root, live_server, licence_bug,
                                                        tmp_path):
    client = client_for(live_server, tmp_path)
    installed = []
    dialog = ui.UpdateDialog(tk_root, client, dest_dir=tmp_path / "dl",
                             on_install=installed.append)
    pump_until(tk_root, lambda: dialog.phase == "offer")
    assert dialog.heading.cget("text") == "Update: ledgerly 2.0.1 is available"
    assert "Download size: 125.0 KB" in dialog.subheading.cget("text")
    screenshot(dialog, "update-offer", tmp_path / "screenshots")
    seen = []
    original = dialog._progress
    dialog._progress = lambda value: (seen.append(value), original(value))  # type: ignore[method-assign]
    find(dialog, "TButton", "Download and install").invoke()
    pump_until(tk_root, lambda: dialog.phase in ("verified", "download-failed"))
    assert dialog.phase == "verified"
    assert seen and seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert float(dialog.progress.cget("value")) == len(PAYLOAD)
    assert "SHA-256 matches" in dialog.status_label.cget("text")
    screenshot(dialog, "update-verified", tmp_path / "screenshots")
    find(dialog, "TButton", "Install and restart").invoke()
    assert len(installed) == 1 and installed[0].read_bytes() == PAYLOAD


def test_update_dialog_reports_a_tampered_download(app, tk_root, live_server, licence_bug,
                                                   tmp_path):
    store = app.extensions["updatesrv"].store
    stored = next(p for p in store.root.rglob("ledgerly-2.0.1.exe"))
    stored.write_bytes(PAYLOAD[:-5] + b"EVIL!")
    client = client_for(live_server, tmp_path)
    dialog = ui.UpdateDialog(tk_root, client, dest_dir=tmp_path / "dl", on_install=print)
    pump_until(tk_root, lambda: dialog.phase == "offer")
    find(dialog, "TButton", "Download and install").invoke()
    pump_until(tk_root, lambda: dialog.phase in ("verified", "download-failed"))
    assert dialog.phase == "download-failed"
    assert "did not match" in dialog.status_label.cget("text")
    assert find(dialog, "TButton", "Install and restart") is None
    assert list((tmp_path / "dl").iterdir()) == []


def test_widgets_are_text_not_markup(tk_root, live_server, api, product, tmp_path):
    file_notice(api, title="<b>Not bold</b>", workaround="<script>x</script>")
    client = client_for(live_server, tmp_path)
    dialog = ui.NoticeDialog(tk_root, client, client.check())
    pump(tk_root)
    assert "<b>Not bold</b>" in dialog.body.content()
    assert "<script>x</script>" in dialog.body.content()


class Hostile(BaseHTTPRequestHandler):
    """A server (or a proxy in between) that puts control characters in every field."""

    def do_GET(self) -> None:
        notice = {"id": "X-1\x1b[2J", "revision": 1, "title": "Title\x1b]0;owned\x07",
                  "summary": "sum\x9b31m", "severity": "major", "status": "open\x08",
                  "workaround": "- step\x1b[8m hidden", "url": "https://x.example/\x1b",
                  "support_url": "mailto:a@b.example\x07"}
        body = json.dumps({"product": "ledgerly", "channel": "stable",
                           "installed": {"version": "2.0.0\x1b[1m"},
                           "update": None, "notices": [notice]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_control_characters_from_the_server_never_reach_the_screen(tk_root, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = UpdateClient(f"http://127.0.0.1:{server.server_address[1]}", "ledgerly",
                              "2.0.0", platform=WIN, state_dir=tmp_path / "state")
        dialog = ui.NoticeDialog(tk_root, client, client.check())
        pump(tk_root)
    finally:
        server.shutdown()
    shown = "".join(str(w.cget("text")) for w in walk(dialog)
                    if w.winfo_class() in ("Label", "TLabel", "TButton", "TCheckbutton"))
    shown += dialog.body.content() + dialog.title()
    assert "Title" in shown and "owned" in shown and "hidden" in shown
    assert not [ch for ch in shown if unicodedata.category(ch) == "Cc" and ch != "\n"]

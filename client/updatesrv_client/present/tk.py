"""Ready-made Tk dialogs (standard library only): known-issue notices, a banner, updates.

    from updatesrv_client.present import tk as updates_ui

    updates_ui.show_startup_notices(root, client, on_update=open_update_dialog)
    updates_ui.UpdateDialog(root, client, dest_dir=downloads, on_install=install_and_restart)

Nothing here blocks the app: the server is asked on a background thread, and a server that
is down, slow or answers garbage only makes the dialog say it could not check.
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import ttk
from typing import Any

from .._client import UpdateClient
from .._models import CheckResult, Notice, Update
from ..errors import UpdateCheckError
from ._tkupdate import UpdateDialog
from ._tkwidgets import (
    SEVERITY_WORD,
    Dialog,
    Fonts,
    one_line,
    reason,
    severity_colours,
)
from ._tkwork import Background
from .bidi import visual

__all__ = ["NoticeBanner", "NoticeDialog", "UpdateDialog", "show_startup_notices"]

log = logging.getLogger("updatesrv_client")
_RANK = {"critical": 0, "major": 1, "minor": 2, "info": 3}


def _most_severe(notices: Sequence[Notice]) -> str:
    return min((n.severity for n in notices), key=lambda s: _RANK.get(s, 9), default="info")


class NoticeDialog(Dialog):
    """Known issues affecting this install, each with its workaround, fix and support.

    With ``result`` (or ``notices``) it shows them at once; with only a ``client`` it asks the
    server first (falling back to the saved answer). Non-critical notices offer "Don't show
    this again" (``client.mark_shown`` on close); critical ones come back at every start while
    they apply. ``on_update(update)`` adds "Update now" where the fix is offered."""

    def __init__(self, master: tk.Misc, client: UpdateClient | None = None,
                 result: CheckResult | None = None, *, notices: Sequence[Notice] | None = None,
                 only_new: bool = False, on_update: Callable[[Update], Any] | None = None,
                 note: str = "", on_close: Callable[[], Any] | None = None,
                 support_url: str | None = None) -> None:
        name = result.product_name if result else client.product if client else "this app"
        super().__init__(master, f"Known issues — {name}")
        self.updates = client
        self.on_update = on_update
        self.on_close = on_close
        self.support_url = support_url
        self.result = result
        self.notices: tuple[Notice, ...] = ()
        self.dont_show: dict[str, tuple[Notice, tk.BooleanVar]] = {}
        self._check: Background | None = None
        if result is not None or notices is not None:
            shown = notices if notices is not None else (
                result.new_notices if only_new else result.notices) if result else ()
            self.show(tuple(shown), note)
        elif client is not None:
            self._start_check(only_new)
        self.present()

    def _start_check(self, only_new: bool) -> None:
        assert self.updates is not None
        client = self.updates
        self.set_header("Checking for known issues…", f"{client.product} {client.version}",
                        "info")
        self.body.add("Asking the update server…", "muted")
        self.set_buttons(("Close", self.close))

        def done(result: CheckResult | None, error: BaseException | None) -> None:
            note = ""
            if error is not None:
                log.warning("known-issue check failed: %s", error)
                result = client.cached_result()
                note = f"Could not check for known issues: {reason(error)}"
                if result is not None:
                    note += "\nShowing what was known at the last successful check."
            self.result = result
            notices = () if result is None else (
                result.new_notices if only_new else result.notices)
            self.show(tuple(notices), note)

        self._check = Background(self, lambda report: client.check(force=True), done)

    def show(self, notices: tuple[Notice, ...], note: str = "") -> None:
        self.notices = tuple(sorted(notices, key=lambda n: _RANK.get(n.severity, 9)))
        self.dont_show.clear()
        self.body.clear()
        product = self.result.product_name if self.result else (
            self.updates.product if self.updates else "")
        version = self.result.installed.version if self.result else (
            self.updates.version if self.updates else "")
        severity = _most_severe(self.notices)
        if not self.notices:
            heading = "No known issues" if not note else "Known issues unavailable"
            self.body.add(f"No known issue affects {product} {version}.\n" if not note else
                          "Nothing is known about this version yet: no earlier check was "
                          "saved.\n", "muted")
        elif len(self.notices) == 1:
            heading = f"{SEVERITY_WORD.get(severity, 'Known')} known issue"
        else:
            heading = f"{len(self.notices)} known issues"
        self.set_header(heading, f"{product} {version}".strip(), severity)
        self.set_note(note)
        for notice in self.notices:
            self._add_notice(notice)
        if self.support_url and not any(n.support_url for n in self.notices):
            self.body.add("\nStill stuck? Contact support: ")
            self.body.add(one_line(self.support_url).removeprefix("mailto:"),
                          link=self.support_url)
            self.body.add("\n")
        buttons: list[tuple[str, Callable[[], Any]]] = []
        update = self.result.update if self.result else None
        if update and self.on_update and any(n.fix_available for n in self.notices):
            buttons.append((f"Update now to {one_line(update.version)}",
                            lambda: self._update(update)))
        buttons.append(("Close", self.close))
        self.set_buttons(*buttons)

    def _add_notice(self, notice: Notice) -> None:
        body = self.body
        background, foreground = severity_colours(notice.severity)
        tag = f"severity-{notice.severity}"
        body.text.tag_configure(tag, background=background, foreground=foreground,
                                font=self.fonts.bold)
        word = SEVERITY_WORD.get(notice.severity, one_line(notice.severity))
        body.add(f" {word.upper()} ", tag)
        body.add(f"  {one_line(notice.id)} · {one_line(notice.status).replace('_', ' ')}\n",
                 "muted")
        body.add(one_line(notice.title) + "\n", "title")
        if notice.summary:
            body.add_markdown(notice.summary)
        if notice.workaround:
            body.add("What to do\n", "heading")
            body.add_markdown(notice.workaround)
        update = self.result.update if self.result else None
        if notice.fixed_in:
            body.add(f"Fixed in {one_line(notice.fixed_in)}", "bold")
            if notice.fix_available and update is not None:
                body.add(f": version {one_line(update.version)} is ready for you. ")
                if self.on_update is not None:
                    body.add_widget(ttk.Button(
                        body.text, text="Update now", style="Updatesrv.TButton",
                        command=lambda: self._update(update)))
            else:
                body.add(".")
            body.add("\n")
        if notice.url:
            body.add("Details: ", "muted")
            body.add(one_line(notice.url), link=notice.url)
            body.add("\n")
        if notice.support_url:
            contact = one_line(notice.support_url)
            body.add("Still stuck? Contact support: ")
            body.add(contact.removeprefix("mailto:"), link=contact)
            body.add("\n")
        if notice.severity == "critical":
            body.add("This critical notice is shown at every start while it affects "
                     "your version.\n", "italic", "muted")
        elif self.updates is not None:
            var = tk.BooleanVar(self, value=False)
            self.dont_show[notice.id] = (notice, var)
            body.add_widget(ttk.Checkbutton(body.text, text="Don't show this again",
                                            variable=var, style="Updatesrv.TCheckbutton"))
            body.add("\n")
        body.add("\n")

    def _update(self, update: Update) -> None:
        callback = self.on_update
        self.close()
        if callback is not None:
            callback(update)

    def close(self) -> None:
        if self._check is not None:
            self._check.cancel()
        for notice, var in self.dont_show.values():
            if var.get() and self.updates is not None:
                try:
                    self.updates.mark_shown(notice)
                except (OSError, UpdateCheckError):
                    log.warning("could not remember notice %s as shown", notice.id,
                                exc_info=True)
        super().close()
        if self.on_close is not None:
            self.on_close()


class NoticeBanner(tk.Frame):
    """A strip for the top of the app's main window: the most severe notice's title and a
    "What to do…" button opening the NoticeDialog. Non-critical banners can be dismissed
    (the notices are then marked shown); a critical one stays while it applies."""

    def __init__(self, master: tk.Misc, client: UpdateClient | None, result: CheckResult, *,
                 only_new: bool = True,
                 on_update: Callable[[Update], Any] | None = None) -> None:
        super().__init__(master, padx=10, pady=6)
        self.updates, self.result, self.on_update = client, result, on_update
        self.notices = tuple(result.new_notices if only_new else result.notices)
        self.fonts = Fonts(self)
        severity = _most_severe(self.notices)
        background, foreground = severity_colours(severity)
        self.configure(background=background)
        first = sorted(self.notices, key=lambda n: _RANK.get(n.severity, 9))
        text = (f"{SEVERITY_WORD.get(severity, 'Known')} known issue: "
                f"{one_line(first[0].title)}" if first else "")
        if len(self.notices) > 1:
            text += f"  (and {len(self.notices) - 1} more)"
        # Tk draws characters in the order given: a Hebrew or Arabic title is put in display
        # order (and Arabic letters joined) first.
        self.label = tk.Label(self, text=visual(text), background=background,
                              foreground=foreground,
                              font=self.fonts.bold, anchor="w", justify="left")
        self.label.bind("<Configure>", lambda e: e.widget.configure(
            wraplength=max(e.width - 10, 100)))
        if severity != "critical" and client is not None:
            ttk.Button(self, text="Dismiss", style="Updatesrv.TButton",
                       command=self.dismiss).pack(side="right", padx=(6, 0))
        ttk.Button(self, text="What to do…", style="Updatesrv.TButton",
                   command=self.details).pack(side="right", padx=(6, 0))
        self.label.pack(side="left", fill="x", expand=True)

    def details(self) -> NoticeDialog:
        return NoticeDialog(self.winfo_toplevel(), self.updates, self.result,
                            notices=self.notices, on_update=self.on_update)

    def dismiss(self) -> None:
        for notice in self.notices:
            if notice.severity != "critical" and self.updates is not None:
                try:
                    self.updates.mark_shown(notice)
                except (OSError, UpdateCheckError):
                    log.warning("could not remember notice %s", notice.id, exc_info=True)
        self.destroy()


def show_startup_notices(master: tk.Misc, client: UpdateClient, *,
                         on_update: Callable[[Update], Any] | None = None,
                         on_result: Callable[[CheckResult | None], Any] | None = None,
                         ) -> Background:
    """Checks in the background (at most once per the server's interval, the saved answer
    when offline) and opens a NoticeDialog for notices not yet shown on this install.
    ``on_result`` gets the result (None when nothing is known) e.g. to flag an update."""

    def done(result: CheckResult | None, error: BaseException | None) -> None:
        note = ""
        if error is not None:
            log.warning("update check failed: %s", error)
            result = client.cached_result()
            note = (f"Could not reach the update server ({reason(error)}). "
                    "Showing what was known at the last successful check.")
        if result is not None and result.new_notices:
            NoticeDialog(master, client, result, only_new=True, on_update=on_update,
                         note=note)
        if on_result is not None:
            on_result(result)

    return Background(master, lambda report: client.check(), done)


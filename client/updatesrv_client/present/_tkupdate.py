"""The update dialog: check, show the offer, download with a progress bar, verify, then hand
the verified file to the app's install callback."""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from tkinter import ttk
from typing import Any

from .._client import UpdateClient
from .._models import CheckResult, Update
from ._tkwidgets import Dialog, human_size, one_line, reason
from ._tkwork import Background

log = logging.getLogger("updatesrv_client")


class UpdateDialog(Dialog):
    """Offers an update: version, notes, size; downloads it with a progress bar, verifies
    size, SHA-256 (and signature when the client has keys), then "Install and restart"
    calls ``on_install(path)`` with the verified file.

    Without ``update`` or ``result`` it asks the server first ("Check for updates…")."""

    def __init__(self, master: tk.Misc, client: UpdateClient, *,
                 dest_dir: str | Path, on_install: Callable[[Path], Any] | None,
                 update: Update | None = None, result: CheckResult | None = None,
                 later_label: str = "Later", on_close: Callable[[], Any] | None = None) -> None:
        super().__init__(master, f"Software update — {client.product}")
        self.updates = client
        self.dest_dir = Path(dest_dir)
        self.on_install = on_install
        self.on_close = on_close
        self.later_label = later_label
        self.update_offer: Update | None = update
        self.downloaded: Path | None = None
        self.phase = "checking"
        self._task: Background | None = None
        self.status = ttk.Frame(self, padding=(14, 4))
        self.status_label = ttk.Label(self.status, style="Updatesrv.TLabel", anchor="w",
                                      justify="left")
        self.status_label.pack(side="top", fill="x")
        self.status_label.bind("<Configure>", lambda e: e.widget.configure(
            wraplength=max(e.width - 10, 100)))
        self.progress = ttk.Progressbar(self.status, orient="horizontal", mode="determinate")
        self.progress.pack(side="top", fill="x", pady=(4, 2))
        if update is not None:
            self._show_offer(update)
        elif result is not None:
            self._show_result(result)
        else:
            self.check()
        self.present()

    def _set_status(self, text: str, *, busy: bool = False,
                    value: float | None = None) -> None:
        self.status.pack(side="bottom", fill="x", before=self.buttons)
        self.status_label.configure(text=text)
        self.progress.stop()
        self.progress.configure(mode="indeterminate" if busy else "determinate")
        if busy:
            self.progress.start(15)
        elif value is not None:
            self.progress.configure(value=value)

    # -- checking -----------------------------------------------------------------------

    def check(self) -> None:
        self.phase = "checking"
        self.set_header("Checking for updates…", f"{self.updates.product} "
                        f"{self.updates.version}", "info")
        self.set_note("")
        self.body.clear()
        self.body.add("Asking the update server…", "muted")
        self._set_status("Checking…", busy=True)
        self.set_buttons(("Cancel", self.close))
        client = self.updates
        self._task = Background(self, lambda report: client.check(force=True),
                                self._checked)

    def _checked(self, result: CheckResult | None, error: BaseException | None) -> None:
        self.progress.stop()
        if error is not None or result is None:
            log.warning("update check failed: %s", error)
            self.phase = "check-failed"
            self.set_header("Could not check for updates",
                            f"{self.updates.product} {self.updates.version}", "major")
            self.body.clear()
            self.body.add(f"The update server could not be asked: "
                          f"{reason(error) if error else 'no answer'}.\n\n")
            self.body.add("Nothing has changed on this computer and the app keeps working. "
                          "Try again later.")
            self.status.pack_forget()
            self.set_buttons(("Try again", self.check), ("Close", self.close))
            return
        self._show_result(result)

    def _show_result(self, result: CheckResult) -> None:
        self.status.pack_forget()
        if result.update is None:
            self.phase = "up-to-date"
            self.set_header("You are up to date", f"{result.product_name} "
                            f"{result.installed.version}", "info")
            self.body.clear()
            self.body.add(f"{one_line(result.product_name)} {one_line(result.installed.version)} "
                          f"is the newest version on the {one_line(result.channel)} "
                          "channel.\n")
            self.set_buttons(("Close", self.close))
            return
        self._show_offer(result.update, installed=result.installed.version)

    # -- the offer ----------------------------------------------------------------------

    def _show_offer(self, update: Update, installed: str | None = None) -> None:
        self.phase = "offer"
        self.update_offer = update
        have = installed or self.updates.version
        kind = "Critical update" if update.critical else "Update"
        self.set_header(f"{kind}: {self.updates.product} {update.version} is available",
                        f"You have {have}. Download size: {human_size(update.size)}.",
                        "critical" if update.critical else "minor")
        self.body.clear()
        self.body.add(f"What's new in {one_line(update.version)}\n", "heading")
        if update.notes.strip():
            self.body.add_markdown(update.notes)
        else:
            self.body.add("The vendor wrote no release notes for this version.\n", "muted")
        if update.notes_url:
            self.body.add("\nFull release notes: ", "muted")
            self.body.add(one_line(update.notes_url), link=update.notes_url)
            self.body.add("\n")
        self.set_buttons(("Download and install", self.start_download),
                         (self.later_label, self.close))

    # -- downloading --------------------------------------------------------------------

    def start_download(self) -> None:
        update = self.update_offer
        if update is None:
            return
        self.phase = "downloading"
        self.progress.configure(maximum=max(update.size, 1), value=0)
        self._set_status(f"Downloading… 0 of {human_size(update.size)}", value=0)
        self.set_buttons(("Cancel", self.close))
        client, dest = self.updates, self.dest_dir

        def work(report: Callable[[Any], None]) -> Path:
            # report() raises Cancelled once the dialog is closed: the download stops and
            # keeps its partial file for the next attempt.
            return client.download(update, dest,
                                   progress=lambda done, total: report((done, total)))

        self._task = Background(self, work, self._downloaded, self._progress)

    def _progress(self, value: tuple[int, int]) -> None:
        done, total = value
        if done >= total:
            self._set_status("Verifying the download (size and SHA-256)…", value=total)
        else:
            self._set_status(f"Downloading… {human_size(done)} of {human_size(total)}",
                             value=done)

    def _downloaded(self, path: Path | None, error: BaseException | None) -> None:
        if error is not None or path is None:
            log.warning("update download failed: %s", error)
            self.phase = "download-failed"
            self._set_status(f"The download failed: {reason(error) if error else 'unknown'}. "
                             "Nothing was installed; try again.", value=0)
            self.set_buttons(("Try again", self.start_download), ("Close", self.close))
            return
        self.phase = "verified"
        self.downloaded = path
        assert self.update_offer is not None
        self._set_status(f"Downloaded and verified: {path.name} "
                         f"({human_size(self.update_offer.size)}, SHA-256 matches).",
                         value=self.update_offer.size)
        if self.on_install is not None:
            self.set_buttons(("Install and restart", self.install), (self.later_label,
                                                                     self.close))
        else:
            self.set_buttons(("Close", self.close))

    def install(self) -> None:
        path, callback = self.downloaded, self.on_install
        self.close()
        if path is not None and callback is not None:
            callback(path)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        super().close()
        if self.on_close is not None:
            self.on_close()

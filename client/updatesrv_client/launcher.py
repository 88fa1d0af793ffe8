"""The guarded launcher: an app that no longer starts cannot tell anyone why, so something
outside it has to. ``run_guarded`` (and ``python -m updatesrv_client launch``) shows a
critical notice or critical update before the app starts, runs it, and when it exits with an
error soon after starting shows the known issues for this install, with the workaround and the
support contact: from a fresh answer, or the saved one when offline. In a dialog when a
display is available, on the terminal otherwise. It exits with the app's exit code."""

from __future__ import annotations

import gc
import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from ._client import UpdateClient
from ._models import CheckResult, Notice, Update
from .errors import UpdateCheckError
from .present import notice_text
from .present.text import clean

log = logging.getLogger("updatesrv_client")

__all__ = ["default_state_dir", "run_guarded"]

DEFAULT_CRASH_WINDOW = 30.0


def default_state_dir(product: str) -> Path:
    """Where the launcher keeps the install id, the saved answer and the notices shown:
    %LOCALAPPDATA%\\updatesrv\\P, ~/Library/Application Support/updatesrv/P, or
    $XDG_STATE_HOME/updatesrv/P (~/.local/state/updatesrv/P)."""
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in product) or "app"
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "updatesrv" / safe


def _check(client: UpdateClient, force: bool) -> tuple[CheckResult | None, str]:
    try:
        return client.check(force=force), ""
    except UpdateCheckError as exc:
        log.warning("update check failed: %s", exc)
        return client.cached_result(), str(exc)
    except Exception as exc:  # never let the check keep the app from starting
        log.warning("update check failed", exc_info=True)
        return client.cached_result(), f"unexpected error ({type(exc).__name__})"


def _wants_tk(ui: str) -> bool:
    if ui == "terminal":
        return False
    if ui == "auto" and sys.platform not in ("win32", "darwin") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        import tkinter  # noqa: F401
    except ImportError:
        return False
    return True


def _tk_root() -> Any:
    """A hidden Tk root, or None when no display can be opened."""
    try:
        import tkinter

        root = tkinter.Tk()
    except Exception:
        log.info("no display for dialogs; using the terminal", exc_info=True)
        return None
    root.withdraw()
    return root


def _open_with_system(path: Path) -> None:
    """Hands a downloaded installer to the operating system (it knows how to run it)."""
    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]
    else:
        subprocess.Popen(["open" if sys.platform == "darwin" else "xdg-open", str(path)])


class _Guard:
    def __init__(self, client: UpdateClient, ui: str, out: TextIO, downloads: Path) -> None:
        self.client = client
        self.downloads = downloads
        self.out = out
        self.use_tk = _wants_tk(ui)

    def _write(self, text: str) -> None:
        try:
            self.out.write(clean(text))
            self.out.flush()
        except (OSError, ValueError, AttributeError):  # pythonw has no console at all
            pass

    # -- before the app starts ----------------------------------------------------------

    def before_start(self) -> bool:
        """Shows what must be seen before starting; False when the person chose to install
        a critical update instead of starting the old version."""
        result, _ = _check(self.client, force=False)
        if result is None:
            return True
        critical = [n for n in result.notices if n.severity == "critical"]
        update = result.update if result.update and result.update.critical else None
        if not critical and update is None:
            return True
        if self.use_tk:
            root = _tk_root()
            if root is not None:
                try:
                    return self._before_start_tk(root, result, critical, update)
                finally:
                    root.destroy()
        self._write_result(result, critical, "")
        return True

    def _before_start_tk(self, root: Any, result: CheckResult, critical: list[Notice],
                         update: Update | None) -> bool:
        from .present.tk import NoticeDialog

        if critical:
            root.wait_window(NoticeDialog(root, self.client, result, notices=critical))
        return update is None or not self._offer_update(root, update, "Start without updating")

    def _offer_update(self, root: Any, update: Update, later: str) -> bool:
        """The update dialog; True when the person downloaded the update and its installer
        was handed to the system."""
        from .present.tk import UpdateDialog

        installing: list[Path] = []
        root.wait_window(UpdateDialog(root, self.client, update=update, dest_dir=self.downloads,
                                      on_install=installing.append, later_label=later))
        if not installing:
            return False
        try:
            _open_with_system(installing[0])
            return True
        except OSError:
            log.warning("could not open the installer %s", installing[0], exc_info=True)
            return False

    # -- after the app failed -----------------------------------------------------------

    def after_failure(self, what: str) -> None:
        result, error = _check(self.client, force=True)
        note = what
        if error:
            note += ("\nCould not reach the update server; showing what was known at the last "
                     "successful check." if result is not None else
                     "\nCould not reach the update server to look for known issues.")
        support = f"{self.client.server}/p/{self.client.product}/"
        if self.use_tk:
            root = _tk_root()
            if root is not None:
                from .present.tk import NoticeDialog

                try:
                    chosen: list[Update] = []
                    root.wait_window(NoticeDialog(
                        root, self.client, result, notices=None if result else (), note=note,
                        support_url=support, on_update=chosen.append))
                    if chosen:
                        self._offer_update(root, chosen[0], "Close")
                finally:
                    root.destroy()
                return
        self._write(f"\n{note}\n\n")
        if result is not None:
            self._write_result(result, list(result.notices), support)
        else:
            self._write(f"Still stuck? Contact support: {support}\n")

    def _write_result(self, result: CheckResult, notices: list[Notice], support: str) -> None:
        update = result.update
        name = f"{result.product_name} {result.installed.version}"
        if notices:
            self._write(f"Known issues affecting {name}:\n\n")
            for notice in notices:
                self._write(notice_text(notice, update.version if update else None) + "\n\n")
        elif support:
            self._write(f"No known issue is recorded for {name}.\n")
        if update is not None and (update.critical or not notices):
            kind = "Critical update" if update.critical else "Update"
            self._write(f"{kind} available: {update.version} — {update.notes_url}\n")
        if support and not any(n.support_url for n in notices):
            self._write(f"Still stuck? Contact support: {support}\n")


def _exit_code(returncode: int) -> int:
    # A POSIX child killed by a signal reports -N; shells report 128+N.
    return 128 - returncode if returncode < 0 else returncode


def run_guarded(command: Sequence[str], *, server: str, product: str, version: str,
                channel: str = "stable", platform: str | None = None,
                state_dir: str | os.PathLike[str] | None = None,
                server_keys: Sequence[str] | None = None,
                crash_window: float = DEFAULT_CRASH_WINDOW, timeout: float = 5.0,
                ui: str = "auto", client: UpdateClient | None = None,
                out: TextIO | None = None, failure_reports: bool = True) -> int:
    """Runs ``command`` (the app) guarded, as described in the module docstring, and
    returns the app's exit code (127 when it cannot be found, 126 when it cannot run).
    A failed start is also reported to the vendor (exit code or signal and the seconds
    after starting; only when the vendor collects reports), unless ``failure_reports``
    is False.

    ``ui`` is "auto" (dialogs when a display is available), "tk" or "terminal"; messages
    for the terminal go to ``out`` (stderr: the app's own output stays clean)."""
    if ui not in ("auto", "tk", "terminal"):
        raise ValueError("ui must be 'auto', 'tk' or 'terminal'")
    if not command:
        raise ValueError("no command to run")
    state = Path(state_dir) if state_dir is not None else default_state_dir(product)
    client = client or UpdateClient(server, product, version, channel=channel,
                                    platform=platform, state_dir=state,
                                    server_keys=server_keys,
                                    timeout=(min(timeout, 5.0), timeout), deadline=timeout,
                                    failure_reports=failure_reports)
    guard = _Guard(client, ui, out or sys.stderr, state / "downloads")
    go_on = guard.before_start()
    # Free the dialogs' Tcl interpreter now, on its own thread: collected later on another
    # thread (the check's), Tcl would abort the process.
    gc.collect()
    if not go_on:
        return 0
    started = time.monotonic()
    try:
        process = subprocess.Popen(list(command))
    except OSError as exc:
        code = 127 if isinstance(exc, FileNotFoundError) else 126
        client.report_failure("start_failure", exit_code=code, seconds_after_start=0.0)
        guard.after_failure(f"{product} could not be started: {exc.strerror or exc}.")
        gc.collect()
        return code
    while True:
        try:
            returncode = process.wait()
            code = _exit_code(returncode)
            break
        except KeyboardInterrupt:
            continue  # Ctrl+C reaches the app too; wait for it to exit
    elapsed = time.monotonic() - started
    if code != 0 and elapsed < crash_window:
        # Queued, then sent by the fresh check after_failure makes (or the next one).
        client.report_failure("start_failure", seconds_after_start=elapsed, **(
            {"signal": -returncode} if returncode < 0 else {"exit_code": code}))
        when = "right after starting" if elapsed < 2 else f"{elapsed:.0f} seconds after starting"
        guard.after_failure(f"{product} stopped unexpectedly (exit code {code}) {when}.")
        gc.collect()
    return code

"""Work off the Tk thread: Tk must only ever be touched from its own thread, so background
work reports back through a queue the dialog polls."""

from __future__ import annotations

import contextlib
import queue
import threading
import tkinter as tk
from collections.abc import Callable
from typing import Any


def _run_work(work: Callable[[Callable[[Any], None]], Any],
              results: queue.SimpleQueue[tuple[str, Any]], stop: threading.Event) -> None:
    def report(value: Any) -> None:
        if stop.is_set():
            raise Cancelled
        results.put(("progress", value))

    try:
        results.put(("done", work(report)))
    except BaseException as exc:  # handed to on_done; never kills the app
        results.put(("error", exc))


class Cancelled(Exception):
    """Raised inside background work when its dialog was closed (from ``report``)."""


class Background:
    """Runs ``work(report)`` on a thread and hands its result (or exception) and whatever it
    passes to ``report`` back on the Tk thread: Tk must only ever be touched from its own
    thread. ``work`` must not hold Tk objects either: the thread would then drop the last
    reference to a window, and Tcl objects freed on another thread abort the process."""

    def __init__(self, widget: tk.Misc, work: Callable[[Callable[[Any], None]], Any],
                 on_done: Callable[[Any, BaseException | None], None],
                 on_progress: Callable[[Any], None] | None = None) -> None:
        self.widget = widget
        self.on_done = on_done
        self.on_progress = on_progress
        self.finished = False
        self._stop = threading.Event()
        self._queue: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._after: str | None = None
        threading.Thread(target=_run_work, args=(work, self._queue, self._stop),
                         name="updatesrv-client", daemon=True).start()
        self._poll()

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def cancel(self) -> None:
        self._stop.set()
        if self._after is not None:
            with contextlib.suppress(tk.TclError):
                self.widget.after_cancel(self._after)
            self._after = None

    def _poll(self) -> None:
        self._after = None
        if self.cancelled:
            return
        try:
            if not self.widget.winfo_exists():
                return
        except tk.TclError:
            return
        while True:
            try:
                kind, value = self._queue.get_nowait()
            except queue.Empty:
                break
            if kind == "progress":
                if self.on_progress is not None:
                    self.on_progress(value)
                continue
            self.finished = True
            self.on_done(value if kind == "done" else None,
                         value if kind == "error" else None)
            return
        self._after = self.widget.after(40, self._poll)

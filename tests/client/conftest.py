"""Fixtures for the client tests: hostile servers on loopback, a virtual X display (Xvfb)
and a Tk root on it."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from .hostile import HostileServer
from .xdisplay import display, xvfb

__all__ = ["display", "elsewhere", "hostile", "tk_root", "xvfb"]

try:
    import tkinter  # noqa: F401
except ImportError:  # a Python built without Tk (CI installs python3-tk)
    collect_ignore = ["test_dialogs.py", "test_example_app.py", "test_launcher.py"]


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture
def elsewhere() -> Iterator[HostileServer]:
    """A second origin (another port), for cross-origin redirects."""
    with HostileServer() as server:
        yield server


@pytest.fixture
def tk_root(display: str) -> Iterator[Any]:
    import tkinter

    root = tkinter.Tk()
    root.geometry("640x400+0+0")
    yield root
    with contextlib.suppress(tkinter.TclError):
        root.destroy()


@pytest.fixture(autouse=True)
def _free_tk_on_main_thread() -> Iterator[None]:
    """Collects the test's Tk windows and interpreters here, on the main thread: freed by a
    later collection on a worker thread, Tcl aborts the process."""
    yield
    gc.collect()

"""A virtual X display (Debian's Xvfb) for the dialog tests, and screenshots of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SCREEN = "1280x1024x24"


def _free_display() -> int:
    for number in range(90, 300):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and \
                not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number")


@pytest.fixture(scope="session")
def xvfb() -> Iterator[str]:
    """Starts Xvfb on a free display for the whole session; skipped without Xvfb unless
    UPDATESRV_REQUIRE_XVFB=1 (CI sets it)."""
    if shutil.which("Xvfb") is None:
        if os.environ.get("UPDATESRV_REQUIRE_XVFB") == "1":
            pytest.fail("Xvfb is required (apt install xvfb)")
        pytest.skip("Xvfb is not installed (apt install xvfb)")
    for _ in range(5):
        display = f":{_free_display()}"
        proc = subprocess.Popen(["Xvfb", display, "-screen", "0", SCREEN, "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        socket = Path(f"/tmp/.X11-unix/X{display[1:]}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None and not socket.exists():
            time.sleep(0.05)
        if proc.poll() is None and socket.exists():
            break
        proc.kill()
        proc.wait()
    else:
        pytest.fail("Xvfb did not start")
    try:
        yield display
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def display(xvfb: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DISPLAY", xvfb)
    return xvfb


def screenshot(widget, name: str, directory: Path) -> Path:  # type: ignore[no-untyped-def]
    """A PNG of one window, saved in ``directory`` and, when set, UPDATESRV_SCREENSHOTS."""
    from PIL import ImageGrab

    widget.update()
    time.sleep(0.05)
    widget.update()
    x, y = widget.winfo_rootx(), widget.winfo_rooty()
    box = (x, y, x + widget.winfo_width(), y + widget.winfo_height())
    image = ImageGrab.grab(bbox=box, xdisplay=os.environ["DISPLAY"])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    image.save(path)
    extra = os.environ.get("UPDATESRV_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        image.save(Path(extra) / f"{name}.png")
    return path


def pump(root, seconds: float = 0.1) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        root.update()
        time.sleep(0.01)


def pump_until(root, predicate, timeout: float = 15.0):  # type: ignore[no-untyped-def]
    """Runs the Tk event loop until ``predicate()`` is true (returns its value)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        root.update()
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {predicate}")


def walk(widget):  # type: ignore[no-untyped-def]
    yield widget
    for child in widget.winfo_children():
        yield from walk(child)


def find(widget, kind: str, text: str | None = None):  # type: ignore[no-untyped-def]
    """The first widget of Tk class ``kind`` (e.g. TButton) with ``text``, or None."""
    for w in walk(widget):
        if w.winfo_class() == kind and (text is None or str(w.cget("text")) == text):
            return w
    return None


def toplevels(root, cls):  # type: ignore[no-untyped-def]
    return [w for w in root.winfo_children() if isinstance(w, cls) and w.winfo_exists()]

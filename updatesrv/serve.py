"""Production serving with gunicorn (several stateless worker processes), or Flask's
development server."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
from typing import Any

from flask import Flask


def _flush_stats(app: Flask) -> None:
    from . import runtime

    try:
        runtime(app).recorder.flush()
    except Exception:  # pragma: no cover - logged by the recorder's caller
        app.logger.exception("could not flush check statistics at exit")


def run_gunicorn(bind: str, workers: int, extra: dict[str, Any] | None = None) -> None:
    from gunicorn.app.base import BaseApplication

    from . import create_app

    apps: list[Flask] = []

    def flush_all(_server: object, _worker: object) -> None:
        for app in apps:
            _flush_stats(app)

    class UpdatesrvGunicorn(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": bind, "workers": workers, "worker_class": "gthread", "threads": 4,
                "keepalive": 5, "graceful_timeout": 10, "timeout": 120,
                "worker_exit": flush_all,
                **(extra or {}),
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            # Each worker builds its own app after the fork: engines, caches and the
            # statistics buffer are never shared across processes.
            app = create_app()
            apps.append(app)
            return app

    UpdatesrvGunicorn().run()


def run_dev(host: str, port: int) -> None:
    from . import create_app

    create_app().run(host=host, port=port, debug=True, use_reloader=True)


def start_scheduler_process() -> subprocess.Popen[bytes]:
    """The deployment's one scheduler, as a child process of the server command (not of a
    gunicorn worker). It is stopped when the server exits."""
    child = subprocess.Popen([sys.executable, "-m", "updatesrv.cli", "scheduler"],
                             env=os.environ.copy())

    def stop() -> None:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()

    atexit.register(stop)
    return child

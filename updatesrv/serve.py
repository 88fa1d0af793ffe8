"""Production serving with gunicorn (several stateless worker processes), or Flask's
development server."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from flask import Flask

# Chosen by measurement (benchmarks/check_bench.py --worker-class; figures in
# benchmarks/README.md, "Worker class"): threads keep a worker answering while one request
# waits for the CPU or the database, and they serve slow clients and long uploads without a
# proxy in front.
DEFAULT_WORKER_CLASS = "gthread"
WORKER_CLASSES = ("sync", "gthread")


def _flush_stats(app: Flask) -> None:
    from . import runtime

    if "updatesrv" not in app.extensions:  # another app under the same settings (bench)
        return
    try:
        runtime(app).recorder.flush()
    except Exception:  # pragma: no cover - logged by the recorder's caller
        app.logger.exception("could not flush check statistics at exit")


def gunicorn_options(bind: str, workers: int, worker_class: str = DEFAULT_WORKER_CLASS,
                     control_socket: str | None = None) -> dict[str, Any]:
    """The settings every updatesrv server runs with (the benchmark's bare Flask app too,
    so the two are compared like for like)."""
    options: dict[str, Any] = {
        "bind": bind, "workers": workers, "worker_class": worker_class,
        "keepalive": 5, "graceful_timeout": 10,
        # Sync workers are killed when one request outlasts the timeout: uploads through
        # nginx arrive already buffered, directly they may be slow.
        "timeout": 120 if worker_class != "sync" else 300,
    }
    if worker_class == "gthread":
        options["threads"] = 4
    # Gunicorn 25.1+ opens a control socket at one path per user ($XDG_RUNTIME_DIR or
    # ~/.gunicorn/gunicorn.ctl): two servers on a host would share it and stopping one
    # removes the other's. Off unless a path for this instance is given.
    if control_socket:
        options["control_socket"] = control_socket
    else:
        options["control_socket_disable"] = True
    return options


def listener_urls(addresses: list[Any]) -> list[str]:
    """What to open in a browser for each bound socket (the port the OS really gave, e.g.
    for ``--bind 127.0.0.1:0``); a wildcard address is shown as this machine's loopback."""
    urls = []
    for address in addresses:
        if isinstance(address, str | bytes):
            urls.append(f"unix:{os.fsdecode(address)}")
            continue
        host, port = address[0], address[1]
        shown = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
        note = " (all interfaces)" if shown != host else ""
        urls.append(f"http://[{shown}]:{port}/{note}" if ":" in shown
                    else f"http://{shown}:{port}/{note}")
    return urls


def _announce(server: Any) -> None:
    for url in listener_urls([listener.sock.getsockname() for listener in server.LISTENERS]):
        print(f"updatesrv is serving on {url}", flush=True)


def _one_write_responses() -> None:
    """Gunicorn writes a response's headers and its body with two sends. A web process
    that dies between them leaves nginx holding headers without a body, which it can no
    longer retry on another host, and the client sees a cut answer. Held back until the
    first body bytes, the headers go out in the same send as a small answer's body: a
    process killed at any moment has sent either nothing (nginx retries the GET
    elsewhere) or everything. Chunked and sendfile answers keep gunicorn's own order."""
    from gunicorn.http import wsgi

    base = wsgi.Response
    if getattr(base, "_updatesrv_one_write", False) or not all(
            hasattr(base, name) for name in ("send_headers", "_emit_body", "close",
                                             "sendfile", "default_headers")):
        return  # another gunicorn version: keep its behaviour

    class OneWriteResponse(base):  # type: ignore[misc, valid-type]
        _updatesrv_one_write = True
        headers_sent: bool
        chunked: bool
        _held: bytes | None = None
        _hold = True

        def send_headers(self) -> None:
            if self.headers_sent:
                return
            if not self._hold or self.chunked:
                super().send_headers()
                return
            lines = self.default_headers()
            lines.extend(f"{k}: {v}\r\n" for k, v in self.headers)
            self._held = ("".join(lines) + "\r\n").encode("latin-1")
            self.headers_sent = True

        def _release(self, body: bytes = b"") -> None:
            held, self._held = self._held, None
            if held is not None:
                from gunicorn import util

                util.write(self.sock, held + body)

        def _emit_body(self, data: bytes) -> None:
            if self._held is not None:
                self._release(data)
                return
            super()._emit_body(data)

        def sendfile(self, respiter: Any) -> bool:
            self._hold = False
            return bool(super().sendfile(respiter))

        def close(self) -> None:
            if not self.headers_sent:
                self.send_headers()
            self._release()
            super().close()

    wsgi.Response = OneWriteResponse


def run_gunicorn(bind: str, workers: int, extra: dict[str, Any] | None = None, *,
                 worker_class: str = DEFAULT_WORKER_CLASS, control_socket: str | None = None,
                 app_factory: Callable[[], Flask] | None = None) -> None:
    from gunicorn.app.base import BaseApplication

    from . import create_app

    factory = app_factory or create_app
    _one_write_responses()
    apps: list[Flask] = []

    def flush_all(_server: object, _worker: object) -> None:
        for app in apps:
            _flush_stats(app)

    class UpdatesrvGunicorn(BaseApplication):
        def load_config(self) -> None:
            options = {**gunicorn_options(bind, workers, worker_class, control_socket),
                       "worker_exit": flush_all, "when_ready": _announce, **(extra or {})}
            for key, value in options.items():
                if key in self.cfg.settings:  # control_socket_* only exist in gunicorn 25.1+
                    self.cfg.set(key, value)

        def load(self) -> Flask:
            # Each worker builds its own app after the fork: engines, caches and the
            # statistics buffer are never shared across processes.
            app = factory()
            apps.append(app)
            return app

    UpdatesrvGunicorn().run()


def run_dev(host: str, port: int) -> None:
    from . import create_app

    create_app().run(host=host, port=port, debug=True, use_reloader=True)


def start_scheduler_process() -> subprocess.Popen[bytes]:
    """The scheduler, as a child process of the server command (not of a gunicorn worker).
    It is stopped when the server exits. Every host may run one: scheduled work is claimed
    in the database, so it runs once across hosts."""
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

"""A real HTTP server on a loopback port that answers whatever a test scripts: broken JSON,
huge or endless bodies, one byte at a time, redirects elsewhere, replayed or forged signed
answers. It stands for a malicious mirror, a compromised CDN or a man in the middle."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # bytes, or an iterable of chunks (sent as they come; a generator can sleep between them)
    body: bytes | Iterable[bytes] = b""
    length: bool = True  # send Content-Length when the body is bytes
    raw: bool = False  # the body is the whole response, status line and headers included


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up mid-answer is the point of these tests


class HostileServer:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.script: Callable[[str, dict[str, str]], Scripted] = lambda path, h: Scripted(404)
        self.sent = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                headers = dict(self.headers.items())
                server.requests.append((self.path, headers))
                answer = server.script(self.path, headers)
                with contextlib.suppress(OSError):
                    if answer.raw:
                        self.close_connection = True
                        for chunk in answer.body:
                            self.wfile.write(chunk)
                            self.wfile.flush()
                        return
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    if isinstance(answer.body, bytes):
                        if answer.length:
                            self.send_header("Content-Length", str(len(answer.body)))
                        else:
                            self.send_header("Connection", "close")
                        self.end_headers()
                        self.wfile.write(answer.body)
                        server.sent += len(answer.body)
                    else:
                        self.send_header("Connection", "close")
                        self.end_headers()
                        for chunk in answer.body:
                            self.wfile.write(chunk)
                            self.wfile.flush()
                            server.sent += len(chunk)
                    self.close_connection = not answer.length or not isinstance(
                        answer.body, bytes)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- common scripts ---------------------------------------------------------------

    def always(self, answer: Scripted) -> None:
        self.script = lambda path, headers: answer

    def json(self, body: Any, status: int = 200, **headers: str) -> None:
        self.always(Scripted(status, {"Content-Type": "application/json", **headers},
                             json.dumps(body).encode()))


def drip(data: bytes, every: float) -> Iterator[bytes]:
    for i in range(len(data)):
        yield data[i:i + 1]
        time.sleep(every)


def endless(chunk: bytes = b" " * 65536) -> Iterator[bytes]:
    while True:
        yield chunk


def answer(version: str = "2.0.0", offer: str | None = "2.0.1", *, product: str = "ledgerly",
           channel: str = "stable", yanked: bool = False, supported: bool = True,
           url: str = "http://127.0.0.1:9/downloads/ledgerly-2.0.1.exe", size: int = 3,
           sha256: str = "ab" * 32, **extra: Any) -> dict[str, Any]:
    """A well-formed check answer, to tamper with."""
    update = None
    if offer is not None:
        update = {"version": offer, "channel": channel, "critical": False, "notes": "",
                  "notes_url": "", "published_at": None,
                  "download": {"url": url, "size": size, "sha256": sha256, "signature": None}}
    return {"product": product, "channel": channel,
            "installed": {"version": version, "known": True, "yanked": yanked,
                          "supported": supported},
            "update": update, "notices": [], "check_again_after": 3600, **extra}

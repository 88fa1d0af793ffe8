"""Real HTTP endpoints on loopback ports that misbehave the way webhook receivers do in
the wild: drip their answer a byte at a time, answer with an enormous body, or refuse the
connection. Each counts what it did, so tests assert on counts, not on timings."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from typing import Any


class Endpoint:
    """``mode``: "ok" (204 at once), "slow" (204 after ``interval`` seconds), "drip" (200,
    then headers and body a byte every ``interval`` seconds, for hours), "huge" (200 with a
    ``size``-byte body, streamed)."""

    def __init__(self, mode: str = "ok", *, interval: float = 0.2,
                 size: int = 100 * 1024 * 1024) -> None:
        self.mode, self.interval, self.size = mode, interval, size
        self.requests: list[bytes] = []
        self.bytes_sent: list[int] = []  # per connection, once it ended
        self.lock = threading.Lock()
        endpoint = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                endpoint._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _read_request(self, sock: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return body

    def _serve(self, sock: socket.socket) -> None:
        body = self._read_request(sock)
        with self.lock:
            self.requests.append(body)
        sent = 0
        try:
            if self.mode == "slow":
                time.sleep(self.interval)
            if self.mode in ("ok", "slow"):
                sock.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            elif self.mode == "drip":
                answer = (b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
                          + b"." * 100000)
                for byte in answer:
                    sock.sendall(bytes([byte]))
                    sent += 1
                    time.sleep(self.interval)
            elif self.mode == "huge":
                sock.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {self.size}\r\n\r\n"
                             .encode())
                chunk = b"x" * 65536
                while sent < self.size:
                    sock.sendall(chunk)
                    sent += len(chunk)
        except OSError:
            pass
        finally:
            with self.lock:
                self.bytes_sent.append(sent)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def refusing_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def wait_for(predicate: Any, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())

"""HTTP with a whole-call deadline, a size cap and same-origin redirects only.

requests' timeouts bound each socket operation, not the call: a server that drips one byte
every few seconds holds a plain ``get()`` for as long as it likes. Here every call carries a
deadline; a timer shuts the call's sockets down when it passes, which wakes the blocked read
at once, and the answer is read in chunks against a byte limit so a huge body cannot eat the
host app's memory."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .errors import NetworkError, ServerError

READ_CHUNK = 16 * 1024
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)


class Deadline:
    """Ends one call: after ``seconds`` every socket it watches is shut down."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def check(self) -> None:
        if self.expired or self.remaining() <= 0:
            self.expired = True
            raise TimeoutError

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if sock not in self._sockets:
                self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class DeadlineAdapter(HTTPAdapter):
    """Lets the current call's Deadline see every socket its requests use (new or pooled)."""

    def __init__(self) -> None:
        self._local = threading.local()
        super().__init__()

    @contextlib.contextmanager
    def deadline(self, deadline: Deadline) -> Iterator[None]:
        self._local.deadline = deadline
        try:
            yield
        finally:
            self._local.deadline = None
            deadline.cancel()

    def _current(self) -> Deadline | None:
        return getattr(self._local, "deadline", None)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        current = self._current

        class Watched:
            def connect(self) -> None:
                super().connect()  # type: ignore[misc]
                deadline = current()
                if deadline is not None:
                    deadline.watch(getattr(self, "sock", None))

            def request(self, *a: Any, **kw: Any) -> None:
                deadline = current()
                if deadline is not None:
                    deadline.watch(getattr(self, "sock", None))  # a reused connection
                super().request(*a, **kw)  # type: ignore[misc]

        class Conn(Watched, HTTPConnection):
            pass

        class TLSConn(Watched, HTTPSConnection):
            pass

        class Pool(HTTPConnectionPool):
            ConnectionCls = Conn

        class TLSPool(HTTPSConnectionPool):
            ConnectionCls = TLSConn

        self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TLSPool}


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str

    def json(self) -> Any:
        """The body as JSON; anything else (including NaN, Infinity and nesting deep enough
        to exhaust the stack) is a ServerError."""
        return parse_json(self.body, self.status)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes, status: int | None = None) -> Any:
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError, UnicodeDecodeError):  # JSONDecodeError is a ValueError
        raise ServerError("the server's answer is not valid JSON", status) from None


def same_origin(a: str, b: str) -> bool:
    x, y = urlsplit(a), urlsplit(b)
    if (x.hostname, x.port or _default_port(x.scheme)) == (y.hostname,
                                                           y.port or _default_port(y.scheme)):
        return x.scheme == y.scheme
    # An upgrade from http to https on the same host is the one cross-scheme hop allowed.
    return x.scheme == "http" and y.scheme == "https" and x.hostname == y.hostname


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _network_error(exc: BaseException, url: str, seconds: float,
                   deadline: Deadline) -> NetworkError:
    host = urlsplit(url).netloc
    if deadline.expired or isinstance(exc, TimeoutError):
        return NetworkError(f"{host} did not answer within {seconds:g} s")
    if isinstance(exc, requests.Timeout):
        return NetworkError(f"{host} did not answer in time: {exc}")
    return NetworkError(f"cannot reach {host}: {exc}")


class Transport:
    """One requests session, mounted with the deadline adapter; ``timeout`` is per socket
    operation and each call also has its own whole-call deadline."""

    def __init__(self, session: requests.Session | None,
                 timeout: float | tuple[float, float]) -> None:
        self.session = session or requests.Session()
        self.adapter = DeadlineAdapter()
        self.session.mount("http://", self.adapter)
        self.session.mount("https://", self.adapter)
        self.timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)

    def _timeout(self, deadline: Deadline) -> tuple[float, float]:
        left = max(deadline.remaining(), 0.001)
        return min(self.timeout[0], left), min(self.timeout[1], left)

    def get(self, url: str, *, params: Mapping[str, str] | None, headers: Mapping[str, str],
            seconds: float, max_bytes: int) -> Reply:
        """GET ``url`` and read at most ``max_bytes`` of answer within ``seconds``, following
        redirects only within the same origin."""
        deadline = Deadline(seconds)
        with self.adapter.deadline(deadline):
            try:
                for _ in range(MAX_REDIRECTS + 1):
                    response = self.session.get(url, params=params, headers=headers,
                                                timeout=self._timeout(deadline), stream=True,
                                                allow_redirects=False)
                    with response:
                        location = response.headers.get("Location")
                        if response.status_code in REDIRECTS and location:
                            target = urljoin(response.url, location)
                            if not same_origin(response.url, target):
                                raise ServerError(
                                    f"the server redirected to another origin "
                                    f"({urlsplit(target).netloc or target}); refused",
                                    response.status_code)
                            url, params = target, None
                            continue
                        body = self._read(response, deadline, max_bytes)
                        return Reply(response.status_code, response.headers, body, response.url)
                raise ServerError(f"more than {MAX_REDIRECTS} redirects")
            except (TimeoutError, requests.RequestException, OSError) as exc:
                raise _network_error(exc, url, seconds, deadline) from None

    def post_json(self, url: str, body: Mapping[str, Any], *, headers: Mapping[str, str],
                  seconds: float, max_bytes: int) -> Reply:
        """POST a JSON body within ``seconds``; redirects are not followed."""
        deadline = Deadline(seconds)
        with self.adapter.deadline(deadline):
            try:
                response = self.session.post(url, json=dict(body), headers=headers,
                                             timeout=self._timeout(deadline), stream=True,
                                             allow_redirects=False)
                with response:
                    return Reply(response.status_code, response.headers,
                                 self._read(response, deadline, max_bytes), response.url)
            except (TimeoutError, requests.RequestException, OSError) as exc:
                raise _network_error(exc, url, seconds, deadline) from None

    @staticmethod
    def _read(response: requests.Response, deadline: Deadline, max_bytes: int) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise ServerError(f"the answer is larger than {max_bytes} bytes; refused",
                              response.status_code)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(READ_CHUNK):
            deadline.check()
            size += len(chunk)
            if size > max_bytes:
                raise ServerError(f"the answer is larger than {max_bytes} bytes; refused",
                                  response.status_code)
            chunks.append(chunk)
        deadline.check()
        return b"".join(chunks)

    def stream(self, url: str, headers: Mapping[str, str], seconds: float,
               on_response: Callable[[requests.Response], None],
               on_chunk: Callable[[bytes], None]) -> None:
        """Streams a download through ``on_chunk`` within ``seconds`` (redirects to a CDN are
        fine here: the file is verified by size, SHA-256 and signature afterwards)."""
        deadline = Deadline(seconds)
        with self.adapter.deadline(deadline):
            try:
                with self.session.get(url, headers=headers, stream=True,
                                      timeout=self._timeout(deadline)) as response:
                    on_response(response)
                    for chunk in response.iter_content(READ_CHUNK * 4):
                        deadline.check()
                        on_chunk(chunk)
                    deadline.check()
            except (TimeoutError, requests.RequestException, OSError) as exc:
                if deadline.expired or isinstance(exc, TimeoutError):
                    raise NetworkError(f"the download did not finish within {seconds:g} s"
                                       ) from None
                raise NetworkError(f"the download was interrupted: {exc}") from None

"""UpdateClient: the check, the notices shown, the download (its bytes are moved and
checked in _download). HTTP lives in _transport, memory in _state, the answer's shape in
_models."""

from __future__ import annotations

import contextlib
import logging
import os
import platform as _platform
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from . import _failures, _reach, _signatures
from ._download import Downloader
from ._locale import system_locale, to_bcp47
from ._models import CheckResult, Notice, Update, parse_check
from ._state import State
from ._transport import Reply, Transport, parse_json
from ._trust import ServerTrust, Target, guard_offer
from .errors import (
    IntegrityError,
    ProductNotFound,
    RequestRejected,
    ServerError,
    SignatureError,
    UpdateCheckError,
)

log = logging.getLogger("updatesrv_client")
log.addHandler(logging.NullHandler())

DEFAULT_TIMEOUT = (5.0, 15.0)  # connect, read: per socket operation (seconds)
DEFAULT_DEADLINE = 30.0  # the whole check, whatever the server does (seconds)
MAX_ANSWER_BYTES = 1024 * 1024  # a check answer is a few KiB; refuse anything near this
MAX_ERROR_BYTES = 64 * 1024
SEVERITY_ORDER = ("critical", "major", "minor", "info")


def default_platform() -> str:
    """This machine as updatesrv names platforms: windows-x86_64, macos-arm64, linux-x86_64…"""
    system = {"win32": "windows", "cygwin": "windows", "darwin": "macos"}.get(
        sys.platform, "linux" if sys.platform.startswith("linux") else sys.platform)
    machine = _platform.machine().lower()
    arch = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64", "armv8": "arm64",
            "i386": "x86", "i686": "x86"}.get(machine, machine or "unknown")
    return f"{system}-{arch}"


class UpdateClient:
    """Checks one installed product against an updatesrv server.

    ``state_dir`` (a per-user app data folder) keeps the anonymous install id, the last
    answer and which notices were shown; without it, nothing is remembered between runs.
    ``timeout`` bounds each socket operation and ``deadline`` the whole check (seconds).

    ``server_keys`` (base64 Ed25519 public keys of the server) makes every answer need a
    valid, unexpired signature naming this product, version, channel and platform, with a
    catalog serial no lower than any seen before. ``public_keys`` are the vendor's keys for
    the files. An offer that is not newer than ``version`` is refused, unless the answer says
    this version is yanked or unsupported and ``allow_downgrade`` is true.
    """

    def __init__(self, server: str, product: str, version: str, *, channel: str = "stable",
                 platform: str | None = None, state_dir: str | os.PathLike[str] | None = None,
                 public_keys: Iterable[str] | None = None,
                 server_keys: Iterable[str] | None = None,
                 allow_downgrade: bool = False,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 deadline: float = DEFAULT_DEADLINE,
                 session: requests.Session | None = None,
                 clock: Callable[[], float] = time.time,
                 recheck_on_start_after: float = 3600.0,
                 locale: str | None = None, failure_reports: bool = True) -> None:
        self.server = server.rstrip("/")
        self.product = product
        self.version = version
        self.channel = channel
        self.platform = platform or default_platform()
        self.timeout = timeout
        self.deadline = float(deadline)
        self.public_keys = tuple(public_keys or ())
        # Parsed now, so a missing 'cryptography' or a typo fails in the constructor.
        self._vendor_keys = _signatures.load_keys(self.public_keys, "public_keys")
        self.server_keys = tuple(server_keys or ())
        self._trust = ServerTrust(self.server_keys) if self.server_keys else None
        self.allow_downgrade = allow_downgrade
        self._state = State(Path(state_dir) if state_dir is not None else None)
        self._transport = Transport(session, timeout)
        self._clock = clock
        self.recheck_on_start_after = float(recheck_on_start_after)
        # Notices come in this language where the vendor translated them.
        self.locale = to_bcp47(locale) if locale else system_locale()
        # False: this app never reports failures (they are only sent when the vendor also
        # collects them for the product; the server answers 404 otherwise).
        self.failure_reports = bool(failure_reports)
        self._session_install_id = uuid.uuid4().hex  # without state_dir, for this run only

    # -- checking ---------------------------------------------------------------------

    @property
    def _key(self) -> str:
        return "|".join((self.product, self.version, self.channel, self.platform,
                         self.locale or ""))

    @property
    def install_id(self) -> str | None:
        return self._state.install_id()

    def _result(self, entry: dict[str, Any], from_cache: bool) -> CheckResult:
        try:
            checked_at = float(entry.get("fetched_at", 0))
        except (TypeError, ValueError, OverflowError):
            checked_at = 0.0
        result = parse_check(entry["body"], checked_at, from_cache, self._is_new)
        return guard_offer(result, self.version, self.allow_downgrade)

    def _usable(self, entry: dict[str, Any] | None) -> dict[str, Any] | None:
        """With server keys, only an answer that was verified when it arrived counts."""
        if entry is None or self._trust is None:
            return entry
        ok = entry.get("verified") is True and isinstance(entry.get("raw"), str)
        return entry if ok else None

    def check(self, force: bool = False, *, on_start: bool = False) -> CheckResult:
        """Asks the server, unless the last answer is younger than the interval the server
        asked for (``check_again_after``, at most a week) and, with server keys, its
        signature has not expired; ``force=True`` always asks. Call it with
        ``on_start=True`` when the app starts: an answer older than
        ``recheck_on_start_after`` (1 h) is then revalidated (If-None-Match: a cheap 304
        when nothing changed), so a notice filed this morning is seen at the next start."""
        saved = self._usable(self._state.saved_answer(self._key))
        now = self._clock()
        if saved is not None and not force:
            with contextlib.suppress(UpdateCheckError, TypeError, ValueError):
                cached = self._result(saved, from_cache=True)
                max_age = float(cached.check_again_after)
                if on_start:
                    max_age = min(max_age, self.recheck_on_start_after)
                fresh = 0 <= now - cached.checked_at < max_age
                if fresh and (self._trust is None or now < float(saved["expires"])):
                    log.debug("answering from the saved result (%.0fs old)",
                              now - cached.checked_at)
                    return cached
        params = {"version": self.version, "channel": self.channel, "platform": self.platform}
        if self.locale:
            params["locale"] = self.locale
        install_id = self._state.install_id()
        acks = _reach.pending_acks(self._state)
        if install_id is not None:
            params["install_id"] = install_id
            if acks:
                params["shown"] = _reach.shown_param(acks)
        headers = {"Accept": "application/json", "User-Agent": "updatesrv-client/0.1"}
        if saved is not None and isinstance(saved.get("etag"), str):
            headers["If-None-Match"] = saved["etag"]
        url = f"{self.server}/api/v1/products/{quote(self.product, safe='')}/check"
        reply = self._transport.get(url, params=params, headers=headers,
                                    seconds=self.deadline, max_bytes=MAX_ANSWER_BYTES)
        self._raise_for_status(reply)
        if reply.status == 304 and saved is not None:
            entry = dict(saved, fetched_at=now)
            body = saved["raw"].encode() if self._trust is not None else b""
        elif reply.status == 200:
            entry = {"fetched_at": now, "etag": reply.headers.get("ETag"),
                     "body": reply.json(), "raw": reply.body.decode()}
            body = reply.body
        else:
            raise ServerError(f"unexpected answer: HTTP {reply.status}", reply.status)
        if self._trust is not None:
            # A 304 counts only with a freshly signed statement for the body we hold.
            statement = self._trust.verify(
                reply.headers, body,
                Target(self.product, self.version, self.channel, self.platform), now,
                self._state.highest_serial(self.product))
            entry.update(verified=True, expires=statement.expires, serial=statement.serial)
        result = self._result(entry, from_cache=False)  # validate before saving
        self._state.save_answer(self.product, self._key, entry)
        if self._trust is not None:
            self._state.raise_serial(self.product, int(entry["serial"]))
        _reach.clear_acks(self._state, acks)  # the server has them now
        if self.failure_reports and _failures.pending(self._state):
            self.send_failure_reports()
        return result

    def cached_result(self) -> CheckResult | None:
        """The last successful answer for this product/version/channel/platform, whatever
        its age, without the network: for showing known issues when the server or the
        network is down."""
        saved = self._usable(self._state.saved_answer(self._key))
        try:
            return self._result(saved, from_cache=True) if saved else None
        except UpdateCheckError:
            return None

    def _raise_for_status(self, reply: Reply) -> None:
        if reply.status in (200, 304):
            return
        problem: Any = None
        with contextlib.suppress(UpdateCheckError):
            problem = parse_json(reply.body[:MAX_ERROR_BYTES])
        if not isinstance(problem, dict):
            problem = {}
        detail = problem.get("detail")
        detail = detail[:500] if isinstance(detail, str) else ""
        if reply.status == 404:
            # Only the server's own "no such product" names the product; any other 404
            # means the URL does not lead to an updatesrv API at all.
            if problem.get("product") == self.product:
                raise ProductNotFound(f"{self.server} does not know product {self.product!r}",
                                      404, detail)
            raise RequestRejected(f"{reply.url.split('?')[0]} was not found (HTTP 404): is "
                                  f"{self.server} the right server address?", 404, detail)
        if 400 <= reply.status < 500 and problem.get("field") == "platform":
            # Say what this install sent: the integrator typed it (or it is this machine's
            # default) and must change it to one of the product's ids.
            raise RequestRejected(f"the server refused the platform this install sent "
                                  f"({self.platform!r}): {detail or reply.status}",
                                  reply.status, detail)
        if 400 <= reply.status < 500:
            raise RequestRejected(f"the server refused the check: {detail or reply.status}",
                                  reply.status, detail)
        raise ServerError(f"server error {reply.status}: {detail or 'no detail'}",
                          reply.status)

    # -- notices ----------------------------------------------------------------------

    def _shown(self) -> dict[str, Any]:
        return self._state.read_json("shown_notices.json")

    def _is_new(self, notice: Notice) -> bool:
        if notice.severity == "critical":
            return True
        return self._shown().get(notice.id) != notice.revision

    def mark_shown(self, notice: Notice) -> None:
        """Remember that this revision of the notice was shown; it returns when revised.
        An acknowledgement is queued and sent with the next check, so the vendor learns it
        was seen even when it was shown offline."""
        shown = self._shown()
        shown[notice.id] = notice.revision
        self._state.write_json("shown_notices.json", shown)
        _reach.queue_ack(self._state, notice.id, notice.revision)

    def report(self, notice: Notice, kind: str) -> None:
        """Tells the vendor what this notice meant here: ``"affected"``,
        ``"workaround_helped"`` or ``"workaround_failed"``. One vote per install and notice
        (a later one replaces it); needs ``state_dir``. After ``"workaround_failed"`` show
        ``notice.support_url``: a person must still be reachable."""
        _reach.report(self._transport, self._state, self.server, self.product, notice.id,
                      kind, self.deadline)

    # -- failure reports --------------------------------------------------------------

    def report_failure(self, kind: str, **details: Any) -> bool:
        """Queues a failure report: ``"start_failure"`` (``exit_code=`` or ``signal=``,
        ``seconds_after_start=``), ``"update_failure"`` (``step=`` download, verify or
        install; ``version=`` the version being installed) or ``"crash"``
        (``exception=``); each may carry a short ``fingerprint=`` of your own. Sent with
        the next check or ``send_failure_reports()``. Never raises; False when not queued
        (opted out, the queue is full, the server collects none, or a bad argument)."""
        if not self.failure_reports:
            return False
        try:
            return _failures.queue(self._state, _failures.make_report(kind, **details))
        except (ValueError, TypeError, OSError):
            log.warning("failure report not queued", exc_info=True)
            return False

    def report_crash(self, exc: BaseException, fingerprint: str | None = None) -> bool:
        """A crash: the exception's class name and your fingerprint (never its message or
        stack, which may name the user's files)."""
        return self.report_failure("crash", exception=exc, fingerprint=fingerprint)

    def send_failure_reports(self) -> int:
        """Sends the queued reports now; returns how many the server accepted. Never
        raises: what could not be sent stays queued for the next time."""
        if not self.failure_reports:
            return 0
        try:
            return _failures.send(self._transport, self._state, server=self.server,
                                  product=self.product, version=self.version,
                                  platform=self.platform, channel=self.channel,
                                  install_id=self._state.install_id()
                                  or self._session_install_id, seconds=self.deadline)
        except Exception:
            log.info("failure reports not sent; kept for the next time", exc_info=True)
            return 0

    # -- downloading ------------------------------------------------------------------

    def download(self, update: Update, dest_dir: str | os.PathLike[str],
                 progress: Callable[[int, int], object] | None = None, *,
                 deadline: float | None = None,
                 installed_file: str | os.PathLike[str] | None = None) -> Path:
        """Streams the update into dest_dir and returns the verified file. Resumes a
        partial ``.part`` file left by an earlier attempt; on any mismatch raises and
        leaves nothing behind. ``progress(done_bytes, total_bytes)`` is called per chunk.
        ``deadline`` (seconds) defaults to what 64 KiB/s needs for the size, at least 5 min.

        ``installed_file``: the file this version was installed from (as downloaded).
        When the server offers a delta from it, only the delta is fetched (resumable too)
        and the new file rebuilt from it, then verified exactly like a full download
        (size, SHA-256, signature); on any failure the full file is downloaded instead."""
        if update.size <= 0:
            raise IntegrityError(f"the server offers an empty file for {update.version} "
                                 "(0 bytes); refused")
        if self._vendor_keys:
            # Before any byte is fetched: a manifest that names another release is refused.
            _signatures.verify_manifest(self._vendor_keys, update, self.product,
                                        self.platform)
        downloader = Downloader(self._transport, self._vendor_keys)
        try:
            return downloader.download(update, Path(dest_dir), progress, deadline,
                                       None if installed_file is None else Path(installed_file))
        except UpdateCheckError as exc:
            self.report_failure("update_failure", version=update.version, step=(
                "verify" if isinstance(exc, IntegrityError | SignatureError) else "download"))
            raise


def check_for_updates(server: str, product: str, version: str,
                      **kwargs: Any) -> CheckResult | None:
    """``UpdateClient(...).check()`` that never raises: returns None (and logs) on any
    failure, so an update check can never crash the host app."""
    try:
        return UpdateClient(server, product, version, **kwargs).check()
    except Exception:
        log.warning("update check for %s failed", product, exc_info=True)
        return None

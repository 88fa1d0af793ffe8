from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import logging
import os
import platform as _platform
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import requests

from .errors import (
    DownloadError,
    IntegrityError,
    NetworkError,
    ProductNotFound,
    RequestRejected,
    ServerError,
    SignatureError,
    UpdateCheckError,
)

log = logging.getLogger("updatesrv_client")
log.addHandler(logging.NullHandler())

DEFAULT_TIMEOUT = (5.0, 15.0)  # connect, read (seconds)
DOWNLOAD_TIMEOUT = (10.0, 60.0)  # per read, not for the whole file
CHUNK = 64 * 1024
SEVERITY_ORDER = ("critical", "major", "minor", "info")


def default_platform() -> str:
    """This machine as updatesrv names platforms: windows-x86_64, macos-arm64, linux-x86_64…"""
    system = {"win32": "windows", "cygwin": "windows", "darwin": "macos"}.get(
        sys.platform, "linux" if sys.platform.startswith("linux") else sys.platform)
    machine = _platform.machine().lower()
    arch = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64", "armv8": "arm64",
            "i386": "x86", "i686": "x86"}.get(machine, machine or "unknown")
    return f"{system}-{arch}"


@dataclass(frozen=True)
class Installed:
    version: str
    known: bool
    yanked: bool
    supported: bool


@dataclass(frozen=True)
class Update:
    version: str
    channel: str
    critical: bool
    notes: str
    notes_url: str
    published_at: str | None
    download_url: str
    size: int
    sha256: str
    signature: str | None


@dataclass(frozen=True)
class Notice:
    id: str
    revision: int
    title: str
    summary: str
    severity: str
    status: str
    platforms: tuple[str, ...]
    workaround: str
    fixed_in: str | None
    fix_available: bool
    url: str
    support_url: str | None
    updated_at: str | None


@dataclass(frozen=True)
class CheckResult:
    product: str
    channel: str
    installed: Installed
    update: Update | None
    notices: tuple[Notice, ...]
    check_again_after: int
    checked_at: float
    from_cache: bool = False
    _is_new: Callable[[Notice], bool] = field(default=lambda n: True, repr=False,
                                              compare=False)

    @property
    def new_notices(self) -> tuple[Notice, ...]:
        """Notices not yet shown on this install at their current revision (critical ones
        stay here while they apply: they cannot be dismissed)."""
        return tuple(n for n in self.notices if self._is_new(n))


def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], default: Any = None,
         required: bool = True) -> Any:
    value = data.get(key, default)
    if value is None and not required:
        return default
    if not isinstance(value, kind):
        raise ServerError(f"unexpected response: {key!r} is {type(value).__name__}")
    return value


def _parse_update(data: Mapping[str, Any] | None) -> Update | None:
    if data is None:
        return None
    download = _get(data, "download", dict)
    return Update(
        version=_get(data, "version", str), channel=_get(data, "channel", str, ""),
        critical=bool(data.get("critical", False)), notes=_get(data, "notes", str, ""),
        notes_url=_get(data, "notes_url", str, ""),
        published_at=data.get("published_at"),
        download_url=_get(download, "url", str), size=_get(download, "size", int),
        sha256=_get(download, "sha256", str).lower(),
        signature=_get(download, "signature", str, None, required=False))


def _parse_notice(data: Mapping[str, Any]) -> Notice:
    return Notice(
        id=_get(data, "id", str), revision=_get(data, "revision", int),
        title=_get(data, "title", str), summary=_get(data, "summary", str, ""),
        severity=_get(data, "severity", str, "info"), status=_get(data, "status", str, ""),
        platforms=tuple(data.get("platforms") or ()),
        workaround=_get(data, "workaround", str, "", required=False),
        fixed_in=data.get("fixed_in"), fix_available=bool(data.get("fix_available", False)),
        url=_get(data, "url", str, ""), support_url=data.get("support_url"),
        updated_at=data.get("updated_at"))


def _parse_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ServerError("unexpected response: not a JSON object")
    return body


class _State:
    """Files in state_dir: the install id, the last result per (product, version, channel,
    platform), and which notice revisions were shown. Written atomically."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def _path(self, name: str) -> Path:
        return self.dir / name

    def read_json(self, name: str) -> dict[str, Any]:
        try:
            data = json.loads(self._path(name).read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def write_json(self, name: str, data: Mapping[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(tmp, self._path(name))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def install_id(self) -> str:
        path = self._path("install_id")
        try:
            value = path.read_text(encoding="utf-8").strip()
            if re.fullmatch(r"[A-Za-z0-9_-]{8,128}", value):
                return value
        except OSError:
            pass
        value = uuid.uuid4().hex
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".install_id.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(value)
        os.replace(tmp, path)
        return value


class UpdateClient:
    """Checks one installed product against an updatesrv server.

    ``state_dir`` (a per-user app data folder) keeps the anonymous install id, the last
    answer and which notices were shown; without it, nothing is remembered between runs.
    """

    def __init__(self, server: str, product: str, version: str, *, channel: str = "stable",
                 platform: str | None = None, state_dir: str | os.PathLike[str] | None = None,
                 public_keys: Iterable[str] | None = None,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.server = server.rstrip("/")
        self.product = product
        self.version = version
        self.channel = channel
        self.platform = platform or default_platform()
        self.timeout = timeout
        self.public_keys = tuple(public_keys or ())
        if self.public_keys:
            self._load_keys()  # fail early, in the constructor, if cryptography is missing
        self._state = _State(Path(state_dir)) if state_dir is not None else None
        self._memory_results: dict[str, Any] = {}
        self._memory_shown: dict[str, Any] = {}
        self._http = session or requests.Session()
        self._clock = clock

    # -- checking ---------------------------------------------------------------------

    @property
    def _key(self) -> str:
        return "|".join((self.product, self.version, self.channel, self.platform))

    @property
    def install_id(self) -> str | None:
        return self._state.install_id() if self._state else None

    def _saved(self) -> dict[str, Any] | None:
        results = self._state.read_json("results.json") if self._state else self._memory_results
        entry = results.get(self._key)
        return entry if isinstance(entry, dict) and isinstance(entry.get("body"), dict) else None

    def _save(self, entry: dict[str, Any]) -> None:
        if self._state is None:
            self._memory_results[self._key] = entry
            return
        # Only this version's result is kept: an upgraded app never shows the old
        # version's notices.
        results = self._state.read_json("results.json")
        results = {k: v for k, v in results.items()
                   if not k.startswith(f"{self.product}|") or k == self._key}
        results[self._key] = entry
        self._state.write_json("results.json", results)

    def _result(self, entry: dict[str, Any], from_cache: bool) -> CheckResult:
        body = entry["body"]
        installed = _get(body, "installed", dict)
        try:
            return CheckResult(
                product=_get(body, "product", str), channel=_get(body, "channel", str),
                installed=Installed(version=_get(installed, "version", str),
                                    known=bool(installed.get("known")),
                                    yanked=bool(installed.get("yanked")),
                                    supported=bool(installed.get("supported", True))),
                update=_parse_update(body.get("update")),
                notices=tuple(_parse_notice(n) for n in body.get("notices") or ()),
                check_again_after=int(body.get("check_again_after") or 86400),
                checked_at=float(entry.get("fetched_at", 0)), from_cache=from_cache,
                _is_new=self._is_new)
        except (TypeError, ValueError, AttributeError) as exc:
            raise ServerError(f"unexpected response: {exc}") from None

    def check(self, force: bool = False) -> CheckResult:
        """Asks the server, unless the last answer is younger than the interval the server
        asked for (``check_again_after``); ``force=True`` always asks."""
        saved = self._saved()
        now = self._clock()
        if saved is not None and not force:
            age = now - float(saved.get("fetched_at", 0))
            if 0 <= age < int(saved["body"].get("check_again_after") or 0):
                log.debug("answering from the saved result (%.0fs old)", age)
                return self._result(saved, from_cache=True)
        params = {"version": self.version, "channel": self.channel, "platform": self.platform}
        if self._state is not None:
            params["install_id"] = self._state.install_id()
        headers = {"Accept": "application/json", "User-Agent": "updatesrv-client/0.1"}
        if saved is not None and saved.get("etag"):
            headers["If-None-Match"] = saved["etag"]
        url = f"{self.server}/api/v1/products/{quote(self.product, safe='')}/check"
        response = self._request(url, params, headers)
        if response.status_code == 304 and saved is not None:
            saved["fetched_at"] = now
            self._save(saved)
            return self._result(saved, from_cache=False)
        try:
            body = _parse_body(response.json())
        except ValueError:
            raise ServerError("the server's answer is not JSON", response.status_code) from None
        entry = {"fetched_at": now, "etag": response.headers.get("ETag"), "body": body}
        result = self._result(entry, from_cache=False)  # validate before saving
        self._save(entry)
        return result

    def cached_result(self) -> CheckResult | None:
        """The last successful answer for this product/version/channel/platform, whatever
        its age, without the network: for showing known issues when the server or the
        network is down."""
        saved = self._saved()
        try:
            return self._result(saved, from_cache=True) if saved else None
        except UpdateCheckError:
            return None

    def _request(self, url: str, params: dict[str, str],
                 headers: dict[str, str]) -> requests.Response:
        try:
            response = self._http.get(url, params=params, headers=headers, timeout=self.timeout)
        except requests.Timeout as exc:
            raise NetworkError(f"{self.server} did not answer in time: {exc}") from None
        except requests.RequestException as exc:
            raise NetworkError(f"cannot reach {self.server}: {exc}") from None
        if response.status_code in (200, 304):
            return response
        detail = ""
        with contextlib.suppress(ValueError, AttributeError):
            detail = str(response.json().get("detail", ""))
        if response.status_code == 404:
            raise ProductNotFound(f"{self.server} does not know product {self.product!r}",
                                  404, detail)
        if 400 <= response.status_code < 500:
            raise RequestRejected(f"the server refused the check: {detail or response.reason}",
                                  response.status_code, detail)
        raise ServerError(f"server error {response.status_code}: {detail or response.reason}",
                          response.status_code)

    # -- notices ----------------------------------------------------------------------

    def _shown(self) -> dict[str, Any]:
        if self._state is None:
            return self._memory_shown
        return self._state.read_json("shown_notices.json")

    def _is_new(self, notice: Notice) -> bool:
        if notice.severity == "critical":
            return True
        return self._shown().get(notice.id) != notice.revision

    def mark_shown(self, notice: Notice) -> None:
        """Remember that this revision of the notice was shown; it returns when revised."""
        shown = self._shown()
        shown[notice.id] = notice.revision
        if self._state is not None:
            self._state.write_json("shown_notices.json", shown)

    # -- downloading ------------------------------------------------------------------

    def _load_keys(self) -> list[Any]:
        try:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        except ImportError:
            raise SignatureError("public_keys needs the 'cryptography' package: "
                                 "pip install 'updatesrv-client[signatures]'") from None
        keys = []
        for key in self.public_keys:
            try:
                keys.append(Ed25519PublicKey.from_public_bytes(base64.b64decode(key)))
            except (ValueError, binascii.Error):
                raise SignatureError(f"{key!r} is not a base64 Ed25519 public key") from None
        return keys

    def _verify_signature(self, path: Path, signature: str | None) -> None:
        from cryptography.exceptions import InvalidSignature

        if not signature:
            raise SignatureError("the update carries no signature, but this app requires one")
        try:
            sig = base64.b64decode(signature, validate=True)
        except (ValueError, binascii.Error):
            raise SignatureError("the update's signature is not base64") from None
        data = path.read_bytes()
        for key in self._load_keys():
            try:
                key.verify(sig, data)
                return
            except InvalidSignature:
                continue
        raise SignatureError("the update's signature does not match any trusted key")

    def download(self, update: Update, dest_dir: str | os.PathLike[str],
                 progress: Callable[[int, int], object] | None = None) -> Path:
        """Streams the update into dest_dir and returns the verified file. Resumes a
        partial ``.part`` file left by an earlier attempt; on any mismatch raises and
        leaves nothing behind. ``progress(done_bytes, total_bytes)`` is called per chunk."""
        dest_dir = Path(dest_dir)
        name = unquote(urlsplit(update.download_url).path.rsplit("/", 1)[-1])
        name = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or f"update-{update.version}"
        dest = dest_dir / name
        part = dest_dir / (name + ".part")
        try:
            dest_dir.mkdir(parents=True, exist_ok=True)
            self._fetch(update, part, progress)
            self._verify(update, part)
            os.replace(part, dest)
        except UpdateCheckError:
            with contextlib.suppress(OSError):
                part.unlink()
            raise
        except OSError as exc:
            raise DownloadError(f"cannot write the download: {exc}") from None
        return dest

    def _fetch(self, update: Update, part: Path,
               progress: Callable[[int, int], object] | None) -> None:
        have = part.stat().st_size if part.exists() else 0
        if have > update.size:
            part.unlink()
            have = 0
        if have == update.size:
            return
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with self._http.get(update.download_url, headers=headers, stream=True,
                                timeout=DOWNLOAD_TIMEOUT) as response:
                if response.status_code == 206:
                    mode = "ab"
                elif response.status_code == 200:
                    mode, have = "wb", 0
                else:
                    raise DownloadError(f"download failed: HTTP {response.status_code}")
                with open(part, mode) as fh:
                    for chunk in response.iter_content(CHUNK):
                        have += len(chunk)
                        if have > update.size:
                            raise IntegrityError(f"the download is larger than the advertised "
                                                 f"{update.size} bytes")
                        fh.write(chunk)
                        if progress is not None:
                            progress(have, update.size)
        except requests.RequestException as exc:
            # Keep the .part file: the next attempt resumes from it.
            raise NetworkError(f"the download was interrupted: {exc}") from None

    def _verify(self, update: Update, part: Path) -> None:
        size = part.stat().st_size
        if size != update.size:
            raise IntegrityError(f"downloaded {size} bytes, expected {update.size}")
        digest = hashlib.sha256()
        with open(part, "rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != update.sha256:
            raise IntegrityError("the downloaded file's SHA-256 does not match the server's")
        if self.public_keys:
            self._verify_signature(part, update.signature)


def check_for_updates(server: str, product: str, version: str,
                      **kwargs: Any) -> CheckResult | None:
    """``UpdateClient(...).check()`` that never raises: returns None (and logs) on any
    failure, so an update check can never crash the host app."""
    try:
        return UpdateClient(server, product, version, **kwargs).check()
    except Exception:
        log.warning("update check for %s failed", product, exc_info=True)
        return None

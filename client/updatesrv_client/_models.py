"""What a check answers, as frozen dataclasses, and the one parser that turns the server's
JSON into them. The parser trusts nothing: every field is type-checked, numbers are bounded
and text loses control characters, so a hostile answer becomes a ``ServerError`` and never
an exception the host app did not ask for."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ServerError

# However long the server asks the client to wait, it asks again at least this often.
MAX_CHECK_INTERVAL = 7 * 24 * 3600
# Terminal escape sequences and other controls must never reach a console or a dialog.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Installed:
    version: str
    known: bool
    yanked: bool
    supported: bool


@dataclass(frozen=True)
class Delta:
    """A patch from the installed version's file to the offered one (see
    ``UpdateClient.download(installed_file=...)``)."""

    from_version: str
    url: str
    size: int
    sha256: str
    from_sha256: str
    algorithm: str


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
    # The vendor's signature over a manifest naming product, version, platform, size and
    # SHA-256 (the exact signed bytes travel beside it), when the vendor signs manifests.
    manifest: str | None = None
    manifest_signature: str | None = None
    # A binary delta from the installed version, when the server built one.
    delta: Delta | None = None


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
    # The language of this notice's text (the best match for the client's locale).
    locale: str | None = None


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
    # The product's name as people read it (dialogs show it, never the slug).
    product_name: str = ""

    @property
    def new_notices(self) -> tuple[Notice, ...]:
        """Notices not yet shown on this install at their current revision (critical ones
        stay here while they apply: they cannot be dismissed)."""
        return tuple(n for n in self.notices if self._is_new(n))


_MISSING = object()


def _text(data: Mapping[str, Any], key: str, default: Any = _MISSING) -> Any:
    """A string field; ``default`` makes it optional (absent or null gives the default)."""
    value = data.get(key)
    if value is None and default is not _MISSING:
        return default
    if not isinstance(value, str):
        raise ServerError(f"unexpected response: {key!r} is {type(value).__name__}, "
                          "not a string")
    return _CONTROL.sub("\ufffd", value)


def _flag(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ServerError(f"unexpected response: {key!r} is not true or false")
    return value


def _count(data: Mapping[str, Any], key: str, default: Any = _MISSING) -> int:
    value = data.get(key)
    if value is None and default is not _MISSING:
        return int(default)
    # bool is an int in Python; a float (even 1e15 or Infinity) is not a count.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ServerError(f"unexpected response: {key!r} is not a whole number ≥ 0")
    return value


def _object(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise ServerError(f"unexpected response: {key!r} is not an object")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ServerError(f"unexpected response: {key!r} is not a list")
    return value


def parse_update(data: Any) -> Update | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ServerError("unexpected response: 'update' is not an object")
    download = _object(data, "download")
    sha256 = _text(download, "sha256").lower()
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ServerError("unexpected response: 'sha256' is not a SHA-256 in hex")
    return Update(
        version=_text(data, "version"), channel=_text(data, "channel", ""),
        critical=_flag(data, "critical", False), notes=_text(data, "notes", ""),
        notes_url=_text(data, "notes_url", ""),
        published_at=_text(data, "published_at", None),
        download_url=_text(download, "url"), size=_count(download, "size"),
        sha256=sha256, signature=_text(download, "signature", None),
        manifest=_text(download, "manifest", None),
        manifest_signature=_text(download, "manifest_signature", None),
        delta=parse_delta(data.get("delta")))


def parse_delta(data: Any) -> Delta | None:
    """An offered delta, or None when there is none or it is malformed: the full file is
    always there, so a bad delta entry never makes the whole answer unusable."""
    if not isinstance(data, dict):
        return None
    try:
        delta = Delta(from_version=_text(data, "from"), url=_text(data, "url"),
                      size=_count(data, "size"), sha256=_text(data, "sha256").lower(),
                      from_sha256=_text(data, "from_sha256").lower(),
                      algorithm=_text(data, "algorithm"))
    except ServerError:
        return None
    hex64 = re.compile(r"[0-9a-f]{64}")
    if not (hex64.fullmatch(delta.sha256) and hex64.fullmatch(delta.from_sha256)):
        return None
    return delta


def parse_notice(data: Any) -> Notice:
    if not isinstance(data, dict):
        raise ServerError("unexpected response: a notice is not an object")
    platforms = _list(data, "platforms")
    if not all(isinstance(p, str) for p in platforms):
        raise ServerError("unexpected response: 'platforms' is not a list of strings")
    return Notice(
        id=_text(data, "id"), revision=_count(data, "revision"),
        title=_text(data, "title"), summary=_text(data, "summary", ""),
        severity=_text(data, "severity", "info"), status=_text(data, "status", ""),
        platforms=tuple(_CONTROL.sub("\ufffd", p) for p in platforms),
        workaround=_text(data, "workaround", ""),
        fixed_in=_text(data, "fixed_in", None), fix_available=_flag(data, "fix_available", False),
        url=_text(data, "url", ""), support_url=_text(data, "support_url", None),
        updated_at=_text(data, "updated_at", None), locale=_text(data, "locale", None))


def parse_check(body: Any, checked_at: float, from_cache: bool,
                is_new: Callable[[Notice], bool]) -> CheckResult:
    """The check answer, validated; ``check_again_after`` is capped at a week whatever the
    server says, so one answer cannot freeze an install on what it was told."""
    if not isinstance(body, dict):
        raise ServerError("unexpected response: not a JSON object")
    installed = _object(body, "installed")
    interval = body.get("check_again_after")
    if interval is None:
        interval = 86400
    # bool is an int in Python; NaN is the one value unequal to itself.
    if (isinstance(interval, bool) or not isinstance(interval, int | float)
            or interval != interval or interval < 0):
        raise ServerError("unexpected response: 'check_again_after' is not a number of seconds")
    return CheckResult(
        product=_text(body, "product"), channel=_text(body, "channel"),
        installed=Installed(version=_text(installed, "version"),
                            known=_flag(installed, "known", False),
                            yanked=_flag(installed, "yanked", False),
                            supported=_flag(installed, "supported", True)),
        update=parse_update(body.get("update")),
        notices=tuple(parse_notice(n) for n in _list(body, "notices")),
        check_again_after=int(min(interval, MAX_CHECK_INTERVAL)),
        checked_at=checked_at, from_cache=from_cache, _is_new=is_new,
        product_name=_text(body, "product_name", "") or _text(body, "product"))

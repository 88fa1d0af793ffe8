"""Reading a batch of failure reports (the JSON an install POSTs). Pure: no Flask, no
database. Everything not listed here is refused, so nothing personal can slip in
unnoticed (a path, a user name, a stack trace)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput, TooLarge
from ..versions import parse_platform, parse_version
from .models import KINDS

MAX_BODY_BYTES = 16 * 1024
MAX_REPORTS = 50
MAX_COUNT = 1000
STEPS = ("download", "verify", "install")
# Short, vendor-defined: letters, digits and . _ : - only (no slash, so no path fits).
FINGERPRINT_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
EXCEPTION_TYPE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,79}$")
LOCALE_RE = re.compile(r"^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8}){0,3}$")
INSTALL_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
BATCH_FIELDS = {"install_id", "version", "platform", "channel", "locale", "reports"}
REPORT_FIELDS = {"kind", "fingerprint", "count", "version", "exit_code", "signal",
                 "seconds_after_start", "step", "exception_type"}


@dataclass(frozen=True)
class Report:
    kind: str
    fingerprint: str
    version: str
    count: int
    detail: dict[str, Any]


@dataclass(frozen=True)
class ReportBatch:
    install_id: str
    platform: str
    channel: str | None
    reports: tuple[Report, ...]


def _int(value: object, field: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(f"{field} must be a whole number from {low} to {high}", field=field)
    return value


def _matching(value: object, field: str, pattern: re.Pattern[str], hint: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise InvalidInput(f"{field} must be {hint}", field=field)
    return value


def _report(item: object, i: int, batch_version: str) -> Report:
    where = f"reports[{i}]"
    if not isinstance(item, dict):
        raise InvalidInput(f"{where} must be an object such as "
                           '{"kind": "start_failure", "exit_code": 3}', field="reports")
    unknown = set(item) - REPORT_FIELDS
    if unknown:
        raise InvalidInput(f"{where} has unknown field(s): {', '.join(sorted(unknown))} "
                           "(failure reports carry no free text)", field="reports")
    kind = item.get("kind")
    if kind not in KINDS:
        raise InvalidInput(f"{where}.kind must be one of {', '.join(KINDS)}", field="reports")
    fingerprint = (None if item.get("fingerprint") is None else _matching(
        item["fingerprint"], f"{where}.fingerprint", FINGERPRINT_RE,
        "1-64 letters, digits, '.', '_', ':' or '-'"))
    count = _int(item.get("count", 1), f"{where}.count", 1, MAX_COUNT)
    version = (batch_version if item.get("version") is None
               else str(parse_version(item["version"], f"{where}.version")))
    detail: dict[str, Any] = {}
    if kind == "start_failure":
        if ("exit_code" in item) == ("signal" in item):
            raise InvalidInput(f"{where} needs exit_code or signal (one of them)",
                               field="reports")
        if "exit_code" in item:
            detail["exit_code"] = _int(item["exit_code"], f"{where}.exit_code",
                                       -(2 ** 31), 2 ** 32 - 1)
        else:
            detail["signal"] = _int(item["signal"], f"{where}.signal", 1, 128)
        seconds = item.get("seconds_after_start")
        if seconds is not None:
            if not isinstance(seconds, int | float) or isinstance(seconds, bool) or \
                    not 0 <= seconds <= 86400 * 365:
                raise InvalidInput(f"{where}.seconds_after_start must be a number of seconds "
                                   "from 0", field="reports")
            detail["seconds_after_start"] = round(float(seconds), 3)
        derived = (f"exit:{detail['exit_code']}" if "exit_code" in detail
                   else f"signal:{detail['signal']}")
    elif kind == "update_failure":
        step = item.get("step")
        if step not in STEPS:
            raise InvalidInput(f"{where}.step must be one of {', '.join(STEPS)}",
                               field="reports")
        detail["step"] = step
        derived = str(step)
    else:
        exception_type = _matching(item.get("exception_type"), f"{where}.exception_type",
                                   EXCEPTION_TYPE_RE, "an exception class name such as "
                                   "'ValueError' or 'ledgerly.errors.LicenceExpired'")
        detail["exception_type"] = exception_type
        derived = exception_type.rsplit(".", 1)[-1]
    for name in ("exit_code", "signal", "seconds_after_start", "step", "exception_type"):
        if name in item and name not in detail:
            raise InvalidInput(f"{where}.{name} does not apply to a {kind} report",
                               field="reports")
    return Report(kind=str(kind), fingerprint=fingerprint or derived, version=version,
                  count=count, detail=detail)


def parse_batch(body: bytes, content_type: str | None) -> ReportBatch:
    """Raises InvalidInput / TooLarge with a message saying what to fix."""
    if (content_type or "").split(";")[0].strip().lower() != "application/json":
        raise InvalidInput("send a JSON object with Content-Type: application/json")
    if len(body) > MAX_BODY_BYTES:
        raise TooLarge(f"a batch of failure reports is at most {MAX_BODY_BYTES} bytes; send "
                       f"at most {MAX_REPORTS} reports at a time")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object")
    unknown = set(data) - BATCH_FIELDS
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))} (failure reports "
                           "carry no personal data or free text)")
    install_id = _matching(data.get("install_id"), "install_id", INSTALL_ID_RE,
                           "1-128 characters of letters, digits, '_', '.', ':' or '-'")
    version = str(parse_version(data.get("version")))
    platform = parse_platform(data.get("platform"))
    channel = data.get("channel")
    if channel is not None and not isinstance(channel, str):
        raise InvalidInput("channel must be a string", field="channel")
    if data.get("locale") is not None:  # accepted so clients may send it; never stored
        _matching(data["locale"], "locale", LOCALE_RE, "a language tag such as 'de-DE'")
    items = data.get("reports")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_REPORTS:
        raise InvalidInput(f"reports must be a list of 1 to {MAX_REPORTS} reports",
                           field="reports")
    return ReportBatch(install_id=install_id, platform=platform, channel=channel or None,
                       reports=tuple(_checked(item, i, version) for i, item in enumerate(items)))


def _checked(item: object, i: int, batch_version: str) -> Report:
    try:
        return _report(item, i, batch_version)
    except InvalidInput as exc:
        exc.field = "reports"  # the detail names the item and its field
        raise

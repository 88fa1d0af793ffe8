"""Failure reports: the client tells the vendor when the app failed to start, an update
failed to download, verify or install, or the app crashed. Queued in the state folder
(coalesced: the same failure again only raises its count), sent in one small batch after
a check or when asked, retried on the next send after a network or server error. Bounded:
at most MAX_QUEUED distinct failures wait, at most MAX_BATCH go per request. When the
server answers 404 (the vendor does not collect reports) the queue is dropped and nothing
is sent for OFF_FOR seconds. Nothing personal: no path, no stack, no message text; the
exception's class name and a short fingerprint the vendor chose."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import quote

from ._state import State
from ._transport import Transport
from .errors import UpdateCheckError

FILE = "pending_failures.json"
MAX_QUEUED = 50
MAX_BATCH = 50
MAX_COUNT = 1000
OFF_FOR = 7 * 24 * 3600.0
KINDS = ("start_failure", "update_failure", "crash")
STEPS = ("download", "verify", "install")
_FINGERPRINT = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_TYPE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,79}")


def exception_type(exc: BaseException) -> str:
    """``module.Class`` of an exception (never its message, which may hold paths)."""
    module = type(exc).__module__
    name = type(exc).__qualname__
    full = name if module in ("builtins", "__main__") else f"{module}.{name}"
    full = re.sub(r"[^A-Za-z0-9_.]", "_", full)[-80:].lstrip(".0123456789") or "Exception"
    return full


def make_report(kind: str, *, version: str | None = None, fingerprint: str | None = None,
                exit_code: int | None = None, signal: int | None = None,
                seconds_after_start: float | None = None, step: str | None = None,
                exception: BaseException | None = None) -> dict[str, Any]:
    """One report as the server takes it; raises ValueError for what it would refuse."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if fingerprint is not None and not _FINGERPRINT.fullmatch(fingerprint):
        raise ValueError("fingerprint must be 1-64 letters, digits, '.', '_', ':' or '-'")
    report: dict[str, Any] = {"kind": kind}
    if kind == "start_failure":
        if (exit_code is None) == (signal is None):
            raise ValueError("a start_failure needs exit_code or signal")
        if exit_code is not None:
            report["exit_code"] = int(exit_code)
        else:
            report["signal"] = int(signal)  # type: ignore[arg-type]
        if seconds_after_start is not None:
            report["seconds_after_start"] = round(max(0.0, float(seconds_after_start)), 3)
    elif kind == "update_failure":
        if step not in STEPS:
            raise ValueError(f"step must be one of {', '.join(STEPS)}")
        report["step"] = step
    else:
        if exception is None:
            raise ValueError("a crash report needs the exception")
        report["exception_type"] = exception_type(exception)
    if fingerprint is not None:
        report["fingerprint"] = fingerprint
    if version is not None:
        report["version"] = version
    return report


def _queue(state: State) -> dict[str, Any]:
    data = state.read_json(FILE)
    items = data.get("reports")
    data["reports"] = [r for r in items if isinstance(r, dict)] if isinstance(items, list) \
        else []
    return data


def queue(state: State, report: dict[str, Any]) -> bool:
    """Adds a report (or raises the count of the same one); False when the queue is full
    or the server said it collects none."""
    data = _queue(state)
    if float(data.get("off_until", 0) or 0) > time.time():
        return False
    reports: list[dict[str, Any]] = data["reports"]
    same = {k: v for k, v in report.items() if k not in ("count", "seconds_after_start")}
    for item in reports:
        if {k: v for k, v in item.items() if k not in ("count", "seconds_after_start")} == same:
            item["count"] = min(MAX_COUNT, int(item.get("count", 1)) + 1)
            state.write_json(FILE, data)
            return True
    if len(reports) >= MAX_QUEUED:
        return False
    reports.append({**report, "count": 1})
    state.write_json(FILE, data)
    return True


def pending(state: State) -> list[dict[str, Any]]:
    return list(_queue(state)["reports"])


def send(transport: Transport, state: State, *, server: str, product: str, version: str,
         platform: str, channel: str, install_id: str, seconds: float) -> int:
    """Sends what is queued; returns how many reports the server accepted. Network and
    server errors keep the queue for the next send; a refusal (4xx) drops the batch, a
    404 also stops sending for a week."""
    data = _queue(state)
    batch = data["reports"][:MAX_BATCH]
    if not batch:
        return 0
    url = f"{server}/api/v1/products/{quote(product, safe='')}/reports"
    body = {"install_id": install_id, "version": version,
            "platform": platform, "channel": channel, "reports": batch}
    reply = transport.post_json(url, body, headers={"Accept": "application/json",
                                                    "User-Agent": "updatesrv-client/0.1"},
                                seconds=seconds, max_bytes=64 * 1024)
    if reply.status >= 500 or reply.status == 429:
        return 0  # retried with the next send
    data = _queue(state)
    sent = {repr(sorted(r.items())) for r in batch}
    data["reports"] = [r for r in data["reports"] if repr(sorted(r.items())) not in sent]
    if reply.status == 404:
        data = {"reports": [], "off_until": time.time() + OFF_FOR}
    state.write_json(FILE, data)
    if reply.status != 202:
        return 0
    try:
        accepted = reply.json().get("accepted", 0)
    except (UpdateCheckError, AttributeError):
        return 0
    return accepted if isinstance(accepted, int) and not isinstance(accepted, bool) else 0

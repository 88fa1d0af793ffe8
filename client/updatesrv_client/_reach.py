"""The client's part in telling the vendor who was reached: acknowledgements of shown
notices, queued in the state folder and sent with the next check (so a notice shown
offline still counts), and feedback votes (``UpdateClient.report``)."""

from __future__ import annotations

import contextlib
import re
from typing import Any
from urllib.parse import quote

from ._state import State
from ._transport import Transport, parse_json
from .errors import RequestRejected, ServerError, UpdateCheckError

ACKS_FILE = "pending_acks.json"
MAX_ACKS = 50  # the server takes at most this many acknowledgements per check
FEEDBACK_KINDS = ("affected", "workaround_helped", "workaround_failed")
_NOTICE_ID = re.compile(r"[A-Za-z0-9_.-]{1,40}")


def pending_acks(state: State) -> dict[str, int]:
    """Acknowledgements not yet received by the server (none without a state folder:
    without an install id the server could not count them)."""
    if state.dir is None:
        return {}
    return {k: v for k, v in state.read_json(ACKS_FILE).items()
            if isinstance(v, int) and not isinstance(v, bool) and _NOTICE_ID.fullmatch(k)}


def queue_ack(state: State, notice_id: str, revision: int) -> None:
    if state.dir is None:
        return
    acks = pending_acks(state)
    acks[notice_id] = revision
    state.write_json(ACKS_FILE, acks)


def shown_param(acks: dict[str, int]) -> str:
    return ",".join(f"{k}:{v}" for k, v in list(acks.items())[:MAX_ACKS])


def clear_acks(state: State, sent: dict[str, int]) -> None:
    """Drops what the server received, not what was queued since."""
    if not sent:
        return
    sent = dict(list(sent.items())[:MAX_ACKS])
    state.write_json(ACKS_FILE, {k: v for k, v in pending_acks(state).items()
                                 if sent.get(k) != v})


def report(transport: Transport, state: State, server: str, product: str, notice_id: str,
           kind: str, seconds: float) -> None:
    if kind not in FEEDBACK_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FEEDBACK_KINDS)}; got {kind!r}")
    install_id = state.install_id()
    if install_id is None:
        raise UpdateCheckError("report() needs state_dir: votes are counted per install")
    url = (f"{server}/api/v1/products/{quote(product, safe='')}/notices/"
           f"{quote(notice_id, safe='')}/feedback")
    reply = transport.post_json(url, {"kind": kind, "install_id": install_id},
                                headers={"Accept": "application/json",
                                         "User-Agent": "updatesrv-client/0.1"},
                                seconds=seconds, max_bytes=64 * 1024)
    if reply.status == 200:
        return
    problem: Any = None
    with contextlib.suppress(UpdateCheckError):
        problem = parse_json(reply.body)
    detail = problem.get("detail") if isinstance(problem, dict) else None
    detail = detail[:500] if isinstance(detail, str) else ""
    if 400 <= reply.status < 500:
        raise RequestRejected(f"the server refused the report: {detail or reply.status}",
                              reply.status, detail)
    raise ServerError(f"server error {reply.status}: {detail or 'no detail'}", reply.status)

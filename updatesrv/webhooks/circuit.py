"""The circuit breaker of one webhook endpoint: after ``threshold`` failed deliveries in a
row its deliveries pause (1 minute, doubling with every further failure up to an hour),
then one delivery tries again; a success closes the circuit. While paused, deliveries wait
in the outbox without using up attempts. The state is on the webhook row, shown to the
vendor (console and API) and shared by every scheduler."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import write_intent
from .models import Webhook

FIRST_PAUSE = dt.timedelta(minutes=1)
MAX_PAUSE = dt.timedelta(hours=1)


def pause_for(failures_in_row: int, threshold: int) -> dt.timedelta:
    return min(FIRST_PAUSE * (2 ** max(failures_in_row - threshold, 0)), MAX_PAUSE)


def paused_until(session_factory: Callable[[], Session], webhook_id: int | None,
                 now: dt.datetime) -> dt.datetime | None:
    """When the endpoint's circuit closes again, or None when deliveries may go now."""
    if webhook_id is None:
        return None
    with session_factory() as session:
        until = session.scalar(sa.select(Webhook.paused_until).where(Webhook.id == webhook_id))
    return until if until is not None and until > now else None


def not_paused(now: dt.datetime) -> sa.ColumnElement[bool]:
    """For claims: the outbox row's endpoint is not paused."""
    from ..outbox.models import OutboxMessage

    return ~sa.exists().where(Webhook.id == OutboxMessage.webhook_id,
                              Webhook.paused_until > now)


def record(session_factory: Callable[[], Session], webhook_id: int | None, outcome: str,
           error: str, now: dt.datetime, threshold: int) -> None:
    """Counts a delivery's outcome against its endpoint."""
    if webhook_id is None or outcome not in ("sent", "retrying", "failed"):
        return
    with session_factory() as session, write_intent():
        webhook = session.get(Webhook, webhook_id, with_for_update=True)
        if webhook is None:
            return
        if outcome == "sent":
            values: dict[str, Any] = {"failures_in_row": 0, "paused_until": None}
        else:
            failures = webhook.failures_in_row + 1
            values = {"failures_in_row": failures, "last_failure": error[:2000]}
            if failures >= threshold:
                values["paused_until"] = now + pause_for(failures, threshold)
        session.execute(sa.update(Webhook).where(Webhook.id == webhook_id).values(**values))
        session.commit()


def state(webhook: Webhook, now: dt.datetime) -> dict[str, Any]:
    """What the vendor is shown: "closed" (delivering), "open" (paused until ...) or
    "half-open" (the pause is over: the next delivery decides)."""
    from ..timeutil import rfc3339

    if webhook.paused_until is None:
        name = "closed"
    else:
        name = "open" if webhook.paused_until > now else "half-open"
    return {"state": name, "failures_in_row": webhook.failures_in_row,
            "paused_until": rfc3339(webhook.paused_until) if name == "open" else None,
            "last_failure": webhook.last_failure or None}

"""Webhook deliveries on workers of their own, beside the mail: each endpoint is served by
one worker at a time (its deliveries in order, never two at once from this scheduler),
several endpoints at the same time, so a slow or failing endpoint holds up only its own
deliveries, and its circuit breaker (circuit.py) soon pauses it altogether.

No delivery is sent twice: just before each attempt the row's lease is renewed to cover
the whole-request deadline, under this scheduler's claim; a row another scheduler claimed
after our lease ran out is skipped."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from ..db import write_intent
from ..outbox.drain import Clock, DrainSettings, claim, process
from ..outbox.models import OutboxMessage
from . import circuit

log = logging.getLogger(__name__)

# Beyond the deadline, for the bookkeeping around one attempt.
LEASE_MARGIN = dt.timedelta(seconds=60)
# How often the dispatcher looks for new work while endpoints are busy.
POLL_SECONDS = 1.0


def _renew(session_factory: Callable[[], Session], message_id: int, token: str,
           until: dt.datetime) -> bool:
    with session_factory() as session, write_intent():
        renewed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token,
                   OutboxMessage.status == "sending")
            .values(claimed_until=until).execution_options(synchronize_session=False))
        session.commit()
    return renewed.rowcount == 1


def _release(session_factory: Callable[[], Session], message_id: int, token: str,
             resume_at: dt.datetime) -> None:
    """Hands a claimed row back unattempted, due when its endpoint's pause ends."""
    with session_factory() as session, write_intent():
        session.execute(sa.update(OutboxMessage)
                        .where(OutboxMessage.id == message_id,
                               OutboxMessage.claim_token == token)
                        .values(status="pending", claim_token=None, claimed_until=None,
                                next_attempt_at=resume_at)
                        .execution_options(synchronize_session=False))
        session.commit()


def _serve_endpoint(session_factory: Callable[[], Session], webhook_id: int | None,
                    ids: list[int], token: str, clock: Clock,
                    settings: DrainSettings) -> Counter[str]:
    done: Counter[str] = Counter()
    for message_id in ids:
        resume_at = circuit.paused_until(session_factory, webhook_id, clock())
        if resume_at is not None:
            _release(session_factory, message_id, token, resume_at)
            done["paused"] += 1
            continue
        deadline = dt.timedelta(seconds=settings.webhook_timeout)
        if not _renew(session_factory, message_id, token, clock() + deadline + LEASE_MARGIN):
            continue  # another scheduler took it after our lease ran out
        outcome = process(session_factory, message_id, token, clock(), settings, None)
        done[outcome] += 1
        if outcome in ("retrying", "failed"):
            with session_factory() as session:
                error = session.scalar(sa.select(OutboxMessage.last_error).where(
                    OutboxMessage.id == message_id)) or ""
        else:
            error = ""
        circuit.record(session_factory, webhook_id, outcome, error, clock(),
                       settings.breaker_threshold)
    return done


def _claim_for_idle_endpoints(session_factory: Callable[[], Session], now: dt.datetime,
                              busy: set[int | None], limit: int
                              ) -> dict[int | None, tuple[str, list[int]]]:
    also = [circuit.not_paused(now)]
    busy_ids = [b for b in busy if b is not None]
    if busy_ids:
        also.append(sa.or_(OutboxMessage.webhook_id.is_(None),
                           OutboxMessage.webhook_id.notin_(busy_ids)))
    if None in busy:
        also.append(OutboxMessage.webhook_id.is_not(None))
    token, ids = claim(session_factory, now, ["webhook"], limit, *also)
    if not ids:
        return {}
    with session_factory() as session:
        owners = {message_id: webhook_id for message_id, webhook_id in session.execute(
            sa.select(OutboxMessage.id, OutboxMessage.webhook_id)
            .where(OutboxMessage.id.in_(ids)))}
    groups: dict[int | None, tuple[str, list[int]]] = {}
    for message_id in ids:
        groups.setdefault(owners.get(message_id), (token, []))[1].append(message_id)
    return groups


def deliver_webhooks_due(session_factory: Callable[[], Session], now: dt.datetime,
                         settings: DrainSettings) -> Counter[str]:
    """Delivers due webhooks until none are left and no endpoint is still busy."""
    clock = Clock(now)
    done: Counter[str] = Counter()
    running: dict[cf.Future[Counter[str]], int | None] = {}
    with cf.ThreadPoolExecutor(max_workers=max(settings.webhook_workers, 1),
                               thread_name_prefix="webhook") as pool:
        try:
            while True:
                groups: dict[int | None, tuple[str, list[int]]] = {}
                if len(running) < settings.webhook_workers:
                    groups = _claim_for_idle_endpoints(session_factory, clock(),
                                                       set(running.values()),
                                                       settings.batch_size)
                for webhook_id, (token, ids) in groups.items():
                    running[pool.submit(_serve_endpoint, session_factory, webhook_id, ids,
                                        token, clock, settings)] = webhook_id
                if not running:
                    return done
                finished, _ = cf.wait(running, timeout=None if not groups and len(
                    running) >= settings.webhook_workers else POLL_SECONDS,
                    return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    del running[future]
                    done.update(future.result())
        finally:
            for future in cf.as_completed(running):
                done.update(future.result())

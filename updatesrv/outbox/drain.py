"""The scheduler's side of the outbox: expand events into messages, then send what is due.

Exactly one delivery per message row: a batch is claimed by one conditional UPDATE (status
pending → sending, with a lease) before anything is sent, and each row is marked sent in
its own commit right after the SMTP server or the webhook endpoint accepted it. A
scheduler that dies mid-batch leaves its unsent rows claimed; they are taken again when the
lease runs out, and rows already marked sent are never taken again. Two schedulers racing
claim disjoint rows (PostgreSQL re-checks the WHERE after a row lock; SQLite serialises
writers with BEGIN IMMEDIATE)."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..db import write_intent
from ..mail.config import MailConfig
from ..mail.errors import DeliveryFailed
from ..mail.sender import SmtpSender
from .models import OutboxEvent, OutboxMessage
from .services import add_messages

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
FIRST_RETRY = dt.timedelta(minutes=1)
MAX_RETRY = dt.timedelta(hours=6)


@dataclass(frozen=True)
class DrainSettings:
    mail: MailConfig | None
    # SECRET_KEY: unsubscribe links in mails are HMACs under it.
    secret: str = ""
    allow_private_webhooks: bool = False
    max_attempts: int = 10
    batch_size: int = 100
    # The whole-request deadline of one webhook delivery (connect, send, answer).
    webhook_timeout: float = 10.0
    # Endpoints served at once (one delivery at a time per endpoint), and the failures
    # in a row after which an endpoint's deliveries pause (the circuit breaker).
    webhook_workers: int = 4
    breaker_threshold: int = 5


class Clock:
    """The tick's time, moving on with the real clock while the tick works, so a long
    drain neither claims with a lease that has already run out nor misses what fell due."""

    def __init__(self, start: dt.datetime) -> None:
        self.start = start
        self.started = time.monotonic()

    def __call__(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=time.monotonic() - self.started)


def backoff(attempts: int) -> dt.timedelta:
    """1 min, 2, 4, … capped at 6 h."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


def expand_events(session_factory: Callable[[], Session], now: dt.datetime,
                  secret: str) -> int:
    """Turns each new event into its messages (one per matching subscription and webhook)
    in one transaction with the event's claim, so a crash expands it again, completely."""
    from ..subscriptions.fanout import mails_for_event
    from ..webhooks.services import deliveries_for_event

    with session_factory() as session:
        pending = session.scalars(sa.select(OutboxEvent.id).where(
            OutboxEvent.expanded_at.is_(None)).order_by(OutboxEvent.id)).all()
    expanded = 0
    for event_id in pending:
        with session_factory() as session, write_intent():
            claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                sa.update(OutboxEvent)
                .where(OutboxEvent.id == event_id, OutboxEvent.expanded_at.is_(None))
                .values(expanded_at=now))
            if claimed.rowcount != 1:
                session.rollback()
                continue
            event = session.get(OutboxEvent, event_id)
            assert event is not None
            try:
                add_messages(session, [*mails_for_event(session, event, now, secret),
                                       *deliveries_for_event(session, event, now)])
            except OperationalError:
                raise
            except Exception:
                # One event that cannot be expanded stays unexpanded (retried next tick,
                # logged) while every other event and message goes on.
                session.rollback()
                log.exception("outbox event #%d could not be expanded", event_id)
                continue
            session.commit()
            expanded += 1
    return expanded


def claim(session_factory: Callable[[], Session], now: dt.datetime, channels: list[str],
          limit: int, *also: sa.ColumnElement[bool]) -> tuple[str, list[int]]:
    """Claims up to ``limit`` due rows (``also``: further conditions) for one lease."""
    token = uuid.uuid4().hex
    due = sa.and_(sa.or_(
        sa.and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        sa.and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now)), *also)
    with session_factory() as session, write_intent():
        candidates = (sa.select(OutboxMessage.id)
                      .where(due, OutboxMessage.channel.in_(channels))
                      .order_by(OutboxMessage.id).limit(limit).scalar_subquery())
        session.execute(sa.update(OutboxMessage)
                        .where(OutboxMessage.id.in_(candidates), due)
                        .values(status="sending", claim_token=token,
                                claimed_until=now + LEASE)
                        .execution_options(synchronize_session=False))
        session.commit()
        ids = session.scalars(sa.select(OutboxMessage.id).where(
            OutboxMessage.claim_token == token).order_by(OutboxMessage.id)).all()
    return token, list(ids)


def finish(session_factory: Callable[[], Session], message_id: int, token: str,
            **values: Any) -> None:
    with session_factory() as session, write_intent():
        session.execute(sa.update(OutboxMessage)
                        .where(OutboxMessage.id == message_id,
                               OutboxMessage.claim_token == token)
                        .values(claim_token=None, claimed_until=None, **values)
                        .execution_options(synchronize_session=False))
        session.commit()


def build_mail(message_id: int, dedupe_key: str, payload: dict[str, Any], sender: str,
               now: dt.datetime) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = payload["subject"]
    mail["From"] = sender
    mail["To"] = payload["to"]
    mail["Date"] = format_datetime(now)
    domain = sender.rsplit("@", 1)[-1].strip(">") or "localhost"
    # Stable per outbox row: if a crash between the server's "250 OK" and our commit ever
    # makes us send a row again, mail clients recognise the copy by its Message-ID.
    mail["Message-ID"] = (f"<outbox.{message_id}."
                          f"{uuid.uuid5(uuid.NAMESPACE_URL, dedupe_key).hex}@{domain}>")
    for name, value in (payload.get("headers") or {}).items():
        mail[name] = value
    mail.set_content(payload["text"])
    if payload.get("html"):
        mail.add_alternative(payload["html"], subtype="html")
    return mail


class Unbuildable(DeliveryFailed):
    """The message itself is broken (a header that cannot be written, a payload missing a
    field): it can never be sent, so it fails at once, and nothing else waits for it."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(f"this message cannot be built, so it was not sent "
                         f"({type(exc).__name__}: {exc})", permanent=True)


def _attempt(session: Session, row: OutboxMessage, now: dt.datetime, settings: DrainSettings,
             sender: SmtpSender | None) -> int | None:
    """Sends one row; returns the webhook's HTTP status (None for mail). Raises
    DeliveryFailed only: whatever else goes wrong with this one message is turned into a
    failure of this message, never of the batch."""
    from ..webhooks.delivery import deliver_webhook

    if row.channel == "mail":
        assert sender is not None and settings.mail is not None
        try:
            mail = build_mail(row.id, row.dedupe_key, row.payload, settings.mail.sender, now)
        except Exception as exc:
            raise Unbuildable(exc) from None
        try:
            sender.send(mail)
        except DeliveryFailed:
            raise
        except Exception as exc:
            sender.reset()  # the SMTP conversation may be half-way: start the next afresh
            raise DeliveryFailed(f"sending failed unexpectedly ({type(exc).__name__}: "
                                 f"{exc})") from None
        return None
    try:
        return deliver_webhook(session, row, now, settings)
    except DeliveryFailed:
        raise
    except (KeyError, TypeError, ValueError, UnicodeError) as exc:
        raise Unbuildable(exc) from None
    except Exception as exc:
        raise DeliveryFailed(f"delivery failed unexpectedly ({type(exc).__name__}: "
                             f"{exc})") from None


def process(session_factory: Callable[[], Session], message_id: int, token: str,
            now: dt.datetime, settings: DrainSettings, sender: SmtpSender | None) -> str:
    """Attempts one claimed row and records the outcome on it: "sent", "retrying",
    "failed", "cancelled", or "skipped" (no longer ours). One message's failure, whatever
    raised it, is recorded on that message (retried with backoff, or failed for good with
    its reason); only a lost database propagates (the lease hands the rows back)."""
    from ..subscriptions.fanout import still_wanted

    with session_factory() as session:
        row = session.get(OutboxMessage, message_id)
        if row is None or row.claim_token != token:
            return "skipped"
        attempts = row.attempts + 1
        try:
            if row.channel == "mail" and not still_wanted(session, row):
                finish(session_factory, message_id, token, status="cancelled")
                return "cancelled"
            status_code = _attempt(session, row, now, settings, sender)
        except OperationalError:
            raise
        except Exception as exc:
            failure = exc if isinstance(exc, DeliveryFailed) else Unbuildable(exc)
            give_up = failure.permanent or attempts >= settings.max_attempts
            finish(session_factory, message_id, token, attempts=attempts,
                   status="failed" if give_up else "pending",
                   next_attempt_at=now + backoff(attempts),
                   last_error=str(failure)[:2000],
                   response_status=getattr(failure, "status_code", None))
            log.warning("outbox %s #%d to %s failed (attempt %d): %s",
                        row.channel, row.id, row.recipient, attempts, failure)
            return "failed" if give_up else "retrying"
    finish(session_factory, message_id, token, attempts=attempts, status="sent",
           sent_at=now, last_error="", response_status=status_code)
    return "sent"


def deliver_mail_due(session_factory: Callable[[], Session], now: dt.datetime,
                     settings: DrainSettings) -> Counter[str]:
    """Sends due mail, batch after batch, until none is left, over one SMTP connection."""
    done: Counter[str] = Counter()
    if settings.mail is None:
        return done
    clock = Clock(now)
    sender = SmtpSender(settings.mail)
    try:
        while True:
            token, ids = claim(session_factory, clock(), ["mail"], settings.batch_size)
            for message_id in ids:
                done[process(session_factory, message_id, token, clock(), settings,
                             sender)] += 1
            if len(ids) < settings.batch_size:
                return done
    finally:
        sender.close()


CHANNELS = ("mail", "webhook")


def drain(session_factory: Callable[[], Session], now: dt.datetime,
          settings: DrainSettings, channels: tuple[str, ...] = CHANNELS) -> dict[str, int]:
    """Expands new events, then delivers what is due: mail on this thread, webhooks on
    their own workers at the same time, so no endpoint can hold up the mail."""
    from ..webhooks.worker import deliver_webhooks_due

    expanded = expand_events(session_factory, now, settings.secret)
    done: Counter[str] = Counter()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-webhooks") as pool:
        hooks = (pool.submit(deliver_webhooks_due, session_factory, now, settings)
                 if "webhook" in channels else None)
        if "mail" in channels:
            done.update(deliver_mail_due(session_factory, now, settings))
        if hooks is not None:
            done.update(hooks.result())
    return {"events_expanded": expanded, **{
        f"outbox_{k}": done[k] for k in ("sent", "failed", "retrying", "cancelled")},
        **({"outbox_paused": done["paused"]} if done["paused"] else {})}

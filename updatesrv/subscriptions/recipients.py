"""Limits per recipient, whoever asks and from wherever: at most one confirmation mail to
an address per CONFIRM_INTERVAL (a further one waits in the outbox for its turn), and at
most MAX_PENDING unconfirmed subscriptions for it, across filters, products and client
addresses, so nobody can flood someone's mailbox through the subscribe form.

An address is compared as mail providers deliver it (``recipient_key``): the domain
without regard to case, the local part without case and without a ``+tag``, and for
Gmail without dots. Mail is still sent to the address as it was typed."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import upsert
from .models import ConfirmationGate

CONFIRM_INTERVAL = dt.timedelta(minutes=10)
MAX_PENDING = 5
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
_NEVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def recipient_key(email: str) -> str:
    local, _, domain = email.strip().rpartition("@")
    domain = domain.rstrip(".").lower()
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("idna").decode("ascii")
    local = local.lower().split("+", 1)[0] or local.lower()
    if domain in DOTLESS_DOMAINS:
        domain = DOTLESS_DOMAINS[domain]
        local = local.replace(".", "")
    return f"{local}@{domain}"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def lock(session: Session, key: str) -> dt.datetime:
    """Takes the recipient's row lock for the rest of the caller's transaction (created
    on first use) and returns when its last confirmation mail went or is booked to go.
    Requests racing for one recipient wait here for each other (PostgreSQL: the row
    lock; SQLite: the write lock the upsert takes), so the limits below hold under any
    concurrency."""
    digest = _hash(key)
    upsert(session, ConfirmationGate.__table__,  # type: ignore[arg-type]
           [{"recipient_hash": digest, "last_sent_at": _NEVER}], key=["recipient_hash"])
    last = session.scalar(sa.select(ConfirmationGate.last_sent_at).where(
        ConfirmationGate.recipient_hash == digest).with_for_update())
    assert last is not None
    return last


def confirmation_slot(session: Session, key: str, now: dt.datetime) -> dt.datetime:
    """When the next confirmation mail to this recipient may go: now, or CONFIRM_INTERVAL
    after the last one (sent or booked); books that slot. Call after ``lock``."""
    last = lock(session, key)
    slot = now if last <= now - CONFIRM_INTERVAL else last + CONFIRM_INTERVAL
    session.execute(sa.update(ConfirmationGate)
                    .where(ConfirmationGate.recipient_hash == _hash(key))
                    .values(last_sent_at=slot).execution_options(synchronize_session=False))
    return slot


def too_many_pending(session: Session, key: str, now: dt.datetime) -> bool:
    """Call after ``lock``."""
    from .models import Subscription

    pending = session.scalar(sa.select(sa.func.count()).select_from(Subscription).where(
        Subscription.recipient_key == key, Subscription.status == "pending",
        Subscription.expires_at > now)) or 0
    return pending >= MAX_PENDING


def prune(session: Session, now: dt.datetime) -> int:
    result = session.execute(sa.delete(ConfirmationGate).where(
        ConfirmationGate.last_sent_at < now - CONFIRM_INTERVAL))
    return int(getattr(result, "rowcount", 0) or 0)

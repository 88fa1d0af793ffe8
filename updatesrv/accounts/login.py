"""Console login: password check plus throttling of failed attempts per account and per
client address (stored as a keyed hash, never the address itself)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow, write_intent
from ..errors import UpdatesrvError
from . import services
from .models import LoginThrottle, User

WINDOW = dt.timedelta(minutes=15)
ACCOUNT_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 20
MAX_BLOCK = dt.timedelta(minutes=15)


class TooManyAttempts(UpdatesrvError):
    status = 429
    title = "Too many attempts"
    slug = "too-many-attempts"


def _keys(email: str, address: str, secret: bytes) -> list[tuple[str, int]]:
    addr = hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:40]
    acct = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]
    return [(f"acct:{acct}", ACCOUNT_FREE_FAILURES), (f"addr:{addr}", ADDRESS_FREE_FAILURES)]


def _blocked_for(session: Session, keys: list[tuple[str, int]], now: dt.datetime) -> int:
    rows = session.scalars(sa.select(LoginThrottle).where(
        LoginThrottle.key.in_([k for k, _ in keys])))
    remaining = [int((r.blocked_until - now).total_seconds()) + 1 for r in rows
                 if r.blocked_until and r.blocked_until > now]
    return max(remaining, default=0)


def _record_failure(session: Session, keys: list[tuple[str, int]], now: dt.datetime) -> None:
    for key, free in keys:
        row = session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_started_at=now)
            session.add(row)
        if now - row.window_started_at > WINDOW:
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        over = row.failures - free
        if over > 0:
            # 2 s, 4 s, 8 s … up to 15 minutes: slows guessing to a crawl, never a lock-out.
            row.blocked_until = now + min(dt.timedelta(seconds=2 ** over), MAX_BLOCK)


def login(session: Session, email: str, password: str, address: str,
          secret: bytes) -> User | None:
    """Returns the user, or None for wrong credentials; raises TooManyAttempts while the
    account or the address is blocked."""
    now = utcnow()
    keys = _keys(email, address, secret)
    with write_intent():
        session.commit()  # start a write transaction: throttle rows are read, then written
        wait = _blocked_for(session, keys, now)
        if wait:
            session.rollback()
            raise TooManyAttempts(
                f"Too many failed sign-ins. Try again in {_human(wait)}.")
        user = services.authenticate_user(session, email, password)
        if user is None:
            _record_failure(session, keys, now)
        else:
            session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == keys[0][0]))
        session.commit()
    return user


def _human(seconds: int) -> str:
    if seconds >= 90:
        return f"{round(seconds / 60)} minutes"
    return "1 second" if seconds == 1 else f"{seconds} seconds"

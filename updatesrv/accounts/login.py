"""Console login: password check plus throttling of failed attempts per account and per
client address (stored as a keyed hash, never the address itself).

Every failure is counted with one atomic ``INSERT … ON CONFLICT DO UPDATE`` per key, so
parallel wrong passwords (several workers, PostgreSQL or SQLite) are all counted and two
first failures never collide on the row's primary key. The slow password hash runs
outside any write transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import dialect_insert, utcnow, write_intent
from ..errors import UpdatesrvError
from . import services
from .models import LoginThrottle, Passkey, User

WINDOW = dt.timedelta(minutes=15)
ACCOUNT_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 20
MAX_BLOCK = dt.timedelta(minutes=15)


class TooManyAttempts(UpdatesrvError):
    status = 429
    title = "Too many attempts"
    slug = "too-many-attempts"


def throttle_keys(email: str, address: str, secret: bytes) -> list[tuple[str, int]]:
    addr = hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:40]
    acct = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]
    return [(f"acct:{acct}", ACCOUNT_FREE_FAILURES), (f"addr:{addr}", ADDRESS_FREE_FAILURES)]


def blocked_for(session: Session, keys: list[tuple[str, int]], now: dt.datetime) -> int:
    rows = session.scalars(sa.select(LoginThrottle).where(
        LoginThrottle.key.in_([k for k, _ in keys])))
    remaining = [int((r.blocked_until - now).total_seconds()) + 1 for r in rows
                 if r.blocked_until and r.blocked_until > now]
    return max(remaining, default=0)


def block_after(failures: int, free: int) -> dt.timedelta | None:
    """2 s, 4 s, 8 s … up to 15 minutes: slows guessing to a crawl, never a lock-out."""
    over = failures - free
    if over <= 0:
        return None
    return dt.timedelta(seconds=2 ** over) if over < 20 else MAX_BLOCK


def record_failure(session: Session, keys: list[tuple[str, int]], now: dt.datetime) -> None:
    """Counts one failure per key in SQL (a window older than WINDOW starts again at 1)."""
    table: sa.Table = LoginThrottle.__table__  # type: ignore[assignment]
    for key, free in keys:
        stmt = dialect_insert(session, table).values(
            key=key, failures=1, window_started_at=now, blocked_until=None)
        expired = table.c.window_started_at < now - WINDOW
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"failures": sa.case((expired, 1), else_=table.c.failures + 1),
                  "window_started_at": sa.case((expired, now),
                                               else_=table.c.window_started_at)},
        ).returning(table.c.failures)
        failures = int(session.execute(stmt).scalar_one())
        block = block_after(failures, free)
        if block is not None:
            # From when the failure is recorded, not when the (slow) attempt began.
            until = utcnow() + min(block, MAX_BLOCK)
            # Parallel failures finish in any order: a block only ever grows.
            session.execute(sa.update(LoginThrottle).where(
                LoginThrottle.key == key,
                sa.or_(LoginThrottle.blocked_until.is_(None),
                       LoginThrottle.blocked_until < until)).values(blocked_until=until))


def login(session: Session, email: str, password: str, address: str,
          secret: bytes) -> User | None:
    """Returns the user, or None for wrong credentials; raises TooManyAttempts while the
    account or the address is blocked."""
    now = utcnow()
    keys = throttle_keys(email, address, secret)
    session.commit()  # a fresh read: blocks written since the request began count
    wait = blocked_for(session, keys, now)
    if wait:
        session.rollback()
        raise TooManyAttempts(f"Too many failed sign-ins. Try again in {human_wait(wait)}.")
    user = services.authenticate_user(session, email, password)
    session.commit()  # end the read before the short write transaction below
    with write_intent():
        if user is None:
            record_failure(session, keys, now)
        elif not has_second_factor(session, user):
            # With a second factor the account's count is only cleared once the code is
            # right too, so knowing the password does not buy fresh code guesses.
            clear_account(session, keys)
        session.commit()
    return user


def has_second_factor(session: Session, user: User) -> bool:
    """TOTP or at least one passkey: sign-in then asks for it after the password."""
    return bool(user.totp_secret) or session.scalar(
        sa.select(sa.func.count()).select_from(Passkey).where(Passkey.user_id == user.id)) != 0


def clear_account(session: Session, keys: list[tuple[str, int]]) -> None:
    session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == keys[0][0]))


def human_wait(seconds: int) -> str:
    if seconds >= 90:
        return f"{round(seconds / 60)} minutes"
    return "1 second" if seconds == 1 else f"{seconds} seconds"

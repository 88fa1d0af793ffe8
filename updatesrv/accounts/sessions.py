"""Server-side console sessions: revocable, unlike a signed cookie on its own. Signing out
ends every copy of that browser's cookie; "sign out everywhere" and a password change end
all of a user's sessions."""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow
from .models import ConsoleSession, User
from .services import hash_token


def start_session(session: Session, user: User, lifetime: dt.timedelta) -> str:
    """Returns the new session's id for the cookie; only its hash is stored."""
    now = utcnow()
    plaintext = secrets.token_urlsafe(32)
    session.execute(sa.delete(ConsoleSession).where(
        ConsoleSession.user_id == user.id, ConsoleSession.expires_at < now))
    session.add(ConsoleSession(user_id=user.id, token_hash=hash_token(plaintext),
                               created_at=now, expires_at=now + lifetime))
    session.commit()
    return plaintext


def user_for_session(session: Session, plaintext: str) -> User | None:
    if not plaintext or len(plaintext) > 100:
        return None
    return session.scalar(
        sa.select(User).join(ConsoleSession, ConsoleSession.user_id == User.id).where(
            ConsoleSession.token_hash == hash_token(plaintext),
            ConsoleSession.expires_at > utcnow()))


def end_session(session: Session, plaintext: str) -> None:
    session.execute(sa.delete(ConsoleSession).where(
        ConsoleSession.token_hash == hash_token(plaintext)))
    session.commit()


def end_all_sessions(session: Session, user_id: int) -> int:
    """Signs the user out of every browser; returns how many sessions ended."""
    result = session.execute(sa.delete(ConsoleSession).where(
        ConsoleSession.user_id == user_id))
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def count_sessions(session: Session, user_id: int) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(ConsoleSession).where(
        ConsoleSession.user_id == user_id, ConsoleSession.expires_at > utcnow())) or 0)

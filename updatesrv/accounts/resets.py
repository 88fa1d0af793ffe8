"""Password reset by e-mail: a single-use link that works for 30 minutes, mailed through
the outbox. Asking gives the same answer (and does the same work before the mail) whether
or not the address has an account; asking is rate-limited per address and per client;
using the link ends every session of the account and is audit-logged. The link is never
logged: only its hash is stored, and only the mailbox sees it."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..audit import services as audit
from ..db import utcnow, write_intent
from ..outbox.services import enqueue_mail
from ..ratelimit.services import client_key, hit
from .errors import NotFound
from .models import ConsoleSession, Membership, PasswordReset, User
from .services import check_password_strength, hash_password, hash_token, normalise_email

RESET_TTL = dt.timedelta(minutes=30)
# Per ten-minute window (ratelimit.WINDOW): a person who mistyped can ask again, a script
# cannot fill a mailbox or probe many addresses from one client.
PER_ADDRESS_LIMIT = 3
PER_CLIENT_LIMIT = 10
LINK_GONE = "This reset link is unknown, used or expired. Ask for a new one."


def reset_mail(user: User, link: str) -> tuple[str, str]:
    subject = "Reset your updatesrv password"
    minutes = int(RESET_TTL.total_seconds() // 60)
    text = (f"Someone (we hope you) asked to reset the password of {user.email} on "
            f"updatesrv.\n\nChoose a new password within {minutes} minutes (the link works "
            f"once):\n{link}\n\n"
            "If you did not ask, ignore this e-mail: your password stays as it is.\n")
    return subject, text


def request_reset(session: Session, email: str, client_address: str | None, secret: str,
                  link_for: Callable[[str], str]) -> None:
    """Mails a reset link when ``email`` has an account; answers nothing either way.
    Raises RateLimited past the limits (counted for unknown addresses too)."""
    email = normalise_email(email)
    address_key = "reset-email:" + hashlib.sha256(email.encode()).hexdigest()[:40]
    with write_intent():
        hit(session, client_key(secret, "reset-client", client_address), PER_CLIENT_LIMIT)
        hit(session, address_key, PER_ADDRESS_LIMIT)
    # The same work before the (queued, never sent inline) mail for both answers.
    plaintext = secrets.token_urlsafe(32)
    token_hash = hash_token(plaintext)
    user = session.scalar(sa.select(User).where(User.email == email))
    session.commit()
    if user is None:
        return
    now = utcnow()
    with write_intent():
        reset = PasswordReset(user_id=user.id, token_hash=token_hash, created_at=now,
                              expires_at=now + RESET_TTL)
        session.add(reset)
        session.flush()
        subject, text = reset_mail(user, link_for(plaintext))
        enqueue_mail(session, to=user.email, subject=subject, text=text,
                     purpose="password-reset", dedupe_key=f"password-reset:{reset.id}")
        session.commit()


def find_reset(session: Session, plaintext: str) -> PasswordReset:
    if not plaintext or len(plaintext) > 100:
        raise NotFound(LINK_GONE)
    reset = session.scalar(sa.select(PasswordReset).where(
        PasswordReset.token_hash == hash_token(plaintext)))
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        raise NotFound(LINK_GONE)
    user = session.get(User, reset.user_id)
    if user is None or user.password_changed_at >= reset.created_at:
        raise NotFound(LINK_GONE)
    return reset


def complete_reset(session: Session, plaintext: str, new_password: str) -> User:
    """Sets the new password, ends every session of the account and voids the link.
    The link and the account's password are each claimed by one conditional UPDATE, so
    the same link submitted twice, or two links of one account submitted together, change
    the password once."""
    reset = find_reset(session, plaintext)
    check_password_strength(new_password, field="new_password")
    password_hash = hash_password(new_password)  # slow: before the write transaction
    created_at, user_id = reset.created_at, reset.user_id
    session.commit()
    with write_intent():
        now = utcnow()
        # The account's row first: every reset of one account then queues on the same
        # lock in the same order (no deadlock), and a waiting one finds it changed.
        changed = session.execute(sa.update(User).where(
            User.id == user_id, User.password_changed_at < created_at).values(
            password_hash=password_hash, password_changed_at=now))
        claimed = session.execute(sa.update(PasswordReset).where(
            PasswordReset.id == reset.id, PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now).values(used_at=now))
        if getattr(claimed, "rowcount", 0) != 1 or getattr(changed, "rowcount", 0) != 1:
            session.rollback()
            raise NotFound(LINK_GONE)
        session.execute(sa.update(PasswordReset).where(
            PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None)
        ).values(used_at=now))
        session.execute(sa.delete(ConsoleSession).where(ConsoleSession.user_id == user_id))
        user = session.get(User, user_id)
        assert user is not None
        session.refresh(user)
        for vendor_id in session.scalars(sa.select(Membership.vendor_id).where(
                Membership.user_id == user_id)):
            audit.record(session, vendor_id=vendor_id, actor=f"user:{user.email}",
                         action="user.password_reset", object_type="member",
                         object_key=user.email, after={"sessions": "all ended"})
        session.commit()
    return user


def prune_resets(session: Session, now: dt.datetime) -> int:
    """Deletes links that can no longer be used (housekeeping)."""
    result = session.execute(sa.delete(PasswordReset).where(
        sa.or_(PasswordReset.expires_at < now, PasswordReset.used_at.is_not(None))))
    return int(getattr(result, "rowcount", 0) or 0)

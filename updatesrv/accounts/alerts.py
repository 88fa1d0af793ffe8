"""Sign-in history and the security mails that go with it: a sign-in from a browser the
member never used before, a new API token, a second factor turned off. Mails go through
the outbox, and only when a mail server is configured (without one they would wait for
ever and then arrive long after they mattered)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import utcnow, write_intent
from ..outbox.services import enqueue_mail
from ..ratelimit.services import client_key
from .models import ApiToken, Membership, SignInEvent, User, Vendor

HISTORY_LENGTH = 20
# Older sign-ins are dropped: enough to spot a stranger, not a tracking record.
KEPT_PER_USER = 100


def _hash(secret: str, purpose: str, value: str) -> str:
    return client_key(secret, purpose, value).partition(":")[2][:16]


def record_sign_in(session: Session, config: Mapping[str, Any], user: User, method: str,
                   user_agent: str, address: str | None) -> bool:
    """Adds the sign-in to the member's history; mails them when it comes from a browser
    not seen before (never for an account's first sign-in). Returns whether it was new."""
    secret = str(config["SECRET_KEY"])
    browser = " ".join(user_agent.split())[:200]
    device = _hash(secret, "device", browser)
    seen_any = session.scalar(sa.select(SignInEvent.id).where(
        SignInEvent.user_id == user.id).limit(1)) is not None
    seen_device = session.scalar(sa.select(SignInEvent.id).where(
        SignInEvent.user_id == user.id, SignInEvent.device_hash == device).limit(1))
    new_device = seen_any and seen_device is None
    with write_intent():
        session.add(SignInEvent(user_id=user.id, created_at=utcnow(), method=method,
                                browser=browser, device_hash=device,
                                address_hash=_hash(secret, "sign-in", address or "-")))
        old = sa.select(SignInEvent.id).where(SignInEvent.user_id == user.id).order_by(
            SignInEvent.created_at.desc()).offset(KEPT_PER_USER)
        session.execute(sa.delete(SignInEvent).where(SignInEvent.id.in_(old)))
        if new_device and config.get("MAIL_URL"):
            enqueue_mail(session, to=user.email, purpose="security-alert",
                         subject="New sign-in to your updatesrv account",
                         text=(f"Someone signed in to {user.email} on updatesrv from a "
                               f"browser not used before:\n\n  {browser or 'unknown browser'}"
                               "\n\nIf this was you, nothing to do. If not, reset your "
                               "password now and turn on two-factor sign-in.\n"))
        session.commit()
    return new_device


def history(session: Session, user_id: int) -> list[SignInEvent]:
    return list(session.scalars(sa.select(SignInEvent).where(SignInEvent.user_id == user_id)
                                .order_by(SignInEvent.created_at.desc())
                                .limit(HISTORY_LENGTH)))


def token_created(session: Session, config: Mapping[str, Any], token: ApiToken) -> None:
    """Mails the vendor's owners that a token exists now (who made it, with what role)."""
    if not config.get("MAIL_URL"):
        return
    vendor = session.get(Vendor, token.vendor_id)
    owners = session.scalars(sa.select(User.email).join(Membership).where(
        Membership.vendor_id == token.vendor_id, Membership.role == "owner"))
    for email in owners:
        enqueue_mail(session, to=email, purpose="security-alert",
                     subject=f"New API token for {vendor.name if vendor else 'your vendor'}",
                     text=(f"A new API token {token.name!r} ({token.prefix}…, role "
                           f"{token.role}) was created by {token.created_by}.\n\n"
                           "If you do not know why, revoke it in the console under "
                           "API tokens.\n"))
    session.commit()


def _mail_member(session: Session, config: Mapping[str, Any], user: User, subject: str,
                 text: str) -> None:
    if not config.get("MAIL_URL"):
        return
    enqueue_mail(session, to=user.email, purpose="security-alert", subject=subject, text=text)
    session.commit()


def second_factor_removed(session: Session, config: Mapping[str, Any], user: User) -> None:
    _mail_member(session, config, user, "Two-factor sign-in was turned off",
                 f"Two-factor sign-in was turned off for {user.email} on updatesrv.\n\n"
                 "If this was not you, reset your password now and turn it on again: "
                 "someone else may be signed in to your account.\n")


def passkey_removed(session: Session, config: Mapping[str, Any], user: User, name: str) -> None:
    _mail_member(session, config, user, "A passkey was removed from your account",
                 f"The passkey \u201c{name}\u201d was removed from {user.email} on "
                 "updatesrv.\n\nIf this was not you, reset your password now and check "
                 "your passkeys and two-factor sign-in: someone else may be signed in "
                 "to your account.\n")

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit import services as audit
from ..db import utcnow, write_intent
from ..versions import parse_slug
from .errors import InvalidInput, NotFound, RoleTooLow, UserExists, VendorExists
from .models import ROLES, ApiToken, ConsoleSession, Membership, User, Vendor, role_allows

TOKEN_PREFIX = "us_"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
# Writing last_used_at on every API call would turn each read into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Actor:
    """Who is acting, for whom: every service that changes data takes one."""

    vendor_id: int
    role: str
    label: str

    def require(self, needed: str) -> None:
        if not role_allows(self.role, needed):
            raise RoleTooLow(f"this needs the {needed!r} role; you act as {self.role!r}")


def system_actor(vendor_id: int) -> Actor:
    return Actor(vendor_id=vendor_id, role="owner", label="system")


def parse_role(value: object) -> str:
    if value not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}; got {value!r}",
                           field="role")
    return str(value)


def create_vendor(session: Session, slug: str, name: str) -> Vendor:
    slug = parse_slug(slug)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("vendor name is required (at most 200 characters)", field="name")
    vendor = Vendor(slug=slug, name=name)
    session.add(vendor)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise VendorExists(f"a vendor with slug {slug!r} already exists", field="slug") from None
    session.commit()
    return vendor


def get_vendor(session: Session, slug: str) -> Vendor:
    vendor = session.scalar(sa.select(Vendor).where(Vendor.slug == slug))
    if vendor is None:
        raise NotFound(f"no vendor {slug!r}")
    return vendor


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise InvalidInput(f"{email!r} is not an e-mail address", field="email")
    return email


def check_password_strength(password: str, field: str = "password") -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
                           field=field)
    if len(password) > 1024:
        raise InvalidInput("the password is longer than 1024 characters", field=field)


def hash_password(password: str) -> str:
    return generate_password_hash(password)  # scrypt, salted, from Werkzeug


def create_user(session: Session, email: str, password: str, name: str = "") -> User:
    email = normalise_email(email)
    check_password_strength(password)
    user = User(email=email, name=name.strip()[:200], password_hash=hash_password(password))
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise UserExists(f"a user with e-mail {email!r} already exists", field="email") from None
    session.commit()
    return user


def add_member(session: Session, user: User, vendor: Vendor, role: str) -> Membership:
    role = parse_role(role)
    membership = session.scalar(sa.select(Membership).where(
        Membership.user_id == user.id, Membership.vendor_id == vendor.id))
    if membership is None:
        membership = Membership(user_id=user.id, vendor_id=vendor.id, role=role)
        session.add(membership)
    else:
        membership.role = role
    session.commit()
    return membership


def verify_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def authenticate_user(session: Session, email: str, password: str) -> User | None:
    try:
        email = normalise_email(email)
    except InvalidInput:
        return None
    user = session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        # Hash anyway so the response time does not reveal which e-mails exist.
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if verify_password(user, password) else None


_DUMMY_HASH = generate_password_hash("not-a-real-password")


def set_password(session: Session, user: User, new_password: str) -> None:
    check_password_strength(new_password, field="new_password")
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    # Every session of this user ends (the caller signs the current browser in again).
    session.execute(sa.delete(ConsoleSession).where(ConsoleSession.user_id == user.id))
    session.commit()


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_token(session: Session, vendor: Vendor, name: str, role: str = "publisher",
                 created_by: str = "cli") -> tuple[ApiToken, str]:
    """Returns the token row and the plaintext, which is never stored or shown again."""
    role = parse_role(role)
    name = (name or "").strip() or "api token"
    if len(name) > 100:
        raise InvalidInput("the token name is longer than 100 characters", field="name")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(vendor_id=vendor.id, name=name, role=role, created_by=created_by,
                     token_hash=hash_token(plaintext), prefix=plaintext[:10])
    session.add(token)
    audit.record(session, vendor_id=vendor.id, actor=created_by, action="token.create",
                 object_type="token", object_key=token.prefix,
                 after={"name": name, "role": role})
    session.commit()
    return token, plaintext


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    actor.require("owner")
    token = session.get(ApiToken, token_id)
    if token is None or token.vendor_id != actor.vendor_id:
        raise NotFound("no such token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, vendor_id=actor.vendor_id, actor=actor.label,
                     action="token.revoke", object_type="token", object_key=token.prefix,
                     before={"revoked": False}, after={"revoked": True})
        session.commit()
    return token


def authenticate_token(session: Session, plaintext: str) -> ApiToken | None:
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    token = session.scalar(sa.select(ApiToken).where(
        ApiToken.token_hash == hash_token(plaintext), ApiToken.revoked_at.is_(None)))
    if token is None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        # End the read transaction first: on SQLite a read snapshot cannot always be
        # upgraded to a write, while a fresh write transaction simply waits its turn.
        session.commit()
        with write_intent():
            session.execute(sa.update(ApiToken).where(ApiToken.id == token.id)
                            .values(last_used_at=now))
            session.commit()
    return token


def token_actor(token: ApiToken) -> Actor:
    return Actor(vendor_id=token.vendor_id, role=token.role,
                 label=f"token:{token.name} ({token.prefix}…)")


INVITE_TTL = dt.timedelta(days=7)


def create_invitation(session: Session, actor: Actor, email: str, role: str) -> tuple[Any, str]:
    """Returns (invitation, plaintext token) for a one-time join link."""
    from .models import Invitation

    actor.require("owner")
    email = normalise_email(email)
    role = parse_role(role)
    plaintext = secrets.token_urlsafe(32)
    invitation = Invitation(vendor_id=actor.vendor_id, email=email, role=role,
                            token_hash=hash_token(plaintext), invited_by=actor.label,
                            expires_at=utcnow() + INVITE_TTL)
    session.add(invitation)
    audit.record(session, vendor_id=actor.vendor_id, actor=actor.label, action="member.invite",
                 object_type="member", object_key=email, after={"role": role})
    session.commit()
    return invitation, plaintext


def find_invitation(session: Session, plaintext: str) -> Any:
    from .models import Invitation

    invitation = session.scalar(sa.select(Invitation).where(
        Invitation.token_hash == hash_token(plaintext)))
    if invitation is None or invitation.accepted_at is not None or \
            invitation.expires_at < utcnow():
        raise NotFound("this invitation link is unknown, used or expired; ask for a new one")
    return invitation


def accept_invitation(session: Session, plaintext: str, user: User | None,
                      password: str | None, name: str = "") -> User:
    """Joins the invited e-mail's account (creating it with ``password`` when new). The
    account is always the invited address's: a new one gets that address, a signed-in
    user must have it. The link works once: it is claimed with one conditional UPDATE, so
    two browsers racing with the same link cannot both use it."""
    from .models import Invitation

    invitation = find_invitation(session, plaintext)
    if user is None:
        check_password_strength(password or "")
        existing = session.scalar(sa.select(User).where(User.email == invitation.email))
        if existing is not None:
            raise InvalidInput("an account with this e-mail exists: sign in first, then open "
                               "the link again", field="password")
    elif user.email != invitation.email:
        raise InvalidInput(f"this invitation is for {invitation.email}; you are signed in as "
                           f"{user.email}")
    now = utcnow()
    claimed = session.execute(sa.update(Invitation).where(
        Invitation.id == invitation.id, Invitation.accepted_at.is_(None),
        Invitation.expires_at > now).values(accepted_at=now))
    if getattr(claimed, "rowcount", 0) != 1:
        session.rollback()
        raise NotFound("this invitation link is unknown, used or expired; ask for a new one")
    if user is None:
        user = create_user(session, invitation.email, password or "", name)
    add_member(session, user, invitation.vendor, invitation.role)
    audit.record(session, vendor_id=invitation.vendor_id, actor=f"user:{user.email}",
                 action="member.join", object_type="member", object_key=user.email,
                 after={"role": invitation.role})
    session.commit()
    return user


def set_member_role(session: Session, actor: Actor, membership: Membership,
                    role: str | None) -> None:
    """Changes a member's role, or removes the member with role None. A vendor always
    keeps at least one owner."""
    actor.require("owner")
    if membership.vendor_id != actor.vendor_id:
        raise NotFound("no such member")
    if role is not None:
        role = parse_role(role)
    if membership.role == "owner" and role != "owner":
        owners = session.scalar(sa.select(sa.func.count()).select_from(Membership).where(
            Membership.vendor_id == actor.vendor_id, Membership.role == "owner"))
        if (owners or 0) <= 1:
            raise InvalidInput("a vendor needs at least one owner: make someone else owner "
                               "first", field="role")
    before = {"role": membership.role}
    email = membership.user.email
    if role is None:
        session.delete(membership)
    else:
        membership.role = role
    audit.record(session, vendor_id=actor.vendor_id, actor=actor.label,
                 action="member.remove" if role is None else "member.role",
                 object_type="member", object_key=email, before=before,
                 after={"role": role})
    session.commit()


def memberships_of(session: Session, user: User) -> list[Membership]:
    return list(session.scalars(sa.select(Membership).where(Membership.user_id == user.id)
                                .join(Vendor).order_by(Vendor.name)))


def list_tokens(session: Session, vendor_id: int) -> list[ApiToken]:
    return list(session.scalars(sa.select(ApiToken).where(ApiToken.vendor_id == vendor_id)
                                .order_by(ApiToken.revoked_at.is_not(None),
                                          ApiToken.created_at.desc())))

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable
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
from .models import ROLES, ConsoleSession, Membership, User, Vendor, role_allows

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class Actor:
    """Who is acting, for whom: every service that changes data takes one."""

    vendor_id: int
    role: str
    label: str
    # The ids of the products a scoped API token may touch; None: every product of the
    # vendor (console members and unscoped tokens).
    product_ids: frozenset[int] | None = None

    def require(self, needed: str) -> None:
        if not role_allows(self.role, needed):
            raise RoleTooLow(f"this needs the {needed!r} role; you act as {self.role!r}")

    def covers(self, vendor_id: int, product_id: int) -> bool:
        """Whether this actor may act on (and see the drafts of) that product."""
        return vendor_id == self.vendor_id and (
            self.product_ids is None or product_id in self.product_ids)

    def require_vendor_wide(self) -> None:
        """For what concerns the whole vendor (a new product, the audit log)."""
        if self.product_ids is not None:
            raise RoleTooLow("this token is limited to some products; this needs a token "
                             "for the whole vendor")


def system_actor(vendor_id: int) -> Actor:
    return Actor(vendor_id=vendor_id, role="owner", label="system")


def parse_role(value: object) -> str:
    if value not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}; got {value!r}",
                           field="role")
    return str(value)


def _add_vendor(session: Session, slug: str, name: str) -> Vendor:
    """Adds the vendor to the open transaction (flushed, not committed)."""
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
    return vendor


def create_vendor(session: Session, slug: str, name: str) -> Vendor:
    vendor = _add_vendor(session, slug, name)
    session.commit()
    return vendor


def create_vendor_with_owner(session: Session, slug: str, name: str, email: str,
                             read_password: Callable[[], str]) -> tuple[Vendor, User]:
    """A vendor and its first owner, all or nothing: a refused or interrupted password
    leaves no ownerless vendor behind, so the same command can simply be run again.
    ``read_password`` is only asked when the e-mail has no account yet, and before the
    write transaction begins (a person typing never holds the database's write lock)."""
    slug = parse_slug(slug)
    email = normalise_email(email)
    if session.scalar(sa.select(Vendor.id).where(Vendor.slug == slug)) is not None:
        raise VendorExists(f"a vendor with slug {slug!r} already exists", field="slug")
    user = session.scalar(sa.select(User).where(User.email == email))
    password = None
    if user is None:
        password = read_password()
        check_password_strength(password)
    session.commit()  # end the read; the writes below are one short transaction
    with write_intent():
        try:
            vendor = _add_vendor(session, slug, name)
            if user is None:
                user = _add_user(session, email, password or "")
            session.add(Membership(user_id=user.id, vendor_id=vendor.id, role="owner"))
            audit.record(session, vendor_id=vendor.id, actor="cli", action="member.join",
                         object_type="member", object_key=email, after={"role": "owner"})
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return vendor, user


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


def _add_user(session: Session, email: str, password: str, name: str = "") -> User:
    """Adds the user to the open transaction (flushed, not committed)."""
    email = normalise_email(email)
    check_password_strength(password)
    user = User(email=email, name=name.strip()[:200], password_hash=hash_password(password))
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise UserExists(f"a user with e-mail {email!r} already exists", field="email") from None
    return user


def create_user(session: Session, email: str, password: str, name: str = "") -> User:
    user = _add_user(session, email, password, name)
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

"""Who is signed in, and what they may do for which vendor. Every console view goes
through ``vendor_access``: a vendor the user does not belong to is 'not found', exactly as
if it did not exist, and a role that is too low is refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Request, Response, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

from ..accounts import sessions, twofactor
from ..accounts.models import Membership, User, Vendor, role_allows
from ..accounts.services import Actor
from ..db import db
from ..errors import Forbidden, NotFound
from ..products.models import Product
from ..products.services import get_product

F = TypeVar("F", bound=Callable[..., Any])
# What a member who must enrol in two-factor sign-in can still reach.
ENROLMENT_ENDPOINTS = frozenset({"console.two_factor", "console.sign_out_everywhere_view",
                                 "console.passkeys", "console.passkey_options"})


class SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is Secure whenever the request came over HTTPS
    (or SESSION_COOKIE_SECURE is set), so one config serves a laptop and production.

    Update checks, feeds, downloads and the API never use the console's session, and they
    are most of the traffic: under these prefixes no cookie is read, verified or written
    (Flask's null session; writing to it is an error). Elsewhere, a request without a
    session cookie gets an empty session without building the signing serializer."""

    sessionless_prefixes: tuple[str, ...] = ("/api/", "/u/", "/downloads/", "/healthz")

    def open_session(self, app: Any, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(self.sessionless_prefixes):
            return None  # Flask substitutes its null session, never saved
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Any, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified and not session.accessed:
            return  # nothing to write or delete, and the answer does not vary by cookie
        super().save_session(app, session, response)

    def get_cookie_secure(self, app: Any) -> bool:
        req: Request | None = request if request else None
        return bool(app.config["SESSION_COOKIE_SECURE"] or (req is not None and req.is_secure))


def sign_in(user: User) -> None:
    """Starts a server-side session; the signed cookie only carries its random id."""
    lifetime = current_app.permanent_session_lifetime
    sid = sessions.start_session(db.session, user, lifetime)
    session.clear()
    session.permanent = True
    session["sid"] = sid


def sign_out() -> None:
    """Ends this session on the server: every copy of the cookie stops working."""
    sid = session.get("sid")
    if isinstance(sid, str):
        sessions.end_session(db.session, sid)
    session.clear()


def sign_out_everywhere(user: User) -> int:
    count = sessions.end_all_sessions(db.session, user.id)
    session.clear()
    return count


def current_user() -> User | None:
    if "user" in g:
        return g.user
    user = None
    sid = session.get("sid")
    if isinstance(sid, str):
        user = sessions.user_for_session(db.session, sid)
        if user is None:
            session.clear()  # ended or expired on the server
    elif "uid" in session:
        session.clear()  # a cookie from before server-side sessions
    g.user = user
    return user


def safe_next(target: str | None) -> str | None:
    """Only same-site paths: never redirect to another host after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None:
            return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
        if request.endpoint not in ENROLMENT_ENDPOINTS and \
                twofactor.requires_enrolment(db.session, user):
            # A vendor requires a second factor: nothing else until it is set up.
            return redirect(url_for("console.two_factor"))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class Access:
    vendor: Vendor
    role: str
    actor: Actor

    def can(self, needed: str) -> bool:
        return role_allows(self.role, needed)

    def require(self, needed: str) -> None:
        if not self.can(needed):
            raise Forbidden(f"this needs the {needed} role; you are a {self.role} of "
                            f"{self.vendor.name}")


def vendor_access(vendor_slug: str, needed: str = "viewer") -> Access:
    user = current_user()
    if user is None:
        raise NotFound("not found")
    row = db.session.execute(
        sa.select(Vendor, Membership.role).join(Membership, Membership.vendor_id == Vendor.id)
        .where(Vendor.slug == vendor_slug, Membership.user_id == user.id)).first()
    if row is None:
        raise NotFound(f"no vendor {vendor_slug!r}")
    vendor, role = row
    access = Access(vendor=vendor, role=role,
                    actor=Actor(vendor_id=vendor.id, role=role, label=f"user:{user.email}"))
    access.require(needed)
    g.access = access
    return access


def product_access(vendor_slug: str, product_slug: str,
                   needed: str = "viewer") -> tuple[Access, Product]:
    access = vendor_access(vendor_slug, needed)
    return access, get_product(db.session, product_slug, vendor_id=access.vendor.id)

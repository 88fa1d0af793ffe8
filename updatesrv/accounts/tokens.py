"""API tokens: a role, an optional list of products, an optional expiry, and when and
from where (a keyed hash of the address) each was last used.

A token used outside its products gets the same 404 as a product of another vendor, so a
leaked CI token does not even reveal which other products exist; an expired token gets a
401 that says it expired, so a CI job's log tells the vendor what to renew."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..audit import services as audit
from ..db import utcnow, write_intent
from ..errors import Unauthorized
from ..products.models import Product
from .errors import InvalidInput, NotFound
from .models import ApiToken, ApiTokenProduct, Vendor
from .services import Actor, hash_token, parse_role

TOKEN_PREFIX = "us_"
# Tokens made for a CI pipeline (every token made with ``updatesrv create-token``, and the
# console's preselected choice) end after 90 days unless told otherwise.
CI_TOKEN_LIFETIME = dt.timedelta(days=90)
MAX_LIFETIME = dt.timedelta(days=3650)
# Writing last_used_at on every API call would turn each read into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
_DURATION_RE = re.compile(r"^\s*(\d{1,5})\s*([hdw])\s*$")
_UNITS = {"h": dt.timedelta(hours=1), "d": dt.timedelta(days=1), "w": dt.timedelta(weeks=1)}
NEVER = "never"


class TokenExpired(Unauthorized):
    title = "Token expired"
    slug = "token-expired"


def parse_lifetime(text: str) -> dt.timedelta | None:
    """'90d', '12h', '2w' or 'never' (None)."""
    if text.strip().lower() == NEVER:
        return None
    match = _DURATION_RE.match(text)
    if match is None:
        raise InvalidInput(f"expiry must look like 90d, 12h, 2w or 'never'; got {text!r}",
                           field="expires_in")
    lifetime = int(match.group(1)) * _UNITS[match.group(2)]
    if lifetime <= dt.timedelta(0) or lifetime > MAX_LIFETIME:
        raise InvalidInput("a token lives at least an hour and at most 3650 days",
                           field="expires_in")
    return lifetime


def _scope(session: Session, vendor: Vendor, product_slugs: Sequence[str]) -> list[Product]:
    products = []
    for slug in dict.fromkeys(s.strip() for s in product_slugs if s.strip()):
        product = session.scalar(sa.select(Product).where(
            Product.slug == slug, Product.vendor_id == vendor.id))
        if product is None:
            raise InvalidInput(f"{vendor.slug} has no product {slug!r}", field="products")
        products.append(product)
    return products


def create_token(session: Session, vendor: Vendor, name: str, role: str = "publisher",
                 created_by: str = "cli", *, products: Sequence[str] = (),
                 lifetime: dt.timedelta | None = None) -> tuple[ApiToken, str]:
    """Returns the token row and the plaintext, which is never stored or shown again.
    ``products``: slugs of the vendor's products the token is limited to (empty: all);
    ``lifetime``: None for a token that never expires."""
    role = parse_role(role)
    name = (name or "").strip() or "api token"
    if len(name) > 100:
        raise InvalidInput("the token name is longer than 100 characters", field="name")
    scope = _scope(session, vendor, products)
    now = utcnow()
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(vendor_id=vendor.id, name=name, role=role, created_by=created_by,
                     token_hash=hash_token(plaintext), prefix=plaintext[:10], created_at=now,
                     expires_at=now + lifetime if lifetime else None,
                     product_scoped=bool(scope),
                     products=[ApiTokenProduct(product_id=p.id) for p in scope])
    session.add(token)
    audit.record(session, vendor_id=vendor.id, actor=created_by, action="token.create",
                 object_type="token", object_key=token.prefix,
                 after={"name": name, "role": role,
                        "products": [p.slug for p in scope] or None,
                        "expires_at": token.expires_at.isoformat() if token.expires_at
                        else None})
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


def authenticate_token(session: Session, plaintext: str,
                       address_hash: str = "") -> ApiToken | None:
    """The live token, or None for an unknown or revoked one; raises TokenExpired for an
    expired one. Records when and from which (hashed) address it was used."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    token = session.scalar(sa.select(ApiToken).where(
        ApiToken.token_hash == hash_token(plaintext), ApiToken.revoked_at.is_(None)))
    if token is None:
        return None
    now = utcnow()
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenExpired(
            f"the API token {token.prefix}… expired on {token.expires_at:%Y-%m-%d %H:%M} "
            "UTC; create a new one (console: API tokens, or 'updatesrv create-token')")
    address_hash = address_hash[:16]
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION or \
            token.last_used_from != address_hash:
        # End the read transaction first: on SQLite a read snapshot cannot always be
        # upgraded to a write, while a fresh write transaction simply waits its turn.
        session.commit()
        with write_intent():
            session.execute(sa.update(ApiToken).where(ApiToken.id == token.id)
                            .values(last_used_at=now, last_used_from=address_hash))
            session.commit()
    return token


def token_actor(session: Session, token: ApiToken) -> Actor:
    product_ids = None
    if token.product_scoped:
        product_ids = frozenset(session.scalars(sa.select(ApiTokenProduct.product_id).where(
            ApiTokenProduct.token_id == token.id)))
    return Actor(vendor_id=token.vendor_id, role=token.role,
                 label=f"token:{token.name} ({token.prefix}…)", product_ids=product_ids)


def list_tokens(session: Session, vendor_id: int) -> list[ApiToken]:
    return list(session.scalars(sa.select(ApiToken).where(ApiToken.vendor_id == vendor_id)
                                .order_by(ApiToken.revoked_at.is_not(None),
                                          ApiToken.created_at.desc())))


def scope_slugs(session: Session, token: ApiToken) -> list[str]:
    """The slugs of the products a scoped token is limited to (for display)."""
    return list(session.scalars(
        sa.select(Product.slug).join(ApiTokenProduct, ApiTokenProduct.product_id == Product.id)
        .where(ApiTokenProduct.token_id == token.id).order_by(Product.slug)))

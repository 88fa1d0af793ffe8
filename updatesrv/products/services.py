from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..accounts.services import EMAIL_RE, Actor
from ..audit import services as audit
from ..db import utcnow
from ..errors import InvalidInput
from ..feeds import FORMATS
from ..i18n.content import parse_locale, parse_offered
from ..signing import parse_public_key
from ..textinput import check_text
from ..versioning import lock_for_edit
from ..versions import parse_slug, parse_version
from .errors import ProductExists, ProductNotFound
from .models import Product, SigningKey
from .platforms import parse_declared, platform_name

MAX_NAME = 200
NOTICE_PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9]{0,11}\Z")
EDITABLE_FIELDS = ("name", "minimum_supported_version", "signing_keys", "support_url",
                   "support_email", "notice_prefix", "platforms", "feed_formats",
                   "default_locale", "offered_locales", "failure_reports",
                   "failure_alarm")


def parse_feed_formats(value: object) -> list[str]:
    if not isinstance(value, list) or any(v not in FORMATS for v in value):
        raise InvalidInput(f"feed_formats must be a list drawn from {', '.join(FORMATS)}",
                           field="feed_formats")
    return [f for f in FORMATS if f in value]


def default_notice_prefix(slug: str) -> str:
    letters = re.sub(r"[^a-z0-9]", "", slug).upper()
    prefix = letters[:4] or "ISSUE"
    return prefix if prefix[0].isalpha() else "N" + prefix[:3]


def _prefix_in_use(session: Session, prefix: str, product_id: int | None) -> bool:
    """Notice ids are unique server-wide, so a prefix is taken while another product has it
    or once another product's notices carry it (a product may have changed prefix since)."""
    from ..notices.models import Notice

    others = Product.id != product_id if product_id is not None else sa.true()
    return session.scalar(sa.select(sa.exists().where(
        Product.notice_prefix == prefix, others))) or session.scalar(sa.select(sa.exists().where(
            Notice.public_id.like(f"{prefix}-%"), Notice.product_id != product_id
            if product_id is not None else sa.true()))) or False


def free_notice_prefix(session: Session, slug: str) -> str:
    base = default_notice_prefix(slug)
    candidate = base
    number = 2
    while _prefix_in_use(session, candidate, None):
        candidate = f"{base[:12 - len(str(number))]}{number}"
        number += 1
    return candidate


def _check_prefix_free(session: Session, prefix: str, product_id: int | None) -> str:
    if _prefix_in_use(session, prefix, product_id):
        raise InvalidInput(f"notice_prefix {prefix} is already used by another product's "
                           "notice ids; notice ids are unique on this server, so pick another "
                           f"(e.g. {free_notice_prefix(session, prefix.lower())})",
                           field="notice_prefix")
    return prefix


def bump_catalog(session: Session, product_id: int) -> None:
    """Atomic increment in the caller's transaction: caches in every process notice."""
    session.execute(sa.update(Product).where(Product.id == product_id)
                    .values(catalog_revision=Product.catalog_revision + 1))


def _parse_name(value: object) -> str:
    return check_text(value, "name", MAX_NAME, required=True, single_line=True)


def _parse_optional_version(value: object, field: str) -> str | None:
    if value is None or value == "":
        return None
    return str(parse_version(value, field))


def _parse_support_url(value: object) -> str | None:
    if value is None or value == "":
        return None
    value = check_text(value, "support_url", 500, single_line=True)
    if not re.match(r"^https?://\S+$", value):
        raise InvalidInput("support_url must be an http(s) URL", field="support_url")
    return value


def _parse_support_email(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not EMAIL_RE.match(value) or len(value) > 254:
        raise InvalidInput("support_email must be an e-mail address", field="support_email")
    return value


def _parse_notice_prefix(value: object) -> str:
    if not isinstance(value, str) or not NOTICE_PREFIX_RE.match(value):
        raise InvalidInput("notice_prefix must be 1-12 capital letters or digits, starting with "
                           "a letter (e.g. LEDG)", field="notice_prefix")
    return value


def product_to_dict(product: Product) -> dict[str, Any]:
    return {
        "slug": product.slug,
        "name": product.name,
        "channels": list(product.channels),
        "minimum_supported_version": product.minimum_supported_version,
        "support_url": product.support_url,
        "support_email": product.support_email,
        "notice_prefix": product.notice_prefix,
        "signing_keys": [k.public_key for k in product.active_signing_keys],
        "platforms": [{"id": p["id"], "name": platform_name(product, str(p["id"]))}
                      for p in product.platforms or ()],
        "demo": product.is_demo,
        "feed_formats": list(product.feed_formats or []),
        "default_locale": product.default_locale,
        "offered_locales": list(product.offered_locales or []),
        "failure_reports": product.failure_reports,
        "failure_alarm": {"installs": product.failure_alarm_installs,
                          "percent": product.failure_alarm_percent},
    }


def create_product(session: Session, actor: Actor, data: dict[str, Any]) -> Product:
    actor.require("owner")
    unknown = set(data) - {"slug", *EDITABLE_FIELDS}
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    slug = parse_slug(data.get("slug"))
    fields = {
        "vendor_id": actor.vendor_id, "slug": slug, "name": _parse_name(data.get("name")),
        "minimum_supported_version": _parse_optional_version(
            data.get("minimum_supported_version"), "minimum_supported_version"),
        "support_url": _parse_support_url(data.get("support_url")),
        "support_email": _parse_support_email(data.get("support_email")),
        "platforms": parse_declared(data["platforms"]) if "platforms" in data else [],
        "feed_formats": parse_feed_formats(data.get("feed_formats", [])),
    }
    default_locale = parse_locale(data.get("default_locale", "en"), "default_locale")
    fields["default_locale"] = default_locale
    fields["offered_locales"] = parse_offered(data.get("offered_locales", []), default_locale)
    keys = _parse_keys(data.get("signing_keys", []))
    chosen = _parse_notice_prefix(data["notice_prefix"]) if data.get("notice_prefix") else None
    # Two products created at once may both pick the same free default prefix: the unique
    # index lets one win, and the other picks again.
    for attempt in range(5):
        prefix = (_check_prefix_free(session, chosen, None) if chosen
                  else free_notice_prefix(session, slug))
        product = Product(**fields, notice_prefix=prefix,
                          signing_keys=[SigningKey(public_key=k) for k in keys])
        if "failure_reports" in data or "failure_alarm" in data:
            from ..reports.services import apply_settings

            apply_settings(product, data)
        session.add(product)
        try:
            session.flush()
            break
        except IntegrityError:
            session.rollback()
            if session.scalar(sa.select(Product.id).where(Product.slug == slug)) is not None:
                raise ProductExists(f"a product with slug {slug!r} already exists",
                                    field="slug") from None
            if chosen or attempt == 4:
                raise ProductExists("another product took this notice prefix a moment ago; "
                                    "pick another", field="notice_prefix") from None
    audit.record(session, vendor_id=actor.vendor_id, actor=actor.label, action="product.create",
                 object_type="product", object_key=slug, after=product_to_dict(product))
    session.commit()
    return product


def _parse_keys(value: object) -> list[str]:
    if not isinstance(value, list):
        raise InvalidInput("signing_keys must be a list of base64 Ed25519 public keys",
                           field="signing_keys")
    keys = [parse_public_key(v) for v in value]
    return list(dict.fromkeys(keys))


def update_product(session: Session, actor: Actor, product: Product,
                   changes: dict[str, Any], *, if_match: set[int] | None = None) -> Product:
    """Applies a partial update. ``signing_keys`` is the complete list of keys that should
    be active: keys missing from it are retired (kept, for history), new ones added.
    ``if_match``: the row versions the editor saw (412 when the product changed since)."""
    if product.vendor_id != actor.vendor_id:
        raise ProductNotFound(f"no product {product.slug!r}")
    actor.require("owner")
    lock_for_edit(session, product, if_match)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown or read-only field(s): {', '.join(sorted(unknown))}")
    before = product_to_dict(product)
    if "name" in changes:
        product.name = _parse_name(changes["name"])
    if "minimum_supported_version" in changes:
        product.minimum_supported_version = _parse_optional_version(
            changes["minimum_supported_version"], "minimum_supported_version")
    if "support_url" in changes:
        product.support_url = _parse_support_url(changes["support_url"])
    if "support_email" in changes:
        product.support_email = _parse_support_email(changes["support_email"])
    if "notice_prefix" in changes:
        product.notice_prefix = _check_prefix_free(
            session, _parse_notice_prefix(changes["notice_prefix"]), product.id)
    if "platforms" in changes:
        product.platforms = parse_declared(changes["platforms"])
    if "feed_formats" in changes:
        product.feed_formats = parse_feed_formats(changes["feed_formats"])
    if "default_locale" in changes:
        product.default_locale = parse_locale(changes["default_locale"], "default_locale")
    if "default_locale" in changes or "offered_locales" in changes:
        product.offered_locales = parse_offered(
            changes.get("offered_locales", product.offered_locales or []),
            product.default_locale)
    if "failure_reports" in changes or "failure_alarm" in changes:
        from ..reports.services import apply_settings

        apply_settings(product, changes)
    if "signing_keys" in changes:
        wanted = _parse_keys(changes["signing_keys"])
        now = utcnow()
        by_key = {k.public_key: k for k in product.signing_keys}
        for key in product.active_signing_keys:
            if key.public_key not in wanted:
                key.retired_at = now
        for key_text in wanted:
            existing = by_key.get(key_text)
            if existing is None:
                product.signing_keys.append(SigningKey(public_key=key_text))
            else:
                existing.retired_at = None
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ProductExists("another product took this notice prefix a moment ago; pick "
                            "another", field="notice_prefix") from None
    after = product_to_dict(product)
    if after != before:
        bump_catalog(session, product.id)
        audit.record(session, vendor_id=actor.vendor_id, actor=actor.label,
                     action="product.update", object_type="product", object_key=product.slug,
                     before=before, after=after)
    session.commit()
    return product


def add_signing_key(session: Session, actor: Actor, product: Product,
                    public_key: str) -> Product:
    """Adds one key to the keys active now (read under the row lock, so two owners adding
    keys at once both keep theirs)."""
    actor.require("owner")
    lock_for_edit(session, product)
    keys = [k.public_key for k in product.active_signing_keys] + [public_key.strip()]
    return update_product(session, actor, product, {"signing_keys": keys})


def retire_signing_key(session: Session, actor: Actor, product: Product, key_id: int,
                       *, if_match: set[int] | None = None) -> Product:
    """Retires one key; ``if_match`` names the key's row version the owner saw."""
    actor.require("owner")
    lock_for_edit(session, product)
    key = next((k for k in product.signing_keys if k.id == key_id), None)
    if key is None:
        raise ProductNotFound("no such signing key")
    lock_for_edit(session, key, if_match)
    keys = [k.public_key for k in product.active_signing_keys if k.id != key_id]
    return update_product(session, actor, product, {"signing_keys": keys})


def get_product(session: Session, slug: str, *, vendor_id: int | None = None) -> Product:
    """A product by slug; with ``vendor_id``, another vendor's product is 'not found'."""
    stmt = sa.select(Product).where(Product.slug == slug).options(
        selectinload(Product.signing_keys))
    product = session.scalar(stmt)
    if product is None or (vendor_id is not None and product.vendor_id != vendor_id):
        raise ProductNotFound(f"no product {slug!r}")
    return product


def list_products(session: Session, vendor_id: int) -> list[Product]:
    return list(session.scalars(sa.select(Product).where(Product.vendor_id == vendor_id)
                                .order_by(Product.name)))


def list_all_public_products(session: Session) -> list[Product]:
    return list(session.scalars(sa.select(Product).order_by(Product.name)))

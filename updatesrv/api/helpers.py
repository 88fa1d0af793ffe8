from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, g, request

from ..accounts.services import Actor
from ..accounts.tokens import authenticate_token, token_actor
from ..db import db
from ..errors import InvalidInput, Unauthorized
from ..products.errors import ProductNotFound
from ..products.models import Product
from ..products.services import get_product
from ..ratelimit.services import client_key
from ..textinput import check_json_strings
from ..versioning import etag as versioned_etag
from ..versioning import parse_if_match

F = TypeVar("F", bound=Callable[..., Any])


def base_url() -> str:
    # request.host_url re-parses the whole URL; scheme and host are all we need.
    return compose_base_url(current_app.config.get("BASE_URL"), request.scheme,
                            lambda: request.host, request.root_path)


def compose_base_url(configured: object, scheme: str, host: Callable[[], str],
                     root_path: str) -> str:
    """BASE_URL when configured, else the server's own URL as the request reached it
    (``host`` is only asked for then). The Flask views and the check's fast lane share it."""
    if configured:
        return str(configured).rstrip("/")
    return f"{scheme}://{host()}{root_path}".rstrip("/")


def json_body() -> dict[str, Any]:
    if not request.is_json:
        raise InvalidInput("send a JSON object with Content-Type: application/json")
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    check_json_strings(body)
    return body


def encode_json(body: Any) -> tuple[bytes, str]:
    """The body's bytes and their ETag (a hash of the bytes, so it changes exactly when the
    answer does, including when a scheduled release becomes visible)."""
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return payload, hashlib.sha256(payload).hexdigest()[:32]


def if_match_versions() -> set[int] | None:
    """The row versions an If-Match header names; None when there is none (then a PATCH
    applies to whatever is current, as scripts expect)."""
    if "If-Match" not in request.headers:
        return None
    return parse_if_match(request.if_match.as_set(), request.if_match.star_tag)


def json_response(body: Any, status: int = 200, *, cache_seconds: int | None = None,
                  conditional: bool = False, encoded: tuple[bytes, str] | None = None,
                  row_version: int | None = None) -> Response:
    """``row_version``: the answer shows an editable row; its ETag then starts with the
    row's version, which is what If-Match on a PATCH is checked against."""
    payload, etag = encoded or encode_json(body)
    if row_version is not None:
        etag = versioned_etag(row_version, etag)
    response = Response(payload, status=status, mimetype="application/json")
    if cache_seconds is not None:
        response.headers["Cache-Control"] = f"public, max-age={cache_seconds}"
    else:
        response.headers["Cache-Control"] = "no-store"
    if conditional or row_version is not None:
        response.set_etag(etag)
    if conditional and request.if_none_match.contains_weak(etag):
        response.status_code = 304
        response.set_data(b"")
        del response.headers["Content-Type"]
    return response


def bearer_actor(optional: bool = False) -> Actor | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        if optional:
            return None
        raise Unauthorized("send an API token as 'Authorization: Bearer <token>' "
                           "(create one with 'updatesrv create-token VENDOR' or in the console)")
    address = client_key(str(current_app.config["SECRET_KEY"]), "token-use",
                         request.remote_addr).partition(":")[2]
    found = authenticate_token(db.session, token.strip(), address)
    if found is None:
        if optional:
            return None
        raise Unauthorized("the API token is unknown or revoked")
    return token_actor(db.session, found)


def token_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.actor = bearer_actor()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def current_actor() -> Actor:
    """The vendor token's actor, set by ``token_required``."""
    actor: Actor = g.actor
    return actor


def own_product(slug: str) -> Product:
    """The product ``slug`` of the token's vendor and scope (404 for any other, exactly as
    if it did not exist)."""
    actor = current_actor()
    product = get_product(db.session, slug, vendor_id=actor.vendor_id)
    if not actor.covers(product.vendor_id, product.id):
        raise ProductNotFound(f"no product {slug!r}")
    return product


def covers(actor: Actor | None, product: Product) -> bool:
    """Whether an optional bearer token may see ``product``'s drafts and hidden parts."""
    return actor is not None and actor.covers(product.vendor_id, product.id)

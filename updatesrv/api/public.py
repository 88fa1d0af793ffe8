from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from .. import runtime
from ..db import db, utcnow
from ..errors import NotFound
from ..notices.services import get_notice, notice_to_dict
from ..paging import page_args
from ..products.services import get_product
from ..releases.services import get_release, release_to_dict, releases_page
from ..updates.catalog import Catalog
from ..updates.decision import UpdateQuery, decide
from ..updates.response import notice_body
from ..versions import parse_version
from .check import answer_check, catalog_of, channel_arg, platform_arg
from .helpers import base_url, bearer_actor, covers, json_response

bp = Blueprint("api_public", __name__, url_prefix="/api/v1")
MAX_PER_PAGE = 100


def _catalog(product: str) -> Catalog:
    return catalog_of(runtime(current_app).catalogs, product)


def _channel(catalog: Catalog) -> str:
    return channel_arg(catalog, request.args)


def _platform(catalog: Catalog) -> str | None:
    return platform_arg(catalog, request.args)


@bp.get("/products/<product>/check")
def check(product: str) -> Response:
    """Served by the WSGI fast lane (fastlane.py) for well-formed GETs; this view renders the
    same answer for the rest (HEAD, invalid input as problem+json)."""
    reply = answer_check(runtime(current_app), current_app.config, product, request.args,
                         base_url(), request.headers.get("If-None-Match"))
    response = Response(reply.body, status=reply.status, headers=reply.headers)
    if reply.status == 304:
        del response.headers["Content-Type"]
    return response


@bp.get("/keys")
def server_keys() -> Response:
    """The public keys that sign check answers (docs/operating/keys.md)."""
    return json_response({"keys": runtime(current_app).keyring.published()},
                         cache_seconds=int(current_app.config["CHECK_MAX_AGE"]),
                         conditional=True)


@bp.get("/products/<product>")
def product_info(product: str) -> Response:
    catalog = _catalog(product)
    now = utcnow()
    latest: dict[str, str | None] = {}
    for channel in catalog.channels:
        latest[channel] = next(
            (r.version_text for r in catalog.releases
             if r.channel == channel and not r.yanked and r.visible_at(now)), None)
    body = {"slug": catalog.slug, "name": catalog.name, "channels": list(catalog.channels),
            "latest": latest,
            "minimum_supported_version": (str(catalog.minimum_supported)
                                          if catalog.minimum_supported else None),
            "support_url": catalog.support_url, "support_email": catalog.support_email,
            "url": f"{base_url()}/p/{catalog.slug}/"}
    return json_response(body, cache_seconds=int(current_app.config["CHECK_MAX_AGE"]),
                         conditional=True, row_version=catalog.product_row_version)


def _page_args() -> tuple[int, int]:
    paging = page_args(request.args, per_page=20, max_per_page=MAX_PER_PAGE)
    return paging.page, paging.per_page


def paginated(items: list[object], total: int, page: int, per_page: int,
              url: str) -> dict[str, object]:
    """``items`` is the requested page already; ``total`` counts every item."""
    last_page = max(1, -(-total // per_page))
    return {
        "page": page, "per_page": per_page, "total": total, "pages": last_page,
        "next": f"{url}?page={page + 1}&per_page={per_page}" if page < last_page else None,
        "prev": f"{url}?page={page - 1}&per_page={per_page}" if page > 1 else None,
        "items": items,
    }


@bp.get("/products/<product>/releases")
def releases(product: str) -> Response:
    page, per_page = _page_args()
    actor = bearer_actor(optional=True)
    prod = get_product(db.session, product)
    include_hidden = covers(actor, prod)
    channel = request.args.get("channel") or None
    rows, total = releases_page(db.session, prod, page, per_page,
                                include_hidden=include_hidden, channel=channel,
                                catalog=None if include_hidden else _catalog(product))
    base = base_url()
    items: list[object] = [release_to_dict(r, base) for r in rows]
    return json_response(paginated(items, total, page, per_page,
                                   f"{base}/api/v1/products/{product}/releases"))


@bp.get("/products/<product>/releases/<version>")
def release_detail(product: str, version: str) -> Response:
    """Public for published releases; a token of the owning vendor also sees drafts."""
    actor = bearer_actor(optional=True)
    prod = get_product(db.session, product)
    release = get_release(db.session, prod, version)
    owner = covers(actor, prod)
    if not owner and not release.visible_at(utcnow()):
        raise NotFound(f"{product} has no release {version!r}")
    return json_response(release_to_dict(release, base_url()), row_version=release.row_version)


@bp.get("/products/<product>/notices")
def notices(product: str) -> Response:
    """The check's notice selection without an update check: for launchers, installers and
    support pages. Without ``version``, every notice that is not withdrawn."""
    catalog = _catalog(product)
    channel = _channel(catalog)
    platform = _platform(catalog)
    raw_version = request.args.get("version")
    base = base_url()
    now = utcnow()
    locale = catalog.match_locale(request.args.get("locale"))
    if raw_version:
        version = parse_version(raw_version)
        decision = decide(UpdateQuery(version=version, channel=channel, platform=platform,
                                      now=now), catalog)
        body = {"product": catalog.slug, "version": str(version), "channel": channel,
                "update": decision.update.release.version_text if decision.update else None,
                "notices": [notice_body(n, decision, catalog, base, locale=locale)
                            for n in decision.notices]}
    else:
        body = {"product": catalog.slug, "version": None, "channel": channel, "update": None,
                "notices": [notice_body(n, None, catalog, base, now, locale=locale)
                            for n in catalog.notices]}
    return json_response(body, cache_seconds=int(current_app.config["CHECK_MAX_AGE"]),
                         conditional=True)


@bp.get("/products/<product>/notices/<notice_id>")
def notice_detail(product: str, notice_id: str) -> Response:
    """Public for published notices; a token of the owning vendor also sees drafts and
    the safeguard hold (which may name a draft or scheduled release), never cached."""
    prod = get_product(db.session, product)
    actor = bearer_actor(optional=True)
    owner = covers(actor, prod)
    notice = get_notice(db.session, prod, notice_id, include_drafts=owner)
    if owner:
        return json_response(notice_to_dict(notice, base_url(), vendor=True),
                             row_version=notice.row_version)
    return json_response(notice_to_dict(notice, base_url()),
                         cache_seconds=int(current_app.config["CHECK_MAX_AGE"]),
                         conditional=True, row_version=notice.row_version)

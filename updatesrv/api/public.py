from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from flask import Blueprint, Response, current_app, request

from .. import runtime
from ..db import db, utcnow
from ..errors import InvalidInput, NotFound
from ..notices.services import get_notice, notice_to_dict
from ..paging import page_args
from ..products.services import get_product
from ..releases.services import get_release, release_to_dict, releases_page
from ..trust.statements import sign_check
from ..updates.catalog import CachedAnswer, Catalog
from ..updates.decision import UpdateQuery, decide, in_rollout
from ..updates.response import check_body, notice_body
from ..versions import parse_platform, parse_version
from .helpers import base_url, bearer_actor, encode_json, json_response

bp = Blueprint("api_public", __name__, url_prefix="/api/v1")

INSTALL_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
SHOWN_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}:[0-9]{1,9}$")
MAX_SHOWN = 50


def _shown() -> tuple[tuple[str, int], ...]:
    """``shown=ID:REV,ID:REV``: notices the app displayed since its last check (the
    client queues these acknowledgements and sends them with the next check)."""
    raw = request.args.get("shown")
    if not raw:
        return ()
    items = raw.split(",")
    if len(items) > MAX_SHOWN or not all(SHOWN_RE.match(item) for item in items):
        raise InvalidInput(f"shown must be up to {MAX_SHOWN} NOTICE-ID:REVISION pairs "
                           "separated by commas", field="shown")
    return tuple((i.rsplit(":", 1)[0], int(i.rsplit(":", 1)[1])) for i in items)
MAX_PER_PAGE = 100
# A cached signed statement is re-dated at least this often (and after a tenth of its TTL).
RESIGN_AFTER = dt.timedelta(hours=1)


def _catalog(product: str) -> Catalog:
    catalog = runtime(current_app).catalogs.get(product)
    if catalog is None:
        # Naming the product lets clients tell "no such product" from a wrong server URL.
        raise NotFound(f"no product {product!r}", product=product)
    return catalog


def _channel(catalog: Catalog) -> str:
    channel = request.args.get("channel") or catalog.channels[0]
    if channel not in catalog.channels:
        raise InvalidInput(f"channel must be one of {', '.join(catalog.channels)}; "
                           f"got {channel!r}", field="channel")
    return channel


def _platform() -> str | None:
    value = request.args.get("platform")
    return parse_platform(value) if value else None


@bp.get("/products/<product>/check")
def check(product: str) -> Response:
    version = parse_version(request.args.get("version"))
    catalog = _catalog(product)
    channel = _channel(catalog)
    platform = _platform()
    install_id = request.args.get("install_id") or None
    if install_id is not None and not INSTALL_ID_RE.match(install_id):
        raise InvalidInput("install_id must be 1-128 characters of letters, digits, '_', '.', "
                           "':' or '-'", field="install_id")
    now = utcnow()
    base = base_url()
    # Answers are cached per catalog (Balrog's approach): the key holds everything else the
    # decision reads, so a hit is exactly what deciding again would produce.
    interval = int(current_app.config["CHECK_INTERVAL"])
    key = (*catalog.answer_key(version, channel, platform, install_id, base, now, in_rollout),
           interval)
    answer = catalog.answer_memo.get(key)
    if answer is None:
        decision = decide(UpdateQuery(version=version, channel=channel, platform=platform,
                                      install_id=install_id, now=now), catalog)
        answer = CachedAnswer(*encode_json(check_body(decision, catalog, channel, base,
                                                      interval)))
        catalog.remember_answer(key, answer)
    rt = runtime(current_app)
    if rt.keyring and (answer.signed is None or now >= answer.signed.resign_at):
        # Signed once per cached answer and re-dated now and then, not per request.
        ttl = dt.timedelta(seconds=int(current_app.config["CHECK_SIGNATURE_TTL"]))
        answer = replace(answer, signed=sign_check(
            rt.keyring, product=catalog.slug, version=str(version), channel=channel,
            platform=platform, body=answer.payload, serial=catalog.revision, now=now, ttl=ttl,
            resign_after=RESIGN_AFTER))
        catalog.remember_answer(key, answer)
    shown = _shown()
    # Reach: which notices this answer told the install about (same selection as decide()).
    told = (tuple(n.public_id for n in catalog.notices_for(version, channel, platform))
            if install_id else ())
    rt.recorder.record(catalog.product_id, str(version), channel, platform, install_id, now,
                       told=told, shown=shown)
    response = json_response(None, cache_seconds=int(current_app.config["CHECK_MAX_AGE"]),
                             conditional=True, encoded=(answer.payload, answer.etag))
    if answer.signed is not None:
        # On a 304 too: a freshly dated statement re-validates the client's cached body.
        response.headers["Updatesrv-Statement"] = answer.signed.statement
        response.headers["Updatesrv-Signature"] = answer.signed.signature
    return response


@bp.get("/keys")
def server_keys() -> Response:
    """The public keys that sign check answers (see the README's "Trust" section)."""
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
    include_hidden = actor is not None and actor.vendor_id == prod.vendor_id
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
    owner = actor is not None and actor.vendor_id == prod.vendor_id
    if not owner and not release.visible_at(utcnow()):
        raise NotFound(f"{product} has no release {version!r}")
    return json_response(release_to_dict(release, base_url()), row_version=release.row_version)


@bp.get("/products/<product>/notices")
def notices(product: str) -> Response:
    """The check's notice selection without an update check: for launchers, installers and
    support pages. Without ``version``, every notice that is not withdrawn."""
    catalog = _catalog(product)
    channel = _channel(catalog)
    platform = _platform()
    raw_version = request.args.get("version")
    base = base_url()
    now = utcnow()
    if raw_version:
        version = parse_version(raw_version)
        decision = decide(UpdateQuery(version=version, channel=channel, platform=platform,
                                      now=now), catalog)
        body = {"product": catalog.slug, "version": str(version), "channel": channel,
                "update": decision.update.release.version_text if decision.update else None,
                "notices": [notice_body(n, decision, catalog, base) for n in decision.notices]}
    else:
        body = {"product": catalog.slug, "version": None, "channel": channel, "update": None,
                "notices": [notice_body(n, None, catalog, base, now) for n in catalog.notices]}
    return json_response(body, cache_seconds=int(current_app.config["CHECK_MAX_AGE"]),
                         conditional=True)


@bp.get("/products/<product>/notices/<notice_id>")
def notice_detail(product: str, notice_id: str) -> Response:
    """Public for published notices; a token of the owning vendor also sees drafts and
    the safeguard hold (which may name a draft or scheduled release), never cached."""
    prod = get_product(db.session, product)
    actor = bearer_actor(optional=True)
    owner = actor is not None and actor.vendor_id == prod.vendor_id
    notice = get_notice(db.session, prod, notice_id, include_drafts=owner)
    if owner:
        return json_response(notice_to_dict(notice, base_url(), vendor=True),
                             row_version=notice.row_version)
    return json_response(notice_to_dict(notice, base_url()),
                         cache_seconds=int(current_app.config["CHECK_MAX_AGE"]),
                         conditional=True, row_version=notice.row_version)

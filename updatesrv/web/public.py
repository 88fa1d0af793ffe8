"""Public, server-rendered pages and feeds: no login, no JavaScript needed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from packaging.version import Version

from .. import runtime
from ..api.helpers import base_url, json_response
from ..db import db, utcnow
from ..errors import InvalidInput, NotFound
from ..i18n import gettext
from ..i18n.hints import version_hint
from ..i18n.words import affected_text, status_name
from ..notices.links import notices_for_release, releases_for_notice
from ..notices.models import RESOLVED_STATUSES, SEVERITIES, STATUSES, Notice
from ..notices.osv import notice_to_osv
from ..notices.services import affected_in_words, get_notice, list_notices, support_url
from ..paging import page_args
from ..products.models import Product
from ..products.platforms import install_choices
from ..products.services import get_product, list_all_public_products
from ..releases.services import (
    get_release,
    latest_per_channel,
    releases_page,
)
from ..updates.catalog import Catalog, CatalogRelease, catalog_notice
from ..updates.decision import Decision, UpdateQuery, decide
from ..versions import parse_version

bp = Blueprint("public", __name__)
PER_PAGE = 20
NOTICES_PER_PAGE = 25
OPEN_STATUS_ORDER = ("investigating", "confirmed", "workaround")
RECENTLY_FIXED_DAYS = 90


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness for load balancers: answers without touching the database."""
    return {"status": "ok"}


@bp.get("/")
def index() -> str:
    return render_template("public/index.html", products=list_all_public_products(db.session))


def _catalog(product: Product) -> Catalog:
    catalog = runtime(current_app).catalogs.get(product.slug)
    if catalog is None:
        raise NotFound(f"no product {product.slug!r}")
    return catalog


def _page() -> int:
    return page_args(request.args).page


@bp.get("/p/<product>/")
def product_home(product: str) -> str:
    prod = get_product(db.session, product)
    catalog = _catalog(prod)
    latest = latest_per_channel(db.session, prod, catalog)
    open_notices = [n for n in catalog.notices if n.status not in RESOLVED_STATUSES]
    return render_template("public/product.html", product=prod, latest=latest,
                           open_notices=open_notices)


@bp.get("/p/<product>/releases/")
def releases(product: str) -> str:
    prod = get_product(db.session, product)
    page = _page()
    rows, total = releases_page(db.session, prod, page, PER_PAGE, catalog=_catalog(prod))
    pages = max(1, -(-total // PER_PAGE))
    if page > pages:
        abort(404)
    return render_template("public/releases.html", product=prod, releases=rows, page=page,
                           pages=pages)


@bp.get("/p/<product>/releases/<version>")
def release(product: str, version: str) -> str:
    prod = get_product(db.session, product)
    rel = get_release(db.session, prod, version)
    if not rel.visible_at(utcnow()):
        abort(404)
    return render_template("public/release.html", product=prod, release=rel,
                           release_notices=notices_for_release(db.session, prod, rel.version))


def _am_i_affected(prod: Product, catalog: Catalog) -> dict[str, Any] | None:
    """The 'Am I affected?' box: a GET form, so support staff can send the link."""
    raw_version = request.args.get("version", "").strip()
    if not raw_version:
        return None
    result: dict[str, Any] = {"version": raw_version, "error": None}
    # Plain words for people who are not developers: no rule names, no patterns.
    try:
        version = parse_version(raw_version)
    except InvalidInput:
        result["error"] = version_hint(raw_version)
        return result
    raw_platform = request.args.get("platform", "").strip()
    try:
        platform = catalog.reported_platform(raw_platform or None)
    except InvalidInput:
        result["error"] = gettext("Choose your computer from the list, or “I don't know”.")
        return result
    channel = request.args.get("channel") or catalog.channels[0]
    if channel not in catalog.channels:
        result["error"] = gettext("Choose one of the listed release channels.")
        return result
    decision: Decision = decide(UpdateQuery(version=version, channel=channel, platform=platform,
                                            now=utcnow()), catalog)
    result.update(decision=decision, platform=platform, channel=channel,
                  notices=decision.notices)
    return result


@bp.get("/p/<product>/known-issues/")
def known_issues(product: str) -> str:
    prod = get_product(db.session, product)
    catalog = _catalog(prod)
    affected = _am_i_affected(prod, catalog)
    status = request.args.get("status") or None
    severity = request.args.get("severity") or None
    platform = request.args.get("platform_filter") or None
    notices = [n for n in list_notices(db.session, prod)
               if (status is None or n.status == status)
               and (severity is None or n.severity == severity)
               and (platform is None or not n.platforms or platform in n.platforms)]
    if status is None:
        notices = [n for n in notices if n.status != "withdrawn"]
    now = utcnow()
    open_rows = sorted((n for n in notices if n.status not in RESOLVED_STATUSES),
                       key=lambda n: (OPEN_STATUS_ORDER.index(n.status),
                                      SEVERITIES.index(n.severity)))
    resolved_rows = sorted((n for n in notices if n.status in RESOLVED_STATUSES),
                           key=lambda n: n.resolved_at or n.updated_at, reverse=True)
    ordered = open_rows + resolved_rows
    page = _page()
    pages = max(1, -(-len(ordered) // NOTICES_PER_PAGE))
    if page > pages:
        abort(404)
    shown = ordered[(page - 1) * NOTICES_PER_PAGE: page * NOTICES_PER_PAGE]
    groups: list[tuple[str, list[Notice]]] = []
    for notice in shown:
        if notice.status in RESOLVED_STATUSES:
            label = (gettext("Recently fixed") if notice.status == "fixed"
                     and notice.resolved_at
                     and now - notice.resolved_at < dt.timedelta(days=RECENTLY_FIXED_DAYS)
                     else gettext("Fixed") if notice.status == "fixed"
                     else gettext("Withdrawn"))
        else:
            label = status_name(notice.status).capitalize()
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append(notice)
    platforms = sorted({p for n in catalog.notices for p in n.platforms})
    platform_choices = install_choices(db.session, prod, platforms)
    return render_template(
        "public/known_issues.html", product=prod, groups=groups, page=page, pages=pages,
        total=len(ordered), affected=affected, statuses=STATUSES, severities=SEVERITIES,
        platforms=platforms, platform_choices=platform_choices,
        filters={"status": status, "severity": severity,
                                      "platform_filter": platform},
        open_count=len(open_rows))


def _fix_release(prod: Product, notice: Notice) -> CatalogRelease | None:
    """The release that makes "fix available" true, by the check's rule: a yanked or
    scheduled fix is none, a later release outside the range is one."""
    return _catalog(prod).fixing_release(catalog_notice(notice), utcnow())


@bp.get("/p/<product>/known-issues/<notice_id>")
def notice_page(product: str, notice_id: str) -> str:
    prod = get_product(db.session, product)
    notice = get_notice(db.session, prod, notice_id)
    return render_template("public/notice.html", product=prod, notice=notice,
                           affected_text=affected_text(notice.affected),
                           fix_release=_fix_release(prod, notice),
                           links=releases_for_notice(db.session, prod, notice),
                           support=support_url(prod))


def _published_versions(prod: Product) -> list[tuple[str, Version]]:
    now = utcnow()
    return [(r.version_text, r.version) for r in _catalog(prod).releases if r.visible_at(now)]


@bp.get("/p/<product>/known-issues/<notice_id>.osv.json")
def notice_osv(product: str, notice_id: str) -> Response:
    prod = get_product(db.session, product)
    notice = get_notice(db.session, prod, notice_id)
    return json_response(notice_to_osv(notice, base_url(), _published_versions(prod)),
                         cache_seconds=300, conditional=True)


@bp.get("/p/<product>/known-issues.osv.json")
def notices_osv(product: str) -> Response:
    prod = get_product(db.session, product)
    versions = _published_versions(prod)
    base = base_url()
    return json_response([notice_to_osv(n, base, versions)
                          for n in list_notices(db.session, prod, with_timeline=True)],
                         cache_seconds=300, conditional=True)


def _atom(template: str, **context: Any) -> Response:
    body = render_template(template, **context)
    return Response(body, mimetype="application/atom+xml",
                    headers={"Cache-Control": "public, max-age=300"})


@bp.get("/p/<product>/known-issues.atom")
def notices_feed(product: str) -> Response:
    prod = get_product(db.session, product)
    notices = list_notices(db.session, prod, with_timeline=True, limit=100)
    updated = max((n.updated_at for n in notices), default=prod.created_at)
    return _atom("public/known_issues.atom.xml", product=prod, notices=notices,
                 updated=updated, base=base_url(), affected_in_words=affected_in_words)


@bp.get("/p/<product>/releases.atom")
def releases_feed(product: str) -> Response:
    prod = get_product(db.session, product)
    rows, _ = releases_page(db.session, prod, 1, 50, catalog=_catalog(prod))
    updated = max((r.updated_at for r in rows), default=prod.created_at)
    return _atom("public/releases.atom.xml", product=prod, releases=rows, updated=updated,
                 base=base_url())

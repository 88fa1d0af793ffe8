"""Public, server-rendered pages: no login, no JavaScript needed."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from ..db import db, utcnow
from ..products.services import get_product
from ..releases.services import get_release, list_releases

bp = Blueprint("public", __name__)
PER_PAGE = 20


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness for load balancers: answers without touching the database."""
    return {"status": "ok"}


@bp.get("/")
def index() -> str:
    from ..products.services import list_all_public_products

    return render_template("public/index.html", products=list_all_public_products(db.session))


@bp.get("/p/<product>/")
def product_home(product: str) -> str:
    prod = get_product(db.session, product)
    releases = list_releases(db.session, prod)
    latest = {}
    for channel in prod.channels:
        latest[channel] = next((r for r in releases if r.channel == channel and not r.yanked),
                               None)
    return render_template("public/product.html", product=prod, latest=latest)


@bp.get("/p/<product>/releases/")
def releases(product: str) -> str:
    prod = get_product(db.session, product)
    page = request.args.get("page", 1, type=int) or 1
    rows = list_releases(db.session, prod)
    pages = max(1, -(-len(rows) // PER_PAGE))
    if page < 1 or page > pages:
        abort(404)
    return render_template("public/releases.html", product=prod,
                           releases=rows[(page - 1) * PER_PAGE: page * PER_PAGE],
                           page=page, pages=pages)


@bp.get("/p/<product>/releases/<version>")
def release(product: str, version: str) -> str:
    prod = get_product(db.session, product)
    rel = get_release(db.session, prod, version)
    if not rel.visible_at(utcnow()):
        abort(404)
    return render_template("public/release.html", product=prod, release=rel)

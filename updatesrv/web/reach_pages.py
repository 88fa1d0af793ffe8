"""Public pages for reach: subscribe forms, the pages confirmation and unsubscribe links
open (a GET only shows a button; the POST changes state, so mail scanners that prefetch
links change nothing), and feedback on notice pages. No JavaScript needed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from ..db import db
from ..errors import UpdatesrvError
from ..feedback.models import KINDS
from ..feedback.services import counts as feedback_counts
from ..feedback.services import leave_message, vote, vote_of
from ..i18n.catalogs import current_locale
from ..notices.models import Notice
from ..notices.services import get_notice, support_url
from ..products.platforms import install_choices
from ..products.services import get_product
from ..ratelimit.services import client_key, hit
from ..subscriptions import services as subs

pages = Blueprint("reach_pages", __name__)
links = Blueprint("reach_links", __name__)
VOTER_COOKIE = "updatesrv_voter"


def mail_enabled() -> bool:
    return bool(current_app.config.get("MAIL_URL"))


def _rate_limit(purpose: str, setting: str) -> None:
    hit(db.session, client_key(str(current_app.config["SECRET_KEY"]), purpose,
                               request.remote_addr), int(current_app.config[setting]))


# -- subscribing -------------------------------------------------------------------------

@pages.route("/p/<product>/subscribe", methods=["GET", "POST"])
def subscribe(product: str) -> Any:
    prod = get_product(db.session, product)
    if not mail_enabled():
        return render_template("public/subscribe.html", product=prod, disabled=True,
                               form={}, error=None, notice=None), 503
    form = request.form if request.method == "POST" else request.args
    choices = install_choices(db.session, prod)
    notice_id = (form.get("notice_id") or "").strip()
    notice = None
    if notice_id:
        try:
            notice = get_notice(db.session, prod, notice_id)
        except UpdatesrvError:
            notice = None
    if request.method == "GET":
        return render_template("public/subscribe.html", product=prod, platform_choices=choices,
                               form=form, error=None, notice=notice)
    data = {k: form.get(k, "") for k in ("email", "notice_id", "version", "platform")}
    data["locale"] = current_locale()  # every mail to them is in the page's language
    try:
        _rate_limit("subscribe", "SUBSCRIBE_RATE_LIMIT")
        subs.subscribe(db.session, prod, data)
    except UpdatesrvError as exc:
        db.session.rollback()
        return render_template("public/subscribe.html", product=prod, platform_choices=choices,
                               form=form, error=exc, notice=notice), exc.status
    return render_template("public/subscribe.html", product=prod, platform_choices=choices,
                           form=form, error=None, notice=notice,
                           sent_to=data["email"].strip()), 202


def _link_page(product: str, action: str, token: str, sub: Any, done: bool = False,
               error: UpdatesrvError | None = None) -> Response:
    prod = get_product(db.session, product)
    response = make_response(render_template(
        "public/subscription_link.html", product=prod, action=action, token=token, sub=sub,
        done=done, error=error), error.status if error else 200)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


@links.get("/p/<product>/subscriptions/confirm")
def confirm_page(product: str) -> Response:
    token = request.args.get("token", "")
    try:
        sub = subs.pending_for_token(db.session, token)
    except UpdatesrvError as exc:
        return _link_page(product, "confirm", token, None, error=exc)
    return _link_page(product, "confirm", token, sub)


@links.post("/p/<product>/subscriptions/confirm")
def confirm_post(product: str) -> Response:
    token = request.form.get("token") or request.args.get("token", "")
    try:
        sub = subs.confirm(db.session, token)
    except UpdatesrvError as exc:
        return _link_page(product, "confirm", token, None, error=exc)
    return _link_page(product, "confirm", token, sub, done=True)


@links.get("/p/<product>/subscriptions/unsubscribe")
def unsubscribe_page(product: str) -> Response:
    token = request.args.get("token", "")
    try:
        sub = subs.by_unsubscribe_token(db.session, str(current_app.config["SECRET_KEY"]),
                                        token)
    except UpdatesrvError as exc:
        return _link_page(product, "unsubscribe", token, None, error=exc)
    return _link_page(product, "unsubscribe", token, sub, done=sub.status == "unsubscribed")


@links.post("/p/<product>/subscriptions/unsubscribe")
def unsubscribe_post(product: str) -> Response:
    """RFC 8058 one-click: mail clients POST ``List-Unsubscribe=One-Click`` to the URL in
    the List-Unsubscribe header, without cookies; the form on the page posts here too."""
    token = request.args.get("token") or request.form.get("token", "")
    try:
        sub = subs.unsubscribe(db.session, str(current_app.config["SECRET_KEY"]), token)
    except UpdatesrvError as exc:
        return _link_page(product, "unsubscribe", token, None, error=exc)
    return _link_page(product, "unsubscribe", token, sub, done=True)


# -- feedback ----------------------------------------------------------------------------

def _voter_id() -> tuple[str, bool]:
    raw = request.cookies.get(VOTER_COOKIE, "")
    if len(raw) == 32 and raw.isalnum():
        return raw, False
    return secrets.token_hex(16), True


def _voter_hash(raw: str) -> str:
    key = f"updatesrv-voter:{current_app.config['SECRET_KEY']}".encode()
    return "browser:" + hmac.new(key, raw.encode(), hashlib.sha256).hexdigest()[:40]


def page_feedback(notice: Notice) -> dict[str, Any]:
    """For the notice page: counts and this browser's vote."""
    raw = request.cookies.get(VOTER_COOKIE, "")
    mine = vote_of(db.session, notice, _voter_hash(raw)) if raw else None
    return {"counts": feedback_counts(db.session, [notice.id])[notice.id], "mine": mine,
            "kinds": KINDS}


@pages.post("/p/<product>/known-issues/<notice_id>/vote")
def vote_post(product: str, notice_id: str) -> Any:
    prod = get_product(db.session, product)
    notice = get_notice(db.session, prod, notice_id)
    raw, new = _voter_id()
    _rate_limit("feedback", "FEEDBACK_RATE_LIMIT")
    kind = vote(db.session, notice, _voter_hash(raw), request.form.get("kind"), "page")
    target = (url_for("reach_pages.feedback_message", product=prod.slug,
                      notice_id=notice.public_id) if kind == "workaround_failed"
              else url_for("public.notice_page", product=prod.slug,
                           notice_id=notice.public_id, voted=kind) + "#feedback")
    response = redirect(target, 303)
    if new:
        response.set_cookie(VOTER_COOKIE, raw, max_age=365 * 86400, httponly=True,
                            samesite="Lax", secure=request.is_secure)
    return response


@pages.route("/p/<product>/known-issues/<notice_id>/feedback", methods=["GET", "POST"])
def feedback_message(product: str, notice_id: str) -> Any:
    prod = get_product(db.session, product)
    notice = get_notice(db.session, prod, notice_id)
    context: dict[str, Any] = {"product": prod, "notice": notice, "support": support_url(prod),
               "form": request.form, "error": None, "sent": False}
    if request.method == "POST":
        try:
            _rate_limit("feedback", "FEEDBACK_RATE_LIMIT")
            leave_message(db.session, notice, {"message": request.form.get("message", ""),
                                               "email": request.form.get("email", "")},
                          mail_on=mail_enabled())
            context["sent"] = True
        except UpdatesrvError as exc:
            db.session.rollback()
            context["error"] = exc
            return render_template("public/feedback_message.html", **context), exc.status
    return render_template("public/feedback_message.html", **context)


def register_reach_pages(app: Flask) -> None:
    app.register_blueprint(pages)
    app.register_blueprint(links)
    app.jinja_env.globals["mail_enabled"] = mail_enabled
    app.jinja_env.globals["page_feedback"] = page_feedback

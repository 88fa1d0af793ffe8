from __future__ import annotations

import datetime as dt

from flask import Flask, Response
from markupsafe import Markup

from ..markdown import render_markdown
from ..notices.services import affected_in_words
from ..products.platforms import platform_name
from ..timeutil import rfc3339
from .downloads import bp as downloads_bp
from .public import bp as public_bp
from .reach_pages import register_reach_pages


def _time_element(value: dt.datetime | None) -> Markup:
    """A <time> in UTC; static/localtime.js shows it in the viewer's zone."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(
        rfc3339(value), value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))


def _plain(value: object) -> str:
    """Audit values for people: yes/no, — for nothing, lists and maps in short form."""
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """'1 install', '2 installs' (``plural_form`` for irregular nouns)."""
    return f"{count} {noun if count == 1 else plural_form or noun + 's'}"


def register_web(app: Flask) -> None:
    app.register_blueprint(public_bp)
    app.register_blueprint(downloads_bp)
    register_reach_pages(app)
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["affected_in_words"] = affected_in_words
    app.jinja_env.filters["rfc3339"] = rfc3339
    app.jinja_env.filters["date"] = lambda d: d.strftime("%Y-%m-%d") if d else ""
    app.jinja_env.filters["datetime"] = _time_element
    app.jinja_env.filters["plain"] = _plain
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.filters["platform_name"] = lambda pid, product: platform_name(product, pid)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        if response.mimetype == "text/html":
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                "form-action 'self'")
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

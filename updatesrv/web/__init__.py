from __future__ import annotations

from flask import Flask, Response

from ..i18n.words import (
    affected_text,
    error_text,
    error_words,
    platform_text,
    severity_name,
    status_name,
)
from ..markdown import render_markdown
from ..timeutil import rfc3339
from .downloads import bp as downloads_bp
from .public import bp as public_bp
from .reach_pages import register_reach_pages


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
    app.jinja_env.globals["affected_in_words"] = affected_text
    app.jinja_env.globals["error_words"] = error_words
    app.jinja_env.globals["error_text"] = error_text
    app.jinja_env.filters["severity_name"] = severity_name
    app.jinja_env.filters["status_name"] = status_name
    app.jinja_env.filters["rfc3339"] = rfc3339
    app.jinja_env.filters["plain"] = _plain
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.filters["platform_name"] = lambda pid, product: platform_text(product, pid)

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

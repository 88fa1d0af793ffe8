"""CORS for the public, read-only data apps fetch from a webview: the check (fast lane
included), notices, the server keys and feedback. A renderer loaded from ``file://``,
``tauri://`` or ``app://`` must be able to call them, so any origin may.

A WSGI layer, outermost, so the check's fast lane (which answers before Flask) gets the same
headers as the Flask views. Nothing else ever gets CORS headers: the console, the vendor API
and every method a path does not list are answered without them (the browser then refuses),
and no credentials are ever allowed, so a page elsewhere can never act with a vendor's
session or token (``Authorization`` is not an allowed request header)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_SEGMENT = r"[^/]{1,200}"
READ = ("GET", "HEAD")
WRITE = ("POST",)
# Path -> the methods a page elsewhere may use there (HEAD follows GET). One expression, so
# the check (every install, often) pays for one match.
PUBLIC = re.compile(
    rf"/api/v1/(?:(?P<keys>keys)|products/{_SEGMENT}/(?:(?P<check>check)|notices"
    rf"(?:/{_SEGMENT}(?:/(?P<feedback>feedback(?:/messages)?))?)?))")
METHODS = {"keys": READ, "check": READ, "feedback": WRITE}
ALLOWED_HEADERS = ("accept", "accept-language", "content-type", "if-none-match")
# What a script elsewhere may read: the signature headers, the ETag for revalidation, and
# Retry-After on a 429/503.
EXPOSED = "ETag, Updatesrv-Statement, Updatesrv-Signature, Retry-After"
PREFLIGHT_MAX_AGE = "86400"
CORS_HEADERS = (("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", EXPOSED))


def public_methods(path: str) -> tuple[str, ...]:
    if not path.startswith("/api/v1/"):
        return ()
    match = PUBLIC.fullmatch(path)
    if match is None:
        return ()
    return METHODS.get(match.lastgroup or "", READ)  # no named group: the notices


def _requested_headers(environ: WSGIEnvironment) -> set[str]:
    raw = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")
    return {h.strip().lower() for h in raw.split(",") if h.strip()}


class PublicCors:
    def __init__(self, next_app: WSGIApplication) -> None:
        self.app = next_app  # named as ProxyFix names it, so layers can be walked

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        methods = public_methods(environ.get("PATH_INFO", ""))
        method = environ.get("REQUEST_METHOD", "")
        if not methods:
            return self.app(environ, start_response)
        if method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            asked = environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"].upper()
            if asked in methods and _requested_headers(environ) <= set(ALLOWED_HEADERS):
                start_response("204 No Content", [
                    ("Access-Control-Allow-Origin", "*"),
                    ("Access-Control-Allow-Methods", ", ".join(methods)),
                    ("Access-Control-Allow-Headers", ", ".join(ALLOWED_HEADERS)),
                    ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE),
                    ("Content-Length", "0")])
                return [b""]
            # Not allowed from elsewhere: Flask answers the OPTIONS without CORS headers.
            return self.app(environ, start_response)
        if method not in methods:
            return self.app(environ, start_response)

        def with_cors(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            # The views behind never set CORS headers themselves.
            return start_response(status, [*headers, *CORS_HEADERS], *args)

        return self.app(environ, with_cors)


def install(app: Flask) -> None:
    """Outermost layer (inside ProxyFix): before the check's fast lane."""
    app.wsgi_app = PublicCors(app.wsgi_app)  # type: ignore[method-assign]

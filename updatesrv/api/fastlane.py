"""The check's fast lane: a WSGI layer in front of Flask that answers well-formed
``GET /api/v1/products/<slug>/check`` requests itself.

The check is the one request every install sends, and most of a Flask request's cost is the
machinery around the view (request and app contexts, URL matching, hooks, the Response
object), more than the decision itself, which is cached per catalog. The lane calls the very
function the Flask view calls (``check.answer_check``), so no rule is written twice; it only
skips the plumbing the check does not use (no session, no cookies, no CSRF, no database
session: the catalog cache and the statistics recorder hold their own connections).

Anything else takes the Flask route: other paths and methods, and every request the lane
cannot answer with a 200 or a 304 (invalid input, unknown product, an untrusted Host, an
unexpected error). The view then raises the same error and renders it as problem+json, so
errors look exactly as everywhere else in the API."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.wsgi import get_host

from ..reports.batch import MAX_BODY_BYTES
from .check import answer_check
from .helpers import compose_base_url
from .reports import answer_reports

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .. import Runtime

# Product slugs are lowercase letters, digits and dashes; anything else goes to Flask.
CHECK_PATH = re.compile(r"/api/v1/products/([a-z0-9][a-z0-9-]{0,79})/check")
# Failure reports take the same lane (POST, a small JSON body): counted like checks.
REPORTS_PATH = re.compile(r"/api/v1/products/([a-z0-9][a-z0-9-]{0,79})/reports")
STATUS_LINES = {200: "200 OK", 202: "202 ACCEPTED", 304: "304 NOT MODIFIED"}


def query_args(environ: WSGIEnvironment) -> dict[str, str]:
    """The query as ``request.args.get`` reads it: the first value of each name, decoded as
    werkzeug decodes it (raises UnicodeDecodeError where werkzeug would fail too)."""
    query = environ.get("QUERY_STRING", "").encode("latin1").decode()
    args: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote"):
        args.setdefault(name, value)
    return args


class CheckFastLane:
    def __init__(self, app: Flask, next_app: WSGIApplication) -> None:
        self.app = app
        self.next_app = next_app

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        match = (CHECK_PATH.fullmatch(environ.get("PATH_INFO", ""))
                 if method == "GET" else None)
        if match is None:
            if method == "POST" and REPORTS_PATH.fullmatch(environ.get("PATH_INFO", "")):
                return self._reports(environ, start_response)
            return self.next_app(environ, start_response)
        try:
            status, headers, body = self._answer(match[1], environ)
        except Exception:  # the Flask route answers it: problem+json, and logged
            return self.next_app(environ, start_response)
        start_response(STATUS_LINES[status], headers)
        return [body]

    def _reports(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:  # chunked, missing or too large: Flask says so
            return self.next_app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        try:
            get_host(environ, self.app.config["TRUSTED_HOSTS"])
            match = REPORTS_PATH.fullmatch(environ["PATH_INFO"])
            assert match is not None
            reply = answer_reports(self.app.extensions["updatesrv"], self.app.config,
                                   match[1], body, environ.get("CONTENT_TYPE"))
        except Exception:  # the Flask route answers it (problem+json), from the same bytes
            environ["wsgi.input"] = io.BytesIO(body)
            return self.next_app(environ, start_response)
        start_response(STATUS_LINES[reply.status],
                       [*reply.headers, ("Content-Length", str(len(reply.body)))])
        return [reply.body]

    def _answer(self, product: str, environ: WSGIEnvironment,
                ) -> tuple[int, list[tuple[str, str]], bytes]:
        config = self.app.config
        host = get_host(environ, config["TRUSTED_HOSTS"])  # raises for an untrusted Host
        root_path = environ.get("SCRIPT_NAME", "").encode("latin1").decode(errors="replace")
        base = compose_base_url(config.get("BASE_URL"), environ["wsgi.url_scheme"],
                                lambda: host, root_path.rstrip("/"))
        runtime: Runtime = self.app.extensions["updatesrv"]
        reply = answer_check(runtime, config, product, query_args(environ), base,
                             environ.get("HTTP_IF_NONE_MATCH"), note_refused=False)
        headers = reply.headers
        if reply.status == 200:
            headers = [*headers, ("Content-Length", str(len(reply.body)))]
        return reply.status, headers, reply.body


def install(app: Flask) -> None:
    """Puts the lane in front of the app's WSGI callable (inside ProxyFix, if any, so the
    scheme and address it sees are already the client's)."""
    lane: Any = CheckFastLane(app, app.wsgi_app)
    app.wsgi_app = lane  # type: ignore[method-assign]

"""Every failure reaches the caller as a clear message: application/problem+json under
/api/ and /downloads/, a plain page elsewhere. Never a traceback."""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, SecurityError

from .db import database_busy, db
from .errors import UpdatesrvError

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5


def wants_problem_json() -> bool:
    return request.path.startswith(("/api/", "/downloads/", "/u/"))


def problem_response(status: int, title: str, detail: str, **extra: object) -> Response:
    body = {"type": "about:blank" if not extra.get("type") else extra.pop("type"),
            "title": title, "status": status, "detail": detail, **extra}
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


def _render(status: int, title: str, detail: str, extra: dict[str, object]) -> Response:
    if wants_problem_json():
        return problem_response(status, title, detail, **extra)
    html = render_template("error.html", status=status, title=title, detail=detail)
    return Response(html, status=status, mimetype="text/html")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(UpdatesrvError)
    def _domain_error(exc: UpdatesrvError) -> Response:
        problem = exc.to_problem()
        extra = {k: v for k, v in problem.items() if k not in ("title", "status", "detail")}
        return _render(exc.status, exc.title, exc.detail, extra)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> Response:
        limit = app.config["MAX_UPLOAD_BYTES"]
        return _render(413, "Content too large",
                       f"the request is larger than the {limit} byte upload limit "
                       "(MAX_UPLOAD_BYTES)", {})

    @app.errorhandler(SecurityError)
    def _untrusted_host(exc: SecurityError) -> Response:
        # Raised for a Host outside TRUSTED_HOSTS; no page template either, since any
        # url_for() in it would ask for the same untrusted host again.
        return problem_response(400, "Bad request",
                                "this server does not answer for that host name "
                                "(TRUSTED_HOSTS)")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        response = _render(status, exc.name, exc.description or exc.name, {})
        # Headers the status needs to mean anything: Allow for 405, Content-Range
        # (bytes */length) for 416, Retry-After and WWW-Authenticate where given.
        original = exc.get_response().headers
        for name in ("Allow", "Content-Range", "Retry-After", "WWW-Authenticate"):
            if original.get(name):
                response.headers[name] = original[name]
        return response

    @app.errorhandler(sa.exc.OperationalError)
    def _database_busy(exc: sa.exc.OperationalError) -> Response:
        kind = database_busy(exc)
        if kind is None:
            return _unexpected(exc)
        db.session.rollback()
        log.warning("database %s on %s %s: %s", kind, request.method, request.path,
                    type(getattr(exc, "orig", exc)).__name__)
        detail = ("The database is busy with other changes, so nothing was changed. Please try "
                  "again in a few seconds." if kind == "busy" else
                  "The database cannot be reached right now, so nothing was changed. Please try "
                  "again shortly.")
        response = _render(503, "Service busy" if kind == "busy" else "Service unavailable",
                           detail, {})
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, "Internal server error",
                       "Something went wrong on our side; it has been logged.", {})

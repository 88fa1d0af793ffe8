"""The vendor console: everything the vendor API allows, in a browser."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

# Importing the view modules registers their routes on the one console blueprint.
from . import (  # noqa: F401
    accounts,
    connect,
    dashboard,
    notices,
    reach,
    recovery,
    releases,
    reports,
    settings,
    twofactor,
)
from .auth import SessionInterface
from .common import bp


def register_console(app: Flask) -> None:
    app.register_blueprint(bp)
    reach.register_reach_console(app)
    app.session_interface = SessionInterface()
    csrf = CSRFProtect(app)
    # The API authenticates with bearer tokens, never cookies, so CSRF cannot apply.
    for name in ("api_public", "api_vendor", "api_openapi", "api_reach_public", "api_webhooks",
                 "api_reach_vendor", "api_reports",
                 "reach_links"):
        csrf.exempt(app.blueprints[name])

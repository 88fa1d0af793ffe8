"""The vendor console: everything the vendor API allows, in a browser."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from .auth import SessionInterface
from .views import bp


def register_console(app: Flask) -> None:
    app.register_blueprint(bp)
    app.session_interface = SessionInterface()
    csrf = CSRFProtect(app)
    # The API authenticates with bearer tokens, never cookies, so CSRF cannot apply.
    for name in ("api_public", "api_vendor", "api_openapi"):
        csrf.exempt(app.blueprints[name])

"""The JSON API under /api/v1: public endpoints for clients and pages, vendor endpoints
behind bearer tokens. Views parse, call a service, render."""

from __future__ import annotations

from flask import Flask

from .openapi import bp as openapi_bp
from .public import bp as public_bp
from .reach_public import bp as reach_public_bp
from .reach_vendor import bp as reach_vendor_bp
from .reports import bp as reports_bp
from .vendor import bp as vendor_bp
from .webhooks import bp as webhooks_bp


def register_api(app: Flask) -> None:
    app.register_blueprint(openapi_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(vendor_bp)
    app.register_blueprint(reach_public_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(reach_vendor_bp)
    app.register_blueprint(reports_bp)

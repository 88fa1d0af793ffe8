"""Registers the feed blueprint with every format's routes."""

from __future__ import annotations

from flask import Flask


def register_feeds(app: Flask) -> None:
    # Each module adds its routes to the blueprint.
    from . import electron, sparkle, squirrel, tauri, velopack  # noqa: F401
    from .common import bp

    app.register_blueprint(bp)

"""Registers the feed blueprint with every format's routes."""

from __future__ import annotations

from flask import Flask


def register_feeds(app: Flask) -> None:
    from . import electron  # noqa: F401  (each module adds its routes to the blueprint)
    from .common import bp

    app.register_blueprint(bp)

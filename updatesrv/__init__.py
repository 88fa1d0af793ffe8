"""updatesrv: publish releases and known-issue notices to the desktop apps that need them."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, g, request

from . import settings
from .db import db as _db  # keeps updatesrv.db naming the module (migrations import it)
from .db import reset_write_intent, set_write_intent
from .reports.buffer import ReportBuffer
from .stats.services import CheckRecorder
from .storage import FileStorage, open_storage
from .trust.keys import Keyring
from .updates.catalog_cache import CatalogCache

__all__ = ["create_app"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PREREAD_BODY_BYTES = 16 * 1024 * 1024


@dataclass
class Runtime:
    """Per-app objects that outlive a request. Held in ``app.extensions``, never globals."""

    catalogs: CatalogCache
    recorder: CheckRecorder
    store: FileStorage
    keyring: Keyring


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    instance_path = os.environ.get("UPDATESRV_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True,
                instance_path=str(Path(instance_path).resolve()) if instance_path else None)
    from .routing import install as install_converters

    install_converters(app.url_map)
    app.config.from_object(settings)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("UPDATESRV")
    if test_config:
        app.config.from_mapping(test_config)
    if "SQLALCHEMY_ENGINES" not in (test_config or {}):
        app.config["SQLALCHEMY_ENGINES"] = {"default": app.config["DATABASE_URL"]}
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_BYTES"] + 1024 * 1024

    from .api.fastlane import install as install_check_fast_lane

    install_check_fast_lane(app)
    from .api.cors import install as install_public_cors

    install_public_cors(app)
    if int(app.config.get("TRUSTED_PROXIES") or 0) > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only the client address and scheme come from X-Forwarded-*: the proxy passes
        # the Host header through, and TRUSTED_HOSTS still checks it.
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    _db.init_app(app)

    hash_key = app.config["INSTALL_HASH_KEY"] or hashlib.sha256(
        b"install-id:" + str(app.config["SECRET_KEY"]).encode()).hexdigest()
    def new_session() -> Any:
        return app.extensions["updatesrv.db"][1]()

    engine = app.extensions["updatesrv.db"][0]
    app.extensions["updatesrv"] = Runtime(
        catalogs=CatalogCache(engine, new_session,
                              float(app.config["CATALOG_REVALIDATE_SECONDS"])),
        recorder=CheckRecorder(hash_key.encode(), new_session,
                               float(app.config["STATS_FLUSH_INTERVAL"]),
                               buffer_limit=int(app.config["STATS_BUFFER_LIMIT"]),
                               installs_per_day=int(app.config["STATS_INSTALLS_PER_DAY"]),
                               reports=ReportBuffer(
                                   per_install_per_day=int(
                                       app.config["FAILURE_REPORTS_PER_INSTALL_PER_DAY"]),
                                   per_product_per_day=int(
                                       app.config["FAILURE_REPORTS_PER_PRODUCT_PER_DAY"]),
                                   limit=int(app.config["FAILURE_REPORTS_BUFFER_LIMIT"]))),
        store=open_storage(app.config, app.instance_path),
        keyring=Keyring.load(server_keys_dir(app)),
    )

    @app.before_request
    def _mark_writes() -> None:
        if request.method not in SAFE_METHODS:
            # Receive a small body before the first query opens the write transaction, so
            # a slow client never holds SQLite's one write lock (uploads: receive_upload).
            length = request.content_length
            if (length is not None and length <= PREREAD_BODY_BYTES
                    and request.mimetype != "multipart/form-data"):
                request.get_data(cache=True)
            g.write_intent_token = set_write_intent(True)

    @app.teardown_request
    def _unmark_writes(_exc: BaseException | None) -> None:
        token = g.pop("write_intent_token", None)
        if token is not None:
            reset_write_intent(token)

    from .api import register_api
    from .console import register_console
    from .errorhandlers import register_error_handlers
    from .feeds.views import register_feeds
    from .i18n.pages import init_app as init_i18n
    from .web import register_web

    init_i18n(app)
    register_api(app)
    register_web(app)
    register_feeds(app)
    register_console(app)
    register_error_handlers(app)

    from .cli import register_commands

    register_commands(app)
    return app


def server_keys_dir(app: Flask) -> Path:
    folder = Path(app.config["SERVER_KEYS_DIR"])
    return folder if folder.is_absolute() else Path(app.instance_path) / folder


def runtime(app: Flask) -> Runtime:
    rt: Runtime = app.extensions["updatesrv"]
    return rt

"""Fixtures. Every database test runs on SQLite (a fresh file per test) and, when
UPDATESRV_TEST_DATABASE_URL names a PostgreSQL database, on that server instead (schema
migrated once per session, tables truncated between tests)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from updatesrv import create_app, runtime
from updatesrv.accounts import services as accounts
from updatesrv.accounts import tokens
from updatesrv.db import db, write_intent
from updatesrv.models import Base

PG_URL = os.environ.get("UPDATESRV_TEST_DATABASE_URL")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--require-browser", action="store_true",
                     help="fail instead of skipping browser tests when Chromium is missing")


def pytest_report_header(config: pytest.Config) -> str:
    return f"updatesrv database: {PG_URL or 'SQLite (a file per test)'}"


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    from updatesrv import migrate

    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    migrate.upgrade(engine)
    engine.dispose()
    yield PG_URL


def _truncate(engine: sa.Engine) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def make_app(tmp_path: Path, pg_schema: str | None, **overrides: Any) -> Flask:
    url = pg_schema or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    config = {"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret",
              "ARTIFACTS_DIR": str(tmp_path / "artifacts"), "STATS_FLUSH_INTERVAL": 0,
              "CATALOG_REVALIDATE_SECONDS": 0,
              "BASE_URL": None, **overrides}
    app = create_app(config)
    with app.app_context():
        if pg_schema:
            _truncate(db.engine)
        else:
            with write_intent(), db.engine.begin() as conn:
                Base.metadata.create_all(conn)
    return app


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra settings for the ``app`` fixture: override this fixture in a test module."""
    return {}


@pytest.fixture
def app(tmp_path: Path, pg_schema: str | None, monkeypatch: pytest.MonkeyPatch,
        app_config: dict[str, Any]) -> Iterator[Flask]:
    monkeypatch.setenv("UPDATESRV_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, pg_schema, **app_config)
    yield app
    runtime(app).recorder.stop()
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


class Api:
    """The Flask test client with a vendor's bearer token."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        out = dict(headers or {})
        if self.token:
            out.setdefault("Authorization", f"Bearer {self.token}")
        return out

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.client.post(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        return self.client.patch(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers=self._headers(kw.pop("headers", None)), **kw)


def make_vendor(app: Flask, slug: str = "acme", role: str = "owner",
                email: str | None = None) -> tuple[Any, str]:
    with app.app_context(), write_intent():
        vendor = accounts.create_vendor(db.session, slug, slug.title() + " Inc.")
        user = accounts.create_user(db.session, email or f"owner@{slug}.example",
                                    "correct horse battery", "Owner")
        accounts.add_member(db.session, user, vendor, "owner")
        _, token = tokens.create_token(db.session, vendor, "test", role)
        return vendor.id, token


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    _, token = make_vendor(app)
    return Api(client, token)


@pytest.fixture
def product(api: Api) -> str:
    response = api.post("/api/v1/products", json={"slug": "ledgerly", "name": "Ledgerly",
                                                  "support_url": "https://help.example/"})
    assert response.status_code == 201, response.json
    return "ledgerly"


def artifact(platform: str = "windows-x86_64", n: int = 1, **extra: Any) -> dict[str, Any]:
    return {"platform": platform, "url": f"https://cdn.example/{platform}-{n}.zip",
            "size": 1000 + n, "sha256": f"{n:064x}", **extra}


def publish(api: Api, product: str, version: str, **fields: Any) -> Any:
    body = {"version": version, "artifacts": [artifact()], **fields}
    response = api.post(f"/api/v1/products/{product}/releases", json=body)
    assert response.status_code in (200, 201), response.json
    return response.json


def run_together(count: int, action: Any) -> list[Any]:
    """Calls ``action()`` from ``count`` threads released at the same moment (a race);
    returns what each returned."""
    barrier = threading.Barrier(count)
    results: list[Any] = []

    def run() -> None:
        barrier.wait()
        results.append(action())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real S3 server (SeaweedFS) for the whole session; ``seaweed.new_bucket()`` per test."""
    from tests.seaweed import start_seaweed

    server = start_seaweed(tmp_path_factory.mktemp("seaweed"))
    yield server
    server.stop()


@pytest.fixture
def mailbox() -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on a free loopback port; ``mailbox.url`` is MAIL_URL."""
    from tests.mailbox import start_mailbox

    box = start_mailbox()
    yield box
    assert box.controller is not None
    box.controller.stop()


@pytest.fixture
def mail_app(tmp_path: Path, pg_schema: str | None, monkeypatch: pytest.MonkeyPatch,
             mailbox: Any) -> Iterator[Flask]:
    """An app whose mail goes to ``mailbox``; webhooks may go to loopback."""
    monkeypatch.setenv("UPDATESRV_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, pg_schema, MAIL_URL=mailbox.url,
                   MAIL_FROM="Ledgerly updates <updates@ledgerly.example>",
                   WEBHOOK_ALLOW_PRIVATE=True, BASE_URL="http://updates.example")
    yield app
    runtime(app).recorder.stop()
    with app.app_context():
        db.engine.dispose()

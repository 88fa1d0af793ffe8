"""A write that meets a locked database answers 503 with Retry-After (problem+json on the
API, a page in the console), never a 500 and never an endless wait: SQLite's busy timeout
and PostgreSQL's lock_timeout both come from DB_LOCK_TIMEOUT."""

from __future__ import annotations

import sqlite3
import time

import pytest
import sqlalchemy as sa

from updatesrv import runtime

from .conftest import Api, make_app, make_vendor


@pytest.fixture
def busy_app(tmp_path, pg_schema, monkeypatch):
    monkeypatch.setenv("UPDATESRV_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, pg_schema, DB_LOCK_TIMEOUT=0.3)
    yield app
    runtime(app).recorder.stop()
    app.extensions["updatesrv.db"][0].dispose()


def _hold_lock(app):
    engine = app.extensions["updatesrv.db"][0]
    if engine.dialect.name == "sqlite":
        conn = sqlite3.connect(engine.url.database, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        return conn.close
    conn = sa.create_engine(engine.url).connect()
    conn.execute(sa.text("LOCK TABLE products IN ACCESS EXCLUSIVE MODE"))
    return conn.close


def test_locked_database_write_is_a_503_with_retry_after(busy_app):
    _, token = make_vendor(busy_app)
    api = Api(busy_app.test_client(), token)
    assert api.post("/api/v1/products", json={"slug": "ledgerly", "name": "L"}).status_code == 201
    release = _hold_lock(busy_app)
    try:
        started = time.monotonic()
        response = api.patch("/api/v1/products/ledgerly", json={"name": "Ledgerly 2"})
        assert time.monotonic() - started < 10
    finally:
        release()
    assert response.status_code == 503, response.data[:300]
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "5"
    assert "try again" in response.json["detail"].lower()
    # Once the lock is gone the same request works: nothing was half-written.
    again = api.patch("/api/v1/products/ledgerly", json={"name": "Ledgerly 2"})
    assert again.status_code == 200 and again.json["name"] == "Ledgerly 2"


def test_locked_database_in_the_console_is_a_503_page(busy_app):
    make_vendor(busy_app)
    busy_app.config["WTF_CSRF_ENABLED"] = False
    client = busy_app.test_client()
    client.post("/console/login", data={"email": "owner@acme.example",
                                        "password": "correct horse battery"})
    release = _hold_lock(busy_app)
    try:
        response = client.post("/console/acme/", data={"slug": "gadget", "name": "Gadget"})
    finally:
        release()
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert response.headers["Retry-After"] and "busy" in response.text

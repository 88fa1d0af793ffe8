"""`updatesrv serve` outside --dev: no published secret key, no Host-decided URLs; the
instance folder and SQLite file are private to their owner."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from updatesrv import create_app
from updatesrv.cli import main
from updatesrv.db import db
from updatesrv.models import Base


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    instance = tmp_path / "inst"
    monkeypatch.setenv("UPDATESRV_INSTANCE_PATH", str(instance))
    for name in ("UPDATESRV_SECRET_KEY", "UPDATESRV_BASE_URL", "UPDATESRV_TRUSTED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("UPDATESRV_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    return instance


@pytest.mark.parametrize("key", [None, "", "dev-only-not-secret", "change-me"])
def test_serve_refuses_a_public_or_empty_secret_key(env: Path, monkeypatch, key) -> None:
    if key is not None:
        monkeypatch.setenv("UPDATESRV_SECRET_KEY", key)
    result = CliRunner().invoke(main, ["serve", "--bind", "127.0.0.1:0"])
    assert result.exit_code != 0
    assert "refusing to serve" in result.output
    assert "SECRET_KEY" in result.output and "updatesrv init" in result.output


def test_serve_on_a_public_address_needs_base_url_or_trusted_hosts(env: Path,
                                                                   monkeypatch) -> None:
    monkeypatch.setenv("UPDATESRV_SECRET_KEY", "a-long-random-secret-for-this-test")
    result = CliRunner().invoke(main, ["serve", "--bind", "0.0.0.0:0"])
    assert result.exit_code != 0
    assert "BASE_URL" in result.output and "TRUSTED_HOSTS" in result.output
    assert "SECRET_KEY" not in result.output


def test_init_writes_a_key_that_serve_accepts(env: Path) -> None:
    from updatesrv.production import secret_key_problem

    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(env.stat().st_mode) == 0o700
    assert stat.S_IMODE((env / "config.py").stat().st_mode) == 0o600
    app = create_app()
    assert secret_key_problem(app.config) is None


def test_instance_folder_and_sqlite_file_are_private(tmp_path: Path, monkeypatch) -> None:
    instance = tmp_path / "fresh-instance"
    monkeypatch.setenv("UPDATESRV_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("UPDATESRV_DATABASE_URL", raising=False)
    old_umask = os.umask(0o022)
    try:
        app = create_app({"DATABASE_URL": "sqlite:///updatesrv.sqlite3",
                          "SECRET_KEY": "test"})
        with app.app_context():
            Base.metadata.create_all(db.engine)
            db.engine.dispose()
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    database = instance / "updatesrv.sqlite3"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    for extra in instance.glob("updatesrv.sqlite3-*"):
        assert stat.S_IMODE(extra.stat().st_mode) == 0o600


def test_trusted_hosts_refuse_other_hosts(tmp_path: Path, pg_schema) -> None:
    from tests.conftest import make_app

    app = make_app(tmp_path, pg_schema, TRUSTED_HOSTS=["updates.example.com"])
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "updates.example.com"}).status_code == 200
    response = client.get("/api/v1/products/x/check?version=1.0",
                          headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


@pytest.mark.live
def test_served_on_loopback_a_foreign_host_gets_400(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "UPDATESRV_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "UPDATESRV_INSTANCE_PATH": str(tmp_path / "inst"),
           "UPDATESRV_SECRET_KEY": "a-long-random-secret-for-this-test"}
    for name in ("UPDATESRV_BASE_URL", "UPDATESRV_TRUSTED_HOSTS"):
        env.pop(name, None)
    server = subprocess.Popen([sys.executable, "-m", "updatesrv.cli", "serve", "--bind",
                               f"127.0.0.1:{port}", "--workers", "1", "--no-scheduler"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def get(host: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/healthz", headers={"Host": host})
            return conn.getresponse().status
        finally:
            conn.close()

    try:
        started = time.monotonic()
        while True:
            try:
                status = get(f"127.0.0.1:{port}")
                break
            except OSError:
                if time.monotonic() - started > 90 or server.poll() is not None:
                    pytest.fail("the server did not start")
                time.sleep(0.1)
        assert status == 200
        assert get(f"localhost:{port}") == 200
        assert get("evil.example") == 400
        assert get("http:") == 400
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)

"""docs/operating/backups.md, followed to the letter: back up a running instance (its database,
artifacts, config and server keys) with the commands the page gives, lose it, restore it into a
new instance folder, and check that the restored server answers exactly as before: the same
check bytes signed by the same key, the same downloads, the same notices, the same vendor
token. On SQLite always; on PostgreSQL (pg_dump / pg_restore) when
UPDATESRV_TEST_DATABASE_URL names one."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from updatesrv import create_app, runtime
from updatesrv.models import Base

CHECK = "/api/v1/products/ledgerly-demo/check?version=2.0.0&platform=windows-x86_64&install_id=i1"


def run(command: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return done.stdout


def answers(instance: Path, token: str, database_url: str | None,
            monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What a client, a browser and a vendor see of the demo product."""
    monkeypatch.setenv("UPDATESRV_INSTANCE_PATH", str(instance))
    config: dict[str, Any] = {"STATS_FLUSH_INTERVAL": 0,
                              "BASE_URL": "https://updates.example.com"}
    if database_url:
        config["DATABASE_URL"] = database_url
    app = create_app(config)
    client = app.test_client()
    check = client.get(CHECK)
    assert check.status_code == 200, check.data
    update = check.get_json()["update"]
    download = client.get(update["download"]["url"].removeprefix("https://updates.example.com"))
    vendor = client.get("/api/v1/vendor/products", headers={"Authorization": f"Bearer {token}"})
    notices = client.get("/api/v1/products/ledgerly-demo/notices")
    seen = {
        "check": check.data, "etag": check.headers["ETag"],
        "signed_by": sorted(part.split(":")[0] for part in
                            check.headers["Updatesrv-Signature"].split(",")),
        "keys": client.get("/api/v1/keys").get_json(),
        "download": (download.status_code, download.data, download.headers.get("Digest")),
        "vendor": (vendor.status_code, vendor.get_json()),
        "notices": notices.get_json(),
        "releases": client.get("/api/v1/products/ledgerly-demo/releases").get_json(),
    }
    runtime(app).recorder.stop()
    with app.app_context():
        app.extensions["updatesrv.db"][0].dispose()
    return seen


def libpq_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


def test_backup_and_restore_serve_the_same(tmp_path: Path, pg_schema: str | None,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**os.environ, "UPDATESRV_INSTANCE_PATH": str(tmp_path / "live")}
    if pg_schema:
        env["UPDATESRV_DATABASE_URL"] = pg_schema
        engine = sa.create_engine(pg_schema)
        with engine.begin() as conn:  # `init --demo` seeds only an empty database
            tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    updatesrv = [sys.executable, "-m", "updatesrv.cli"]
    seeded = run([*updatesrv, "init", "--demo"], env)
    [token] = re.findall(r"API token \(shown once\): (\S+)", seeded)
    live = tmp_path / "live"
    before = answers(live, token, pg_schema, monkeypatch)
    assert before["vendor"][0] == 200 and before["download"][0] == 200

    # -- back up (docs/operating/backups.md, "Backing up") --------------------------------
    backup = tmp_path / "backup"
    backup.mkdir()
    if pg_schema:
        run(["pg_dump", "--format=custom", f"--file={backup / 'updatesrv.dump'}",
             libpq_url(pg_schema)], env)
    else:
        run([sys.executable, "-c",
             "import sqlite3, sys; src = sqlite3.connect(sys.argv[1]); "
             "dst = sqlite3.connect(sys.argv[2]); src.backup(dst); dst.close()",
             str(live / "updatesrv.sqlite3"), str(backup / "updatesrv.sqlite3")], env)
    run(["tar", "--create", "--gzip", f"--file={backup / 'instance.tar.gz'}",
         "--exclude=./updatesrv.sqlite3*", "--exclude=./artifacts/.staging", "."], env,
        cwd=live)

    # -- lose everything ------------------------------------------------------------------
    shutil.rmtree(live)
    if pg_schema:
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))

    # -- restore into a new instance folder ("Restoring") ---------------------------------
    restored = tmp_path / "restored"
    restored.mkdir(mode=0o700)
    run(["tar", "--extract", "--gzip", f"--file={backup / 'instance.tar.gz'}",
         "--same-permissions"], env, cwd=restored)
    if pg_schema:
        run(["pg_restore", "--clean", "--if-exists", "--no-owner",
             f"--dbname={libpq_url(pg_schema)}", str(backup / "updatesrv.dump")], env)
    else:
        shutil.copy2(backup / "updatesrv.sqlite3", restored / "updatesrv.sqlite3")
    env["UPDATESRV_INSTANCE_PATH"] = str(restored)
    assert "database at" in run([*updatesrv, "db", "upgrade"], env)

    after = answers(restored, token, pg_schema, monkeypatch)
    assert after == before
    assert (restored / "server-keys").stat().st_mode & 0o077 == 0  # still owner-only
    if pg_schema:
        engine.dispose()


def test_the_page_gives_the_commands_this_test_runs() -> None:
    page = (Path(__file__).resolve().parent.parent / "docs/operating/backups.md").read_text()
    for command in ("src.backup(dst)", "pg_dump --format=custom",
                    "--exclude=./updatesrv.sqlite3*", "--exclude=./artifacts/.staging",
                    "pg_restore --clean --if-exists --no-owner", "updatesrv db upgrade",
                    "--same-permissions"):
        assert command in page, command

"""A bounded schemathesis run over /api/v1/openapi.json (CI: `make fuzz`).

Starts updatesrv on a free loopback port with a fresh database (SQLite in a temporary
folder, or UPDATESRV_TEST_DATABASE_URL), seeds a vendor token, a product with a release, a
draft and a notice, then lets schemathesis generate requests for every operation for about
FUZZ_SECONDS (default 120). It fails on any 5xx and on any response the document does not
describe (status code, content type, body schema, headers). Not part of `pytest`: it is a
time-bounded search, not a test that must give the same answer every time; failures print
the request to reproduce them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def seeded_app(tmp: Path):  # type: ignore[no-untyped-def]
    from tests.mailbox import start_mailbox
    from updatesrv import create_app
    from updatesrv.accounts import services as accounts
    from updatesrv.accounts import tokens
    from updatesrv.db import db, write_intent
    from updatesrv.models import Base

    mailbox = start_mailbox()  # a real SMTP server on loopback: subscriptions need mail
    url = os.environ.get("UPDATESRV_TEST_DATABASE_URL") or f"sqlite:///{tmp / 'fuzz.sqlite3'}"
    os.environ["UPDATESRV_INSTANCE_PATH"] = str(tmp / "instance")
    app = create_app({"TESTING": False, "DATABASE_URL": url, "SECRET_KEY": "fuzz-secret",
                      "ARTIFACTS_DIR": str(tmp / "artifacts"), "STATS_FLUSH_INTERVAL": 0,
                      "CATALOG_REVALIDATE_SECONDS": 0, "MAX_UPLOAD_BYTES": 1024 * 1024,
                      "MAIL_URL": mailbox.url})
    with app.app_context(), write_intent():
        engine = db.engine
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                Base.metadata.drop_all(conn)
            Base.metadata.create_all(conn)
        vendor = accounts.create_vendor(db.session, "acme", "Acme Inc.")
        _, token = tokens.create_token(db.session, vendor, "fuzz", "owner")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    art = {"platform": "windows-x86_64", "url": "https://cdn.example/setup.exe", "size": 10,
           "sha256": "a" * 64}
    notice_id = ""
    for path, body in [
        ("/api/v1/products", {"slug": "ledgerly", "name": "Ledgerly",
                               "failure_reports": True}),
        ("/api/v1/products/ledgerly/releases", {"version": "1.0", "artifacts": [art]}),
        ("/api/v1/products/ledgerly/releases", {"version": "2.0", "draft": True}),
        ("/api/v1/products/ledgerly/notices", {"title": "Crash", "severity": "major",
                                               "affected": ">=1.0"}),
    ]:
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 201, (path, response.json)
        notice_id = response.json.get("id", notice_id)
    return app, token, notice_id


def main() -> int:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    seconds = int(os.environ.get("FUZZ_SECONDS", "120"))
    with tempfile.TemporaryDirectory(prefix="updatesrv-fuzz-") as tmp:
        app, token, notice_id = seeded_app(Path(tmp))
        config = Path(tmp) / "schemathesis.toml"
        # Path parameters name the seeded objects, so requests reach the API's logic
        # instead of 404s; everything else is generated.
        config.write_text(
            "[parameters]\n"
            '"path.product" = "ledgerly"\n'
            '"path.version" = "1.0"\n'
            '"path.channel" = "stable"\n'
            f'"path.notice_id" = "{notice_id}"\n')
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        command = [
            str(Path(sys.executable).with_name("st")), "--config-file", str(config), "run",
            f"{base}/api/v1/openapi.json",
            "--url", base,
            "--header", f"Authorization: Bearer {token}",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                        "response_headers_conformance,response_schema_conformance",
            "--phases", "coverage,fuzzing",
            "--max-time", str(seconds),
            "--max-examples", os.environ.get("FUZZ_EXAMPLES", "100"),
            "--max-failures", "30",
            "--request-timeout", "10",
            "--generation-database", "none",
            "--workers", "2",
            "--no-color",
        ]
        if os.environ.get("FUZZ_SEED"):
            command += ["--seed", os.environ["FUZZ_SEED"]]
        try:
            # cwd: schemathesis keeps a cache folder where it runs; not in the checkout.
            result = subprocess.run(command, timeout=seconds + 60, check=False, cwd=tmp,
                                    env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
            return result.returncode
        except subprocess.TimeoutExpired:
            print(f"schemathesis ran past {seconds + 60} s; stopped", file=sys.stderr)
            return 1
        finally:
            server.shutdown()


if __name__ == "__main__":
    sys.exit(main())

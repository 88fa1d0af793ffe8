"""A real updatesrv on a loopback port for the JavaScript tests (SQLite in a temporary
folder, a server signing key, one vendor with an API token). Prints one JSON line (url,
token, server_keys) and serves until its standard input closes, so the test that started it
can never leave it running."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

from updatesrv import create_app, runtime
from updatesrv.accounts import services as accounts
from updatesrv.accounts import tokens
from updatesrv.db import db, write_intent
from updatesrv.models import Base
from updatesrv.trust.keys import generate


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="updatesrv-js-"))
    os.environ["UPDATESRV_INSTANCE_PATH"] = str(folder / "instance")
    key = generate(folder / "server-keys")
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
                      "SECRET_KEY": "js-tests", "ARTIFACTS_DIR": str(folder / "artifacts"),
                      "SERVER_KEYS_DIR": str(folder / "server-keys"),
                      "STATS_FLUSH_INTERVAL": 0, "CATALOG_REVALIDATE_SECONDS": 0})
    with app.app_context(), write_intent():
        with db.engine.begin() as conn:
            Base.metadata.create_all(conn)
        vendor = accounts.create_vendor(db.session, "acme", "Acme Inc.")
        _, token = tokens.create_token(db.session, vendor, "js-tests", "owner")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(json.dumps({"url": f"http://127.0.0.1:{server.server_port}", "token": token,
                      "server_keys": [key.public_key]}), flush=True)
    sys.stdin.read()  # until the test closes the pipe (or exits)
    server.shutdown()
    runtime(app).recorder.stop()


if __name__ == "__main__":
    main()

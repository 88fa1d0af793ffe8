from __future__ import annotations

import base64
import hashlib
import socket
import time

import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from updatesrv.accounts.models import ApiToken, Membership, User
from updatesrv.cli import main
from updatesrv.db import db
from updatesrv.publish import load_private_key
from updatesrv.releases.models import Artifact


def test_create_vendor_and_token(app, runner):
    result = runner.invoke(args=["create-vendor", "acme", "--name", "Acme", "--email",
                                 "Boss@Acme.example", "--password-stdin"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["create-vendor", "acme", "--name", "Acme", "--email",
                                "x@acme.example", "--password-stdin"], input="password12345\n")
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(args=["create-vendor", "globex", "--name", "G", "--email",
                                "g@globex.example", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least" in short.output

    token = runner.invoke(args=["create-token", "acme", "--name", "ci"])
    assert token.exit_code == 0
    plaintext = token.stdout.strip().splitlines()[-1]
    assert plaintext.startswith("us_")
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.email == "boss@acme.example" and "a long enough" not in user.password_hash
        assert db.session.scalar(sa.select(Membership.role)) == "owner"
        stored = db.session.scalar(sa.select(ApiToken))
        assert stored.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
        assert stored.role == "publisher"
    missing = runner.invoke(args=["create-token", "nope"])
    assert missing.exit_code != 0 and "no vendor" in missing.output


def test_publish_command_against_live_server(app, api, product, live_server, tmp_path):
    win = tmp_path / "ledgerly-2.0.1.exe"
    win.write_bytes(b"windows build" * 1000)
    mac = tmp_path / "ledgerly-2.0.1.dmg"
    mac.write_bytes(b"mac build" * 1000)
    notes = tmp_path / "notes.md"
    notes.write_text("Fixes the licence bug", encoding="utf-8")
    args = ["publish", "--server", live_server.url, "--token", api.token, "--product",
            "ledgerly", "--version", "2.0.1", "--notes-file", str(notes), "--critical",
            "--artifact", f"windows-x86_64={win}", "--artifact", f"macos-arm64={mac}"]
    result = CliRunner().invoke(main, args, env={"CI": "true"})
    assert result.exit_code == 0, result.output
    assert "published ledgerly 2.0.1" in result.output
    release = api.get("/api/v1/products/ledgerly/releases/2.0.1").json
    assert release["draft"] is False and release["critical"] is True
    assert {a["platform"]: a["sha256"] for a in release["artifacts"]} == {
        "windows-x86_64": hashlib.sha256(win.read_bytes()).hexdigest(),
        "macos-arm64": hashlib.sha256(mac.read_bytes()).hexdigest()}
    # A CI re-run is safe...
    rerun = CliRunner().invoke(main, args, env={"CI": "true"})
    assert rerun.exit_code == 0, rerun.output
    assert "nothing to do" in rerun.output
    # ...but different bytes under the same version are refused.
    win.write_bytes(b"other bytes")
    conflict = CliRunner().invoke(main, args, env={"CI": "true"})
    assert conflict.exit_code != 0 and "409" in conflict.output


def test_publish_with_signing_key(app, api, product, live_server, tmp_path):
    key_file = tmp_path / "signing.pem"
    keygen = CliRunner().invoke(main, ["keygen", str(key_file)])
    assert keygen.exit_code == 0, keygen.output
    public = keygen.output.strip()
    raw = load_private_key(key_file).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert base64.b64decode(public) == raw
    api.patch("/api/v1/products/ledgerly", json={"signing_keys": [public]})
    build = tmp_path / "app.zip"
    build.write_bytes(b"zip" * 100)
    base = ["publish", "--server", live_server.url, "--token", api.token, "--product",
            "ledgerly", "--artifact", f"any={build}"]
    unsigned = CliRunner().invoke(main, [*base, "--version", "1.0"], env={"CI": "true"})
    assert unsigned.exit_code != 0 and "signature" in unsigned.output
    signed = CliRunner().invoke(main, [*base, "--version", "1.1", "--signing-key",
                                       str(key_file)], env={"CI": "true"})
    assert signed.exit_code == 0, signed.output
    # Both the release manifest (binds product/version/platform) and the bytes are signed.
    (stored,) = api.get("/api/v1/products/ledgerly/releases/1.1").json["artifacts"]
    assert stored["manifest_signature"] and stored["signature"]


def test_publish_reports_unreachable_server(tmp_path):
    result = CliRunner().invoke(main, ["publish", "--server", "http://127.0.0.1:9", "--token",
                                       "us_x", "--product", "p", "--version", "1.0"])
    assert result.exit_code != 0 and "cannot reach" in result.output


def test_truncated_upload_leaves_nothing(app, api, product, live_server):
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.0", "draft": True})
    boundary = "xyzzy"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"platform\"\r\n\r\nany\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            "filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    declared = len(head) + 1_000_000
    port = int(live_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall((f"POST /api/v1/products/ledgerly/releases/1.0/artifacts HTTP/1.1\r\n"
                      f"Host: 127.0.0.1\r\nAuthorization: Bearer {api.token}\r\n"
                      f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                      f"Content-Length: {declared}\r\n\r\n").encode() + head + b"x" * 300_000)
        time.sleep(0.2)
    time.sleep(0.5)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Artifact)) == 0
    store = app.extensions["updatesrv"].store
    assert not [p for p in store.root.rglob("*") if p.is_file()]
    # The server is fine afterwards.
    assert api.get("/api/v1/products/ledgerly/releases/1.0").status_code == 200

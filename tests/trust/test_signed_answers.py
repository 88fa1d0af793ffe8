"""The server signs every check answer (statement header + signature header), publishes its
keys, and verifies vendors' release manifests."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json

from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from updatesrv.cli import main
from updatesrv.publish import public_key_b64
from updatesrv.trust.keys import Keyring
from updatesrv.trust.manifest import release_manifest

from ..conftest import artifact, publish

CHECK = "/api/v1/products/ledgerly/check?version=1.0&channel=stable&platform=windows-x86_64"


def statement_of(response, server_key):
    raw = base64.b64decode(response.headers["Updatesrv-Statement"])
    keyid, _, sig = response.headers["Updatesrv-Signature"].partition(":")
    assert keyid == server_key.id
    Ed25519PublicKey.from_public_bytes(base64.b64decode(server_key.public_key)).verify(
        base64.b64decode(sig), raw)  # raises when it does not verify
    return json.loads(raw)


def test_keys_are_published(client, server_key):
    body = client.get("/api/v1/keys").json
    assert body == {"keys": [{"id": server_key.id, "algorithm": "ed25519",
                              "public_key": server_key.public_key}]}


def test_every_check_answer_is_signed_and_bound(api, product, client, server_key):
    publish(api, product, "1.1")
    response = client.get(CHECK)
    assert response.status_code == 200
    statement = statement_of(response, server_key)
    assert statement["type"] == "updatesrv.check.v1"
    assert (statement["product"], statement["version"], statement["channel"],
            statement["platform"]) == ("ledgerly", "1.0", "stable", "windows-x86_64")
    assert statement["body_sha256"] == hashlib.sha256(response.data).hexdigest()
    issued = dt.datetime.fromisoformat(statement["issued_at"])
    expires = dt.datetime.fromisoformat(statement["expires"])
    assert expires - issued == dt.timedelta(days=7)
    first_serial = statement["serial"]
    # The serial grows with every change to the product's catalog.
    publish(api, product, "1.2")
    assert statement_of(client.get(CHECK), server_key)["serial"] > first_serial


def test_a_304_carries_a_fresh_statement_for_the_same_body(api, product, client, server_key):
    publish(api, product, "1.1")
    first = client.get(CHECK)
    again = client.get(CHECK, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    statement = statement_of(again, server_key)
    assert statement["body_sha256"] == hashlib.sha256(first.data).hexdigest()


def test_the_signature_is_cached_with_the_answer(api, product, client, server_key, app):
    publish(api, product, "1.1")
    a = client.get(CHECK).headers["Updatesrv-Signature"]
    b = client.get(CHECK).headers["Updatesrv-Signature"]
    assert a == b  # signed once per cached answer, not per request


def test_without_keys_nothing_is_signed(tmp_path, pg_schema, monkeypatch):
    from ..conftest import make_app

    monkeypatch.setenv("UPDATESRV_INSTANCE_PATH", str(tmp_path / "instance"))
    bare = make_app(tmp_path, pg_schema)
    assert bare.test_client().get("/api/v1/keys").json == {"keys": []}


def test_keygen_server_adds_and_retires_keys(app, server_keys_dir, server_key, monkeypatch):
    monkeypatch.setenv("UPDATESRV_SERVER_KEYS_DIR", json.dumps(str(server_keys_dir)))
    added = CliRunner().invoke(main, ["keygen", "--server"])
    assert added.exit_code == 0, added.output
    ring = Keyring.load(server_keys_dir)
    assert len(ring.keys) == 2
    new = next(k for k in ring.keys if k.id != server_key.id)
    assert new.public_key in added.output
    assert oct((server_keys_dir / f"{new.id}.pem").stat().st_mode & 0o777) == "0o600"
    retired = CliRunner().invoke(main, ["keygen", "--server", "--retire", server_key.id])
    assert retired.exit_code == 0, retired.output
    assert [k.id for k in Keyring.load(server_keys_dir).keys] == [new.id]
    last = CliRunner().invoke(main, ["keygen", "--server", "--retire", new.id])
    assert last.exit_code != 0 and "only server key" in last.output
    unknown = CliRunner().invoke(main, ["keygen", "--server", "--retire", "nope"])
    assert unknown.exit_code != 0 and "no server key" in unknown.output


def test_init_creates_the_first_server_key(tmp_path, monkeypatch):
    instance = tmp_path / "fresh-instance"
    monkeypatch.setenv("UPDATESRV_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("UPDATESRV_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    done = CliRunner().invoke(main, ["init"])
    assert done.exit_code == 0, done.output
    assert "created server key" in done.output
    assert len(Keyring.load(instance / "server-keys").keys) == 1
    again = CliRunner().invoke(main, ["init"])
    assert "created server key" not in again.output


# -- vendor-signed release manifests ----------------------------------------------------------

def _vendor(api):
    key = Ed25519PrivateKey.generate()
    api.patch("/api/v1/products/ledgerly", json={"signing_keys": [public_key_b64(key)]})
    return key


def _sign(key, *fields):
    return base64.b64encode(key.sign(release_manifest(*fields))).decode()


def test_an_uploaded_manifest_signature_is_verified_and_carried(api, product, client):
    key = _vendor(api)
    payload = b"installer" * 100
    sha = hashlib.sha256(payload).hexdigest()
    api.post("/api/v1/products/ledgerly/releases", json={"version": "1.1", "draft": True})

    def upload(signature):
        return api.post("/api/v1/products/ledgerly/releases/1.1/artifacts", data={
            "platform": "windows-x86_64", "manifest_signature": signature,
            "file": (io.BytesIO(payload), "setup.exe")})

    # A signature the vendor made for another version is refused.
    wrong = upload(_sign(key, "ledgerly", "9.9", "windows-x86_64", len(payload), sha))
    assert wrong.status_code == 400 and wrong.json["field"] == "manifest_signature"
    good = upload(_sign(key, "ledgerly", "1.1", "windows-x86_64", len(payload), sha))
    assert good.status_code == 201, good.json
    assert api.patch("/api/v1/products/ledgerly/releases/1.1",
                     json={"draft": False}).status_code == 200
    download = client.get(CHECK).json["update"]["download"]
    assert download["manifest"] == release_manifest(
        "ledgerly", "1.1", "windows-x86_64", len(payload), sha).decode()
    assert download["manifest_signature"] == good.json["manifest_signature"]


def test_an_external_artifact_manifest_is_verified(api, product):
    key = _vendor(api)
    item = artifact()
    fields = ("ledgerly", "1.1", item["platform"], item["size"], item["sha256"])
    bad = api.post("/api/v1/products/ledgerly/releases", json={
        "version": "1.1", "artifacts": [{**item, "manifest_signature": _sign(
            key, "other-product", *fields[1:])}]})
    assert bad.status_code == 400
    ok = api.post("/api/v1/products/ledgerly/releases", json={
        "version": "1.1", "artifacts": [{**item, "manifest_signature": _sign(key, *fields)}]})
    assert ok.status_code == 201, ok.json


def test_a_cached_statement_is_re_dated_after_an_hour(api, product, client, server_key,
                                                      monkeypatch):
    import updatesrv.api.check as public

    publish(api, product, "1.1")
    first = statement_of(client.get(CHECK), server_key)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    monkeypatch.setattr(public, "utcnow", lambda: later)
    second = statement_of(client.get(CHECK), server_key)
    assert second["issued_at"] > first["issued_at"]
    assert second["body_sha256"] == first["body_sha256"]

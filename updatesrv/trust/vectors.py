"""Conformance vectors for check clients: signed check answers, made by the server's own
signing code (statements.check_statement, Keyring.sign) with fixed keys and dates, and the
verdict every client must reach (accepted, or which error). The Python client's tests and the
JavaScript client's tests run every vector; a client in another language is held to the same
file (docs/integrating/check-protocol.md).

``python -m updatesrv.trust.vectors`` rewrites spec/vectors/check-answers.json (``make
vectors``); tests/trust/test_vectors.py fails when the committed file is stale."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..api.helpers import encode_json
from .keys import Keyring, ServerKey, _public_raw, key_id
from .statements import STATEMENT_TYPE, check_statement

VECTORS_FILE = Path(__file__).resolve().parents[2] / "spec" / "vectors" / "check-answers.json"
FORMAT = "updatesrv-check-vectors/1"
ISSUED = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
TTL = dt.timedelta(days=7)
NOW = ISSUED + dt.timedelta(hours=1)
PRODUCT, VERSION, CHANNEL, PLATFORM = "ledgerly", "2.0.0", "stable", "windows-x86_64"
SERIAL = 42


def fixed_key(label: str) -> ServerKey:
    """A key whose private half is public knowledge: for test vectors only."""
    private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())
    raw = _public_raw(private)
    return ServerKey(key_id(raw), base64.b64encode(raw).decode(), private)


SERVER = fixed_key("updatesrv vectors: server key")
NEXT_SERVER = fixed_key("updatesrv vectors: rotated-in server key")
STRANGER = fixed_key("updatesrv vectors: a key nobody trusts")


def answer(*, update: str | None = "2.0.1", installed: dict[str, Any] | None = None,
           **extra: Any) -> dict[str, Any]:
    """A check answer in the wire format of updates/response.py."""
    body: dict[str, Any] = {
        "product": PRODUCT, "channel": CHANNEL,
        "installed": {"version": VERSION, "known": True, "yanked": False, "supported": True,
                      **(installed or {})},
        "update": None,
        "notices": [{
            "id": "LEDG-1", "revision": 3, "title": "Licence expired after renewal",
            "summary": "After renewing, the app says the licence **expired**.",
            "severity": "major", "status": "workaround", "platforms": [PLATFORM],
            "workaround": "1. Quit Ledgerly.\n2. Delete `license.cache`.\n3. Start it again.",
            "fixed_in": "2.0.1", "fix_available": update is not None,
            "url": "https://updates.example/p/ledgerly/known-issues/LEDG-1",
            "support_url": "mailto:help@ledgerly.example",
            "updated_at": "2026-02-28T09:00:00Z"}],
        "check_again_after": 86400,
    }
    if update is not None:
        body["update"] = {
            "version": update, "channel": CHANNEL, "published_at": "2026-02-28T10:00:00Z",
            "critical": False, "notes": "Fixes LEDG-1.",
            "notes_url": f"https://updates.example/p/ledgerly/releases/{update}",
            "download": {"url": f"https://cdn.example/ledgerly-{update}.exe", "size": 1234,
                         "sha256": "ab" * 32, "signature": None}}
    body.update(extra)
    return body


def statement(body: bytes, **fields: Any) -> bytes:
    values: dict[str, Any] = {"product": PRODUCT, "version": VERSION, "channel": CHANNEL,
                              "platform": PLATFORM, "body": body, "serial": SERIAL,
                              "issued_at": ISSUED, "ttl": TTL}
    values.update(fields)
    return check_statement(**values)


def raw_statement(body: bytes, **changes: Any) -> bytes:
    """A statement with fields no server would write (wrong type, no time zone, ...): the
    same canonical JSON, edited."""
    fields = json.loads(statement(body))
    fields.update(changes)
    for name, value in list(fields.items()):
        if value is None and name in changes:
            del fields[name]
    return json.dumps(fields, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode()


def signed(statement_bytes: bytes, *keys: ServerKey) -> dict[str, str]:
    return {"Updatesrv-Statement": base64.b64encode(statement_bytes).decode(),
            "Updatesrv-Signature": Keyring(list(keys or (SERVER,))).sign(statement_bytes)}


def _vector(name: str, description: str, body: bytes, headers: dict[str, str],
            expect: dict[str, Any], **client: Any) -> dict[str, Any]:
    setup = {"product": PRODUCT, "version": VERSION, "channel": CHANNEL, "platform": PLATFORM,
             "server_keys": [SERVER.public_key], "now": int(NOW.timestamp()),
             "highest_serial": 0, "allow_downgrade": False}
    setup.update(client)
    return {"name": name, "description": description, "client": setup, "headers": headers,
            "body": body.decode(), "expect": expect}


def accepted(update: str | None, notices: list[str] | None = None) -> dict[str, Any]:
    return {"verdict": "accepted", "update": update,
            "notices": ["LEDG-1"] if notices is None else notices}


def rejected(error: str) -> dict[str, Any]:
    return {"verdict": "rejected", "error": error}


def _cases() -> list[dict[str, Any]]:
    body = encode_json(answer())[0]
    good = statement(body)
    tampered = body.replace(b"2.0.1", b"9.9.9")
    downgrade = encode_json(answer(update="1.9.0"))[0]
    yanked = encode_json(answer(update="1.9.0", installed={"yanked": True}))[0]
    hostile = encode_json(answer(notices=[{"id": "LEDG-1", "revision": "3",
                                           "title": "x"}]))[0]
    flipped = bytearray(base64.b64decode(signed(good)["Updatesrv-Signature"].split(":")[1]))
    flipped[0] ^= 1
    cases: list[Callable[[], dict[str, Any]]] = [
        lambda: _vector("valid", "A fresh answer signed by the pinned key.", body,
                        signed(good), accepted("2.0.1")),
        lambda: _vector("valid-rotation", "Signed by a new and an old key; the app pins only "
                        "the new one (the signature it trusts is not the first).", body,
                        signed(good, STRANGER, NEXT_SERVER), accepted("2.0.1"),
                        server_keys=[NEXT_SERVER.public_key]),
        lambda: _vector("valid-same-serial", "The catalog serial equals the highest seen.",
                        body, signed(good), accepted("2.0.1"), highest_serial=SERIAL),
        lambda: _vector("valid-equivalent-version", "The statement names 2.0, the app is "
                        "2.0.0: the same version under PEP 440.", body,
                        signed(statement(body, version="2.0")), accepted("2.0.1")),
        lambda: _vector("no-update-no-notices", "An empty answer, signed.",
                        encode_json(answer(update=None, notices=[]))[0],
                        signed(statement(encode_json(answer(update=None, notices=[]))[0])),
                        accepted(None, [])),
        lambda: _vector("unsigned", "No signature headers at all.", body, {},
                        rejected("SignatureError")),
        lambda: _vector("untrusted-key", "Signed by a key the app does not pin.", body,
                        signed(good, STRANGER), rejected("SignatureError")),
        lambda: _vector("bad-signature", "The signature's first byte is flipped.", body,
                        {"Updatesrv-Statement": base64.b64encode(good).decode(),
                         "Updatesrv-Signature":
                             f"{SERVER.id}:{base64.b64encode(bytes(flipped)).decode()}"},
                        rejected("SignatureError")),
        lambda: _vector("signature-not-base64", "The signature header is not base64.", body,
                        {"Updatesrv-Statement": base64.b64encode(good).decode(),
                         "Updatesrv-Signature": f"{SERVER.id}:not*base64!"},
                        rejected("SignatureError")),
        lambda: _vector("statement-not-base64", "The statement header is not base64.", body,
                        {"Updatesrv-Statement": "%%%",
                         "Updatesrv-Signature": signed(good)["Updatesrv-Signature"]},
                        rejected("SignatureError")),
        lambda: _vector("body-tampered", "The body was changed after signing.", tampered,
                        signed(good), rejected("SignatureError")),
        lambda: _vector("other-product", "Signed for another product.", body,
                        signed(statement(body, product="other")), rejected("SignatureError")),
        lambda: _vector("other-version", "Signed for another installed version.", body,
                        signed(statement(body, version="1.0")), rejected("SignatureError")),
        lambda: _vector("other-channel", "Signed for another channel.", body,
                        signed(statement(body, channel="beta")), rejected("SignatureError")),
        lambda: _vector("other-platform", "Signed for another platform.", body,
                        signed(statement(body, platform="macos-arm64")),
                        rejected("SignatureError")),
        lambda: _vector("no-platform", "Signed for a check that named no platform.", body,
                        signed(statement(body, platform=None)), rejected("SignatureError")),
        lambda: _vector("wrong-type", "A signed statement of another type.", body,
                        signed(raw_statement(body, type="updatesrv.other.v1")),
                        rejected("SignatureError")),
        lambda: _vector("no-serial", "A signed statement without a catalog serial.", body,
                        signed(raw_statement(body, serial=None)), rejected("SignatureError")),
        lambda: _vector("expires-without-zone", "expires has no time zone.", body,
                        signed(raw_statement(body, expires="2026-03-08T12:00:00")),
                        rejected("SignatureError")),
        lambda: _vector("expired", "The statement expired before now (a replayed or frozen "
                        "answer).", body, signed(good), rejected("StaleAnswerError"),
                        now=int((ISSUED + TTL).timestamp())),
        lambda: _vector("rollback", "The catalog serial is lower than one already seen.",
                        body, signed(good), rejected("StaleAnswerError"),
                        highest_serial=SERIAL + 1),
        lambda: _vector("downgrade", "Offers 1.9.0 to a supported 2.0.0.", downgrade,
                        signed(statement(downgrade)), rejected("StaleAnswerError")),
        lambda: _vector("downgrade-yanked-not-allowed", "2.0.0 is yanked and the server "
                        "offers 1.9.0; the app does not allow downgrades: no offer.", yanked,
                        signed(statement(yanked)), accepted(None)),
        lambda: _vector("downgrade-yanked-allowed", "2.0.0 is yanked; the app allows "
                        "downgrades: 1.9.0 is offered.", yanked, signed(statement(yanked)),
                        accepted("1.9.0"), allow_downgrade=True),
        lambda: _vector("hostile-body", "Correctly signed, but a notice's revision is a "
                        "string.", hostile, signed(statement(hostile)),
                        rejected("ServerError")),
    ]
    return [make() for make in cases]


def vectors() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "statement_type": STATEMENT_TYPE,
        "about": "Signed check answers and the verdict a client must reach. For each vector: "
                 "verify the headers against client.server_keys for the client's product, "
                 "version, channel and platform at client.now (seconds since the epoch) with "
                 "client.highest_serial as the lowest acceptable serial, then parse body and "
                 "apply the no-downgrade rule. See docs/integrating/check-protocol.md.",
        "keys": {"server": SERVER.public_key, "next_server": NEXT_SERVER.public_key,
                 "stranger": STRANGER.public_key},
        "vectors": _cases(),
    }


def render() -> str:
    return json.dumps(vectors(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    VECTORS_FILE.parent.mkdir(parents=True, exist_ok=True)
    VECTORS_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {len(vectors()['vectors'])} vectors to {VECTORS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Passkeys checked by the webauthn library's own verification, fed by a small software
authenticator (ES256, "none" attestation) built here with cryptography and cbor2: a
registration and assertions it accepts, and the ones it must refuse (replayed, expired,
another account's key, a sign count that went back, no user verification without a
password, another origin), and one assertion sent twice at once signing in once."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import struct
import threading
from typing import Any

import cbor2
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from webauthn.helpers import bytes_to_base64url

from tests.conftest import make_vendor
from updatesrv.accounts import login, passkeys, twofactor
from updatesrv.accounts.errors import InvalidInput
from updatesrv.accounts.models import PasskeyChallenge, User, Vendor
from updatesrv.audit.models import AuditEvent
from updatesrv.db import db

RP = passkeys.relying_party(None, "http://localhost:5000/")
UP, UV, AT = 0x01, 0x04, 0x40


class SoftAuthenticator:
    """One discoverable ES256 credential, answering like a platform authenticator."""

    def __init__(self, user_handle: bytes) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.user_handle = user_handle
        self.count = 0

    def _client_data(self, kind: str, challenge: bytes, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": bytes_to_base64url(challenge),
                           "origin": origin, "crossOrigin": False}).encode()

    def create(self, challenge: bytes, origin: str = RP.origin) -> str:
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})
        auth_data = (hashlib.sha256(RP.rp_id.encode()).digest() + bytes([UP | UV | AT])
                     + struct.pack(">I", self.count) + bytes(16)
                     + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        cid = bytes_to_base64url(self.credential_id)
        return json.dumps({"id": cid, "rawId": cid, "type": "public-key",
                           "clientExtensionResults": {}, "response": {
                               "clientDataJSON": bytes_to_base64url(
                                   self._client_data("webauthn.create", challenge, origin)),
                               "attestationObject": bytes_to_base64url(attestation),
                               "transports": ["internal"]}})

    def get(self, challenge: bytes, *, origin: str = RP.origin, flags: int = UP | UV,
            count: int | None = None) -> str:
        self.count = self.count + 1 if count is None else count
        auth_data = (hashlib.sha256(RP.rp_id.encode()).digest() + bytes([flags])
                     + struct.pack(">I", self.count))
        client_data = self._client_data("webauthn.get", challenge, origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                  ec.ECDSA(hashes.SHA256()))
        cid = bytes_to_base64url(self.credential_id)
        return json.dumps({"id": cid, "rawId": cid, "type": "public-key",
                           "clientExtensionResults": {}, "response": {
                               "clientDataJSON": bytes_to_base64url(client_data),
                               "authenticatorData": bytes_to_base64url(auth_data),
                               "signature": bytes_to_base64url(signature),
                               "userHandle": bytes_to_base64url(self.user_handle)}})


def _user(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None
    return user


@pytest.fixture
def owner(app: Flask) -> Any:
    make_vendor(app, "acme", email="owner@acme.example")
    make_vendor(app, "other", email="owner@other.example")
    with app.app_context():
        user = _user("owner@acme.example")
        device = SoftAuthenticator(str(user.id).encode())
        _, challenge = passkeys.registration_options(db.session, user, RP)
        passkeys.register(db.session, user, RP, challenge, device.create(challenge), "Laptop")
    return device


def _sign_in(device: SoftAuthenticator, user: User | None, **kwargs: Any) -> User | None:
    _, challenge = passkeys.authentication_options(db.session, RP, user)
    return passkeys.authenticate(db.session, RP, challenge, device.get(challenge, **kwargs),
                                 user)


def test_registered_passkey_is_a_second_factor_and_a_sign_in(app: Flask, owner: Any) -> None:
    with app.app_context():
        user = _user("owner@acme.example")
        assert login.has_second_factor(db.session, user)
        assert _sign_in(owner, user) == user
        assert _sign_in(owner, None) == user  # passwordless
        [key] = passkeys.user_passkeys(db.session, user.id)
        assert (key.name, key.transports, key.sign_count) == ("Laptop", "internal", 2)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "user.passkey_added")) == 1
        # It satisfies an owner's "every member needs two-factor sign-in".
        db.session.execute(sa.update(Vendor).values(require_two_factor=True))
        db.session.commit()
        assert not twofactor.requires_enrolment(db.session, user)
        # Another account's password step cannot be finished with this passkey.
        assert _sign_in(owner, _user("owner@other.example")) is None


def test_refused_assertions(app: Flask, owner: Any) -> None:
    with app.app_context():
        user = _user("owner@acme.example")
        # Replayed: the challenge was claimed by the first use.
        _, challenge = passkeys.authentication_options(db.session, RP, user)
        answer = owner.get(challenge)
        assert passkeys.authenticate(db.session, RP, challenge, answer, user) == user
        assert passkeys.authenticate(db.session, RP, challenge, answer, user) is None
        # A sign count that went back (a cloned key).
        assert _sign_in(owner, user, count=1) is None
        # Without a password, user verification is required.
        assert _sign_in(owner, None, flags=UP) is None
        assert _sign_in(owner, user, flags=UP) == user
        # Another origin (a phishing site) and an expired challenge.
        assert _sign_in(owner, None, origin="http://evil.example") is None
        _, challenge = passkeys.authentication_options(db.session, RP, None)
        db.session.execute(sa.update(PasskeyChallenge).values(
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        db.session.commit()
        assert passkeys.authenticate(db.session, RP, challenge, owner.get(challenge),
                                     None) is None
        assert _sign_in(owner, None) == user  # still fine afterwards


def test_registration_refusals_and_removal(app: Flask, owner: Any) -> None:
    with app.app_context():
        user = _user("owner@acme.example")
        _, challenge = passkeys.registration_options(db.session, user, RP)
        with pytest.raises(InvalidInput, match="name"):
            passkeys.register(db.session, user, RP, challenge, owner.create(challenge), "  ")
        with pytest.raises(InvalidInput, match="already registered"):
            passkeys.register(db.session, user, RP, challenge, owner.create(challenge), "Again")
        second = SoftAuthenticator(str(user.id).encode())
        with pytest.raises(InvalidInput, match="expired"):  # claimed by the try above
            passkeys.register(db.session, user, RP, challenge, second.create(challenge), "B")
        _, challenge = passkeys.registration_options(db.session, user, RP)
        with pytest.raises(InvalidInput, match="could not be checked"):
            passkeys.register(db.session, user, RP, challenge,
                              second.create(challenge, origin="http://evil.example"), "B")
        [key] = passkeys.user_passkeys(db.session, user.id)
        assert passkeys.remove(db.session, _user("owner@other.example"), key.id) is None
        assert passkeys.remove(db.session, user, key.id) == "Laptop"
        assert not login.has_second_factor(db.session, user)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "user.passkey_removed")) == 1
        assert _sign_in(owner, None) is None


def test_one_assertion_sent_twice_at_once_signs_in_once(app: Flask, owner: Any) -> None:
    with app.app_context():
        _, challenge = passkeys.authentication_options(db.session, RP, None)
        answer = owner.get(challenge)
    barrier = threading.Barrier(2)
    results: list[int | None] = []

    def submit() -> None:
        with app.app_context():
            barrier.wait()
            user = passkeys.authenticate(db.session, RP, challenge, answer, None)
            results.append(user.id if user else None)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 2 and results.count(None) == 1


def test_rp_id_follows_base_url() -> None:
    rp = passkeys.relying_party("https://updates.example.com/sub", "http://10.0.0.5:8000/")
    assert (rp.origin, rp.rp_id) == ("https://updates.example.com", "updates.example.com")
    assert passkeys.relying_party(None, "http://localhost:8000/").rp_id == "localhost"

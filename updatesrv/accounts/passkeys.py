"""Passkeys (WebAuthn, checked by Duo Labs' ``webauthn`` library): a second factor after
the password, and a sign-in without a password from a discoverable credential.

Every ceremony starts with a random challenge kept server-side as a hash with a short
expiry; finishing claims it by deleting its row (one conditional DELETE), so an
assertion replayed, or sent twice at once, is accepted at most once. The stored sign
count only moves forward, by a conditional UPDATE: a cloned authenticator whose count
went back is refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
import webauthn
from sqlalchemy.orm import Session
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ..db import utcnow, write_intent
from .errors import InvalidInput
from .models import Passkey, PasskeyChallenge, User
from .twofactor import record_member_event

RP_NAME = "updatesrv"
CHALLENGE_SECONDS = 300
NOT_ACCEPTED = "That passkey was not accepted. Try again, or use another way to sign in."


@dataclass(frozen=True)
class RelyingParty:
    """Who the browser is talking to: the RP ID is the host name of the origin."""

    origin: str

    @property
    def rp_id(self) -> str:
        return urlsplit(self.origin).hostname or ""


def relying_party(base_url: str | None, host_url: str) -> RelyingParty:
    """The public BASE_URL when one is set (behind a proxy), else the request's own."""
    parts = urlsplit(base_url or host_url)
    return RelyingParty(origin=f"{parts.scheme}://{parts.netloc}")


def _hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def _store_challenge(session: Session, challenge: bytes, purpose: str,
                     user_id: int | None) -> None:
    now = utcnow()
    with write_intent():
        session.execute(sa.delete(PasskeyChallenge).where(PasskeyChallenge.expires_at < now))
        session.add(PasskeyChallenge(challenge_hash=_hash(challenge), purpose=purpose,
                                     user_id=user_id,
                                     expires_at=now + dt.timedelta(seconds=CHALLENGE_SECONDS)))
        session.commit()


def _claim_challenge(session: Session, challenge: bytes, purpose: str,
                     user_id: int | None) -> bool:
    with write_intent():
        claimed = session.execute(sa.delete(PasskeyChallenge).where(
            PasskeyChallenge.challenge_hash == _hash(challenge),
            PasskeyChallenge.purpose == purpose,
            PasskeyChallenge.user_id.is_(None) if user_id is None
            else PasskeyChallenge.user_id == user_id,
            PasskeyChallenge.expires_at >= utcnow()))
        session.commit()
    return getattr(claimed, "rowcount", 0) == 1


def user_passkeys(session: Session, user_id: int) -> list[Passkey]:
    return list(session.scalars(sa.select(Passkey).where(Passkey.user_id == user_id)
                                .order_by(Passkey.created_at, Passkey.id)))


def has_passkey(session: Session, user_id: int) -> bool:
    return session.scalar(sa.select(sa.func.count()).select_from(Passkey).where(
        Passkey.user_id == user_id)) != 0


def _descriptors(keys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    out = []
    for key in keys:
        transports = [AuthenticatorTransport(t) for t in key.transports.split(",")
                      if t in {m.value for m in AuthenticatorTransport}]
        out.append(PublicKeyCredentialDescriptor(id=key.credential_id,
                                                 transports=transports or None))
    return out


def registration_options(session: Session, user: User, rp: RelyingParty) -> tuple[str, bytes]:
    """The options for ``navigator.credentials.create`` (JSON) and their challenge."""
    options = webauthn.generate_registration_options(
        rp_id=rp.rp_id, rp_name=RP_NAME, user_id=str(user.id).encode(), user_name=user.email,
        user_display_name=user.email,
        exclude_credentials=_descriptors(user_passkeys(session, user.id)),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED))
    _store_challenge(session, options.challenge, "register", user.id)
    return webauthn.options_to_json(options), options.challenge


def register(session: Session, user: User, rp: RelyingParty, challenge: bytes,
             credential_json: str, name: str) -> Passkey:
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise InvalidInput("Give the passkey a name of 1 to 100 characters, such as "
                           "\"Work laptop\".", field="name")
    if not _claim_challenge(session, challenge, "register", user.id):
        raise InvalidInput("The passkey request expired. Try again.")
    try:
        verified = webauthn.verify_registration_response(
            credential=credential_json, expected_challenge=challenge,
            expected_rp_id=rp.rp_id, expected_origin=rp.origin,
            require_user_verification=True)
        transports = json.loads(credential_json).get("response", {}).get("transports") or []
    except (WebAuthnException, ValueError, AttributeError) as exc:
        raise InvalidInput("The browser's answer could not be checked: "
                           "the passkey was not added.") from exc
    with write_intent():
        if session.scalar(sa.select(Passkey.id).where(
                Passkey.credential_id == verified.credential_id)) is not None:
            session.rollback()
            raise InvalidInput("That passkey is already registered.")
        key = Passkey(user_id=user.id, credential_id=verified.credential_id,
                      public_key=verified.credential_public_key,
                      sign_count=verified.sign_count, name=name,
                      transports=",".join(str(t) for t in transports)[:200])
        session.add(key)
        record_member_event(session, user, "user.passkey_added", {"passkey": name})
        session.commit()
    return key


def remove(session: Session, user: User, passkey_id: int) -> str | None:
    """Removes one of ``user``'s passkeys; returns its name, or None if there is none."""
    with write_intent():
        key = session.scalar(sa.select(Passkey).where(Passkey.id == passkey_id,
                                                      Passkey.user_id == user.id))
        if key is None:
            session.rollback()
            return None
        name = key.name
        session.delete(key)
        record_member_event(session, user, "user.passkey_removed", {"passkey": name})
        session.commit()
    return name


def authentication_options(session: Session, rp: RelyingParty,
                           user: User | None) -> tuple[str, bytes]:
    """Options for ``navigator.credentials.get``: for ``user``'s own passkeys (second
    factor), or for any discoverable one (``user`` None: sign-in without a password)."""
    allow = _descriptors(user_passkeys(session, user.id)) if user is not None else []
    options = webauthn.generate_authentication_options(
        rp_id=rp.rp_id, allow_credentials=allow,
        user_verification=UserVerificationRequirement.REQUIRED if user is None
        else UserVerificationRequirement.PREFERRED)
    _store_challenge(session, options.challenge, "sign-in", user.id if user else None)
    return webauthn.options_to_json(options), options.challenge


def authenticate(session: Session, rp: RelyingParty, challenge: bytes, credential_json: str,
                 user: User | None) -> User | None:
    """The user the assertion proves, or None. With ``user`` given (the password step
    passed) the passkey must be theirs; without, user verification is required."""
    try:
        data: dict[str, Any] = json.loads(credential_json)
        credential_id = base64url_to_bytes(str(data.get("rawId") or data.get("id") or ""))
    except (ValueError, TypeError, AttributeError):
        return None
    if not _claim_challenge(session, challenge, "sign-in", user.id if user else None):
        return None
    key = session.scalar(sa.select(Passkey).where(Passkey.credential_id == credential_id))
    if key is None or (user is not None and key.user_id != user.id):
        return None
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential_json, expected_challenge=challenge,
            expected_rp_id=rp.rp_id, expected_origin=rp.origin,
            credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
            require_user_verification=user is None)
    except (WebAuthnException, ValueError, AttributeError):
        return None
    handle = (data.get("response") or {}).get("userHandle")
    if user is None and handle and base64url_to_bytes(handle) != str(key.user_id).encode():
        return None
    new = verified.new_sign_count
    with write_intent():
        # Moves only forward (or stays 0 for authenticators that keep no count): a
        # concurrent use of the same count, or a cloned key, loses here.
        forward = Passkey.sign_count == 0 if new == 0 else Passkey.sign_count < new
        moved = session.execute(sa.update(Passkey).where(Passkey.id == key.id, forward)
                                .values(sign_count=new, last_used_at=utcnow()))
        session.commit()
    if getattr(moved, "rowcount", 0) != 1:
        return None
    return session.get(User, key.user_id)


def challenge_text(challenge: bytes) -> str:
    return bytes_to_base64url(challenge)


def challenge_bytes(text: object) -> bytes | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return base64url_to_bytes(text)
    except ValueError:
        return None

"""Tokens in subscription mails. Confirmation: random, stored only as a SHA-256, cleared
when used (single use). Unsubscribe: an HMAC over the subscription id and a random nonce
under a purpose-specific key, so it works for every mail sent to that subscription, cannot
be guessed, and cannot be used as a confirmation token or for another subscription."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def new_confirm_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_nonce() -> str:
    return secrets.token_hex(16)


def _mac(secret: str, subscription_id: int, nonce: str) -> str:
    digest = hmac.new(f"updatesrv-unsubscribe:{secret}".encode(),
                      f"{subscription_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def unsubscribe_token(secret: str, subscription_id: int, nonce: str) -> str:
    return f"{subscription_id}.{_mac(secret, subscription_id, nonce)}"


def parse_unsubscribe_token(token: str) -> tuple[int, str] | None:
    sid, _, mac = (token or "").partition(".")
    # isascii: str.isdigit() is also true for '²' or '①', which int() refuses.
    if not (sid.isascii() and sid.isdigit()) or len(sid) > 18 or not mac or len(token) > 200:
        return None
    return int(sid), mac


def unsubscribe_token_matches(secret: str, subscription_id: int, nonce: str, mac: str) -> bool:
    return hmac.compare_digest(_mac(secret, subscription_id, nonce), mac)

"""The server's Ed25519 keys, one PEM file each in ``SERVER_KEYS_DIR`` (the instance
folder's ``server-keys/`` unless configured). Every key in the folder signs every answer and
is published at /api/v1/keys, so a rotation is: add a key, ship apps that trust it, retire
the old one (docs/operating/keys.md, "Rotating the server key")."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..errors import InvalidInput


def key_id(public_raw: bytes) -> str:
    """A short, stable name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


@dataclass(frozen=True)
class ServerKey:
    id: str
    public_key: str  # base64 of the 32 raw bytes
    private: Ed25519PrivateKey


def _public_raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)


class Keyring:
    """The keys found in one folder at start-up (a restart picks up added or retired keys)."""

    def __init__(self, keys: list[ServerKey]) -> None:
        self.keys = tuple(sorted(keys, key=lambda k: k.id))

    @classmethod
    def load(cls, directory: Path) -> Keyring:
        keys = []
        for path in sorted(directory.glob("*.pem")) if directory.is_dir() else []:
            try:
                private = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except (ValueError, TypeError, OSError) as exc:
                raise RuntimeError(f"server key {path} cannot be read: {exc}") from None
            if not isinstance(private, Ed25519PrivateKey):
                raise RuntimeError(f"server key {path} is not an Ed25519 key")
            raw = _public_raw(private)
            keys.append(ServerKey(key_id(raw), base64.b64encode(raw).decode(), private))
        return cls(keys)

    def __bool__(self) -> bool:
        return bool(self.keys)

    def published(self) -> list[dict[str, str]]:
        return [{"id": k.id, "algorithm": "ed25519", "public_key": k.public_key}
                for k in self.keys]

    def sign(self, data: bytes) -> str:
        """``keyid:base64sig`` for every key, comma-separated: the Updatesrv-Signature value."""
        return ", ".join(f"{k.id}:{base64.b64encode(k.private.sign(data)).decode()}"
                         for k in self.keys)


def generate(directory: Path) -> ServerKey:
    """Adds a new key to the folder (owner-only permissions) and returns it."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = Ed25519PrivateKey.generate()
    raw = _public_raw(private)
    key = ServerKey(key_id(raw), base64.b64encode(raw).decode(), private)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    fd = os.open(directory / f"{key.id}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key


def retire(directory: Path, keyid: str) -> None:
    """Deletes a key: it no longer signs and is no longer published (after a restart)."""
    ring = Keyring.load(directory)
    if keyid not in {k.id for k in ring.keys}:
        known = ", ".join(k.id for k in ring.keys) or "none"
        raise InvalidInput(f"no server key {keyid!r} in {directory} (keys: {known})")
    if len(ring.keys) == 1:
        raise InvalidInput(f"{keyid} is the only server key; add its successor first "
                           "(updatesrv keygen --server), ship apps that trust it, then retire")
    for path in directory.glob("*.pem"):
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(private, Ed25519PrivateKey) and key_id(_public_raw(private)) == keyid:
            path.unlink()

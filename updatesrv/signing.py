"""Ed25519 signatures over artifact bytes, the scheme Sparkle and Tauri use. The server
only ever holds public keys."""

from __future__ import annotations

import base64
import binascii
import mmap
from pathlib import Path
from typing import cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .errors import InvalidInput


def _b64decode(value: object, field: str, what: str, length: int) -> bytes:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a base64 string", field=field)
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{field} is not valid base64", field=field) from None
    if len(raw) != length:
        raise InvalidInput(f"{field} must be a {length}-byte {what} in base64; got {len(raw)} "
                           "bytes", field=field)
    return raw


def parse_public_key(value: object, field: str = "signing_keys") -> str:
    """Validates a base64 raw Ed25519 public key and returns it in canonical base64."""
    raw = _b64decode(value, field, "Ed25519 public key", 32)
    Ed25519PublicKey.from_public_bytes(raw)
    return base64.b64encode(raw).decode()


def parse_signature(value: object, field: str = "signature") -> str:
    raw = _b64decode(value, field, "Ed25519 signature", 64)
    return base64.b64encode(raw).decode()


def verify_bytes(data: bytes, signature: str, public_keys: list[str]) -> bool:
    sig = base64.b64decode(signature)
    for key in public_keys:
        try:
            Ed25519PublicKey.from_public_bytes(base64.b64decode(key)).verify(sig, data)
            return True
        except InvalidSignature:
            continue
    return False


def verify_file(path: Path, signature: str, public_keys: list[str]) -> bool:
    """True when any of the keys verifies the signature over the file's bytes."""
    sig = base64.b64decode(signature)
    with open(path, "rb") as fh:
        if path.stat().st_size == 0:
            data: bytes | mmap.mmap = b""
        else:
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            for key in public_keys:
                try:
                    Ed25519PublicKey.from_public_bytes(base64.b64decode(key)).verify(
                        sig, cast(bytes, data))  # mmap: any buffer works
                    return True
                except InvalidSignature:
                    continue
            return False
        finally:
            if isinstance(data, mmap.mmap):
                data.close()

"""Ed25519 checks of the vendor's signatures on a release: over a manifest that names the
product, version, platform, size and SHA-256 (binds what it signs), or over the file's bytes
(the older scheme, still accepted where the vendor has not switched)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import FileSignatureError, SignatureError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from ._models import Update

ANY_PLATFORM = "any"


def load_keys(keys: Iterable[str], what: str) -> list[Ed25519PublicKey]:
    """Base64 raw Ed25519 public keys; a SignatureError names the bad one."""
    keys = list(keys)
    if not keys:
        return []
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        raise SignatureError(f"{what} needs the 'cryptography' package: "
                             "pip install 'updatesrv-client[signatures]'") from None
    loaded = []
    for key in keys:
        try:
            raw = base64.b64decode(key, validate=True)
            loaded.append(Ed25519PublicKey.from_public_bytes(raw))
        except (ValueError, TypeError, binascii.Error):
            raise SignatureError(f"{what}: {key!r} is not a base64 Ed25519 public key"
                                 ) from None
    return loaded


def decode_signature(value: str | None, what: str,
                     error: type[SignatureError] = SignatureError) -> bytes:
    if not value:
        raise error(f"{what} carries no signature, but this app requires one")
    try:
        sig = base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise error(f"{what}'s signature is not base64") from None
    if len(sig) != 64:
        raise error(f"{what}'s signature is not an Ed25519 signature")
    return sig


def verified_by(keys: Sequence[Ed25519PublicKey], sig: bytes, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    for key in keys:
        try:
            key.verify(sig, data)
            return True
        except InvalidSignature:
            continue
    return False


def verify_file(keys: Sequence[Ed25519PublicKey], path: Path, signature: str | None) -> None:
    sig = decode_signature(signature, "the update", FileSignatureError)
    if not verified_by(keys, sig, path.read_bytes()):
        raise FileSignatureError("the update's signature does not match any trusted key")


def verify_manifest(keys: Sequence[Ed25519PublicKey], update: Update, product: str,
                    platform: str) -> None:
    """When the update carries a signed manifest, it must verify and name this product, the
    offered version, this platform (or 'any'), and the advertised size and SHA-256."""
    if update.manifest_signature is None:
        return  # the bare-bytes signature is checked after the download
    sig = decode_signature(update.manifest_signature, "the update's manifest",
                           FileSignatureError)
    if update.manifest is None or not verified_by(keys, sig, update.manifest.encode()):
        raise FileSignatureError("the update's manifest signature does not match any "
                                 "trusted key")
    try:
        manifest: Any = json.loads(update.manifest)
    except (ValueError, RecursionError):
        manifest = None
    if not isinstance(manifest, dict):
        raise FileSignatureError("the update's signed manifest is not a JSON object")
    expected = {"product": product, "version": update.version, "size": update.size,
                "sha256": update.sha256}
    for field, value in expected.items():
        if manifest.get(field) != value:
            raise FileSignatureError(
                f"the vendor signed {field} {manifest.get(field)!r}, but the server offers "
                f"{value!r}: refused (mix-and-match)")
    if manifest.get("platform") not in (platform, ANY_PLATFORM):
        raise FileSignatureError(f"the vendor signed this file for platform "
                                 f"{manifest.get('platform')!r}, not {platform!r}")

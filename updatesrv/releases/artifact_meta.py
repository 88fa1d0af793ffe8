"""What the compatible update feeds need to know about a file beyond its sha256: its kind,
the digests other updaters verify, and a minisign signature for Tauri. Uploads get the
digests computed; external URLs state them."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from ..errors import InvalidInput

# blockmap: electron-builder's ``{installer}.blockmap``, served next to the installer for
# electron-updater's differential download (docs/vendor/deltas.md); never offered itself.
KINDS = ("full", "delta", "installer", "blockmap")
SHA512_RE = re.compile(r"^[0-9a-f]{128}\Z")
SHA1_RE = re.compile(r"^[0-9a-f]{40}\Z")
MAX_MINISIGN = 2000
# A minisign signature line: 2-byte algorithm, 8-byte key id, 64-byte Ed25519 signature.
MINISIGN_SIGNATURE_BYTES = 74


@dataclass(frozen=True)
class ArtifactMeta:
    kind: str = "full"
    sha512: str | None = None
    sha1: str | None = None
    minisign_signature: str | None = None


def parse_kind(value: object, field: str = "kind") -> str:
    if value in (None, ""):
        return "full"
    if value not in KINDS:
        raise InvalidInput(f"{field} must be one of {', '.join(KINDS)}; got {value!r}",
                           field=field)
    return str(value)


def _hex(value: object, pattern: re.Pattern[str], field: str, what: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be {what}", field=field)
    text = value.strip().lower()
    if pattern.match(text):
        return text
    # electron-builder writes sha512 as base64; accept that spelling too.
    if pattern is SHA512_RE:
        try:
            raw = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) == 64:
            return raw.hex()
    raise InvalidInput(f"{field} must be {what}", field=field)


def parse_sha512(value: object, field: str = "sha512") -> str | None:
    return _hex(value, SHA512_RE, field, "128 hexadecimal characters (or 88 base64)")


def parse_sha1(value: object, field: str = "sha1") -> str | None:
    return _hex(value, SHA1_RE, field, "40 hexadecimal characters")


def parse_minisign(value: object, field: str = "minisign_signature") -> str | None:
    """Accepts the text of a .minisig file or its base64 (the form `tauri signer sign`
    writes to .sig files) and returns the base64 form Tauri's updater expects."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > MAX_MINISIGN:
        raise InvalidInput(f"{field} must be a minisign signature (the .sig or .minisig file's "
                           f"contents, at most {MAX_MINISIGN} characters)", field=field)
    text = value.strip()
    if not text.startswith("untrusted comment:"):
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise InvalidInput(f"{field} is neither a minisign signature file nor its base64",
                               field=field) from None
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        signature = base64.b64decode(lines[1], validate=True)
        global_signature = base64.b64decode(lines[3], validate=True)
    except (IndexError, binascii.Error, ValueError):
        raise InvalidInput(f"{field} must have minisign's four lines: untrusted comment, "
                           "signature, trusted comment, global signature", field=field) from None
    if (not lines[0].startswith("untrusted comment:")
            or not lines[2].startswith("trusted comment:")
            or len(signature) != MINISIGN_SIGNATURE_BYTES or len(global_signature) != 64
            or signature[:2] not in (b"Ed", b"ED")):
        raise InvalidInput(f"{field} is not a valid minisign Ed25519 signature", field=field)
    canonical = "\n".join(lines) + "\n"
    return base64.b64encode(canonical.encode()).decode()


def parse_meta(item: dict[str, object], where: str) -> ArtifactMeta:
    return ArtifactMeta(
        kind=parse_kind(item.get("kind"), f"{where}.kind"),
        sha512=parse_sha512(item.get("sha512"), f"{where}.sha512"),
        sha1=parse_sha1(item.get("sha1"), f"{where}.sha1"),
        minisign_signature=parse_minisign(item.get("minisign_signature"),
                                          f"{where}.minisign_signature"))

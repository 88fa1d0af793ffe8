"""Verifying that a check answer is authentic, fresh and meant for this install.

The server sends, beside the answer's body, an ``Updatesrv-Statement`` header (base64
canonical JSON: type, product, version, channel, platform, body_sha256, serial, issued_at,
expires) and an ``Updatesrv-Signature`` header (``keyid:base64sig`` per server key, comma
separated). A 304 carries a newly dated statement for the body the client already has."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from packaging.version import InvalidVersion, Version

from . import _signatures
from ._models import CheckResult
from .errors import ServerError, SignatureError, StaleAnswerError

log = logging.getLogger("updatesrv_client")

STATEMENT_TYPE = "updatesrv.check.v1"
MAX_HEADER = 8192


@dataclass(frozen=True)
class Statement:
    serial: int
    issued_at: float
    expires: float
    body_sha256: str


@dataclass(frozen=True)
class Target:
    """What this install asked about; a statement for anything else is refused."""

    product: str
    version: str
    channel: str
    platform: str


def _timestamp(value: Any, name: str) -> float:
    if not isinstance(value, str):
        raise SignatureError(f"the signed statement has no {name}")
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SignatureError(f"the signed statement's {name} is not a date") from None
    if when.tzinfo is None:
        raise SignatureError(f"the signed statement's {name} has no time zone")
    return when.timestamp()


def same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


class ServerTrust:
    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = _signatures.load_keys(keys, "server_keys")

    def verify(self, headers: Mapping[str, str], body: bytes, target: Target,
               now: float, lowest_serial: int) -> Statement:
        """The statement in ``headers``, once it is signed by a trusted key, names
        ``target``, hashes to ``body``, has not expired and is not older than
        ``lowest_serial``. SignatureError or StaleAnswerError otherwise."""
        encoded = headers.get("Updatesrv-Statement")
        signatures = headers.get("Updatesrv-Signature")
        if not encoded or not signatures:
            raise SignatureError("the answer is not signed, but this app requires a signed "
                                 "answer (server_keys)")
        if len(encoded) > MAX_HEADER or len(signatures) > MAX_HEADER:
            raise SignatureError("the answer's signature headers are too large")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise SignatureError("the answer's signed statement is not base64") from None
        if not any(_signatures.verified_by(self.keys, sig, raw)
                   for sig in self._signatures(signatures)):
            raise SignatureError("the answer's signature does not match any trusted "
                                 "server key")
        try:
            fields = json.loads(raw)
        except (ValueError, RecursionError):
            raise SignatureError("the signed statement is not JSON") from None
        if not isinstance(fields, dict) or fields.get("type") != STATEMENT_TYPE:
            raise SignatureError("the signed statement is not a check statement")
        for name in ("product", "channel", "platform"):
            if fields.get(name) != getattr(target, name):
                raise SignatureError(
                    f"the signed answer is for {name} {fields.get(name)!r}, not "
                    f"{getattr(target, name)!r}: refused")
        if not isinstance(fields.get("version"), str) or not same_version(
                fields["version"], target.version):
            raise SignatureError(f"the signed answer is for version {fields.get('version')!r}, "
                                 f"not {target.version!r}: refused")
        if fields.get("body_sha256") != hashlib.sha256(body).hexdigest():
            raise SignatureError("the answer's body is not the one its signature covers")
        serial = fields.get("serial")
        if not isinstance(serial, int) or isinstance(serial, bool) or serial < 0:
            raise SignatureError("the signed statement has no catalog serial")
        statement = Statement(serial=serial,
                              issued_at=_timestamp(fields.get("issued_at"), "issued_at"),
                              expires=_timestamp(fields.get("expires"), "expires"),
                              body_sha256=fields["body_sha256"])
        if now >= statement.expires:
            raise StaleAnswerError(
                f"the signed answer expired on {fields['expires']}: refused (a replayed or "
                "frozen answer)")
        if serial < lowest_serial:
            raise StaleAnswerError(
                f"the answer is older (catalog serial {serial}) than one already seen "
                f"({lowest_serial}): refused (rollback)")
        return statement

    @staticmethod
    def _signatures(header: str) -> list[bytes]:
        found = []
        for item in header.split(",")[:16]:
            _, _, value = item.strip().rpartition(":")
            try:
                sig = base64.b64decode(value, validate=True)
            except (ValueError, binascii.Error):
                continue
            if len(sig) == 64:
                found.append(sig)
        return found


def guard_offer(result: CheckResult, installed: str, allow_downgrade: bool) -> CheckResult:
    """No downgrades: an offer not newer than the installed version is refused, unless the
    answer says the installed version is yanked or unsupported (updatesrv's own rollback)
    and the app allowed downgrades; without that permission the offer is dropped."""
    update = result.update
    if update is None:
        return result
    try:
        newer = Version(update.version) > Version(installed)
    except InvalidVersion:
        raise ServerError(f"the offered version {update.version!r} is not a version") from None
    if newer:
        return result
    if result.installed.yanked or not result.installed.supported:
        if allow_downgrade:
            return result
        log.info("not offering %s: it is not newer than %s and allow_downgrade is off",
                 update.version, installed)
        return replace(result, update=None)
    raise StaleAnswerError(f"the server offers {update.version}, which is not newer than the "
                           f"installed {installed}: refused (rollback)")

"""The signed statement sent with every check answer.

The body stays the answer third-party clients already read. Beside it, the
``Updatesrv-Statement`` header carries base64 canonical JSON naming what the answer is for
(product, installed version, channel, platform), the SHA-256 of the exact body bytes (which
hold the offer and the notices), the product's catalog serial, ``issued_at`` and
``expires``; ``Updatesrv-Signature`` signs those bytes with every server key. A 304 carries a
newly dated statement for the same body hash, so a client re-validates its cached answer
without downloading it again."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from ..timeutil import rfc3339
from .keys import Keyring

STATEMENT_TYPE = "updatesrv.check.v1"


@dataclass(frozen=True)
class SignedHeaders:
    statement: str
    signature: str
    issued_at: dt.datetime
    # When the cached statement is re-dated: the check compares one datetime per request.
    resign_at: dt.datetime


def check_statement(*, product: str, version: str, channel: str, platform: str | None,
                    body: bytes, serial: int, issued_at: dt.datetime,
                    ttl: dt.timedelta) -> bytes:
    return json.dumps({
        "type": STATEMENT_TYPE, "product": product, "version": version, "channel": channel,
        "platform": platform, "body_sha256": hashlib.sha256(body).hexdigest(),
        "serial": serial, "issued_at": rfc3339(issued_at),
        "expires": rfc3339(issued_at + ttl),
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign_check(keyring: Keyring, *, product: str, version: str, channel: str,
               platform: str | None, body: bytes, serial: int, now: dt.datetime,
               ttl: dt.timedelta, resign_after: dt.timedelta) -> SignedHeaders:
    issued_at = now.replace(microsecond=0)
    statement = check_statement(product=product, version=version, channel=channel,
                                platform=platform, body=body, serial=serial,
                                issued_at=issued_at, ttl=ttl)
    return SignedHeaders(base64.b64encode(statement).decode(), keyring.sign(statement),
                         issued_at, issued_at + min(resign_after, ttl / 10))

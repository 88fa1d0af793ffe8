"""The check answer, free of Flask's request object: the Flask view and the WSGI fast lane
(``fastlane.py``) both call ``answer_check``, so every rule of the check lives here once.

Query arguments arrive as a plain mapping (first value of each name, as ``request.args``
gives), the answer leaves as status, headers and bytes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from werkzeug.http import parse_etags, quote_etag

from ..db import utcnow
from ..errors import InvalidInput, NotFound
from ..trust.statements import sign_check
from ..updates.catalog import CachedAnswer, Catalog
from ..updates.catalog_cache import CatalogCache
from ..updates.decision import UpdateQuery, decide, in_rollout
from ..updates.response import check_body
from ..versions import PLATFORM_RE, parse_version
from .helpers import encode_json

if TYPE_CHECKING:
    from .. import Runtime

INSTALL_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}\Z")
SHOWN_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}:[0-9]{1,9}\Z")
MAX_SHOWN = 50
# A cached signed statement is re-dated at least this often (and after a tenth of its TTL).
RESIGN_AFTER = dt.timedelta(hours=1)


@dataclass(frozen=True)
class CheckReply:
    status: int
    body: bytes
    # Without Content-Length: the fast lane adds it, werkzeug computes it for the view.
    headers: list[tuple[str, str]]


def catalog_of(catalogs: CatalogCache, product: str) -> Catalog:
    catalog = catalogs.get(product)
    if catalog is None:
        # Naming the product lets clients tell "no such product" from a wrong server URL.
        raise NotFound(f"no product {product!r}", product=product)
    return catalog


def channel_arg(catalog: Catalog, args: Mapping[str, str]) -> str:
    channel = args.get("channel") or catalog.channels[0]
    if channel not in catalog.channels:
        raise InvalidInput(f"channel must be one of {', '.join(catalog.channels)}; "
                           f"got {channel!r}", field="channel")
    return channel


def platform_arg(catalog: Catalog, args: Mapping[str, str]) -> str | None:
    """The product's id for the install's platform; an id it does not know (``windows``
    for ``windows-x86_64``) is refused rather than answered with "nothing to see"."""
    return catalog.reported_platform(args.get("platform"))


def note_refused_platform(rt: Runtime, catalog: Catalog, sent: str,
                          exc: InvalidInput) -> None:
    """Refused, but not forgotten: the vendor's dashboard lists the unknown platform ids
    installs sent, with counts. The check and every compatible feed note a refusal here
    (an input that is not a platform id at all is not listed)."""
    if exc.extra.get("known_platforms") is not None and PLATFORM_RE.match(sent):
        rt.recorder.rejected.add(catalog.product_id, sent, utcnow())


def parse_install_id(value: str | None, field: str = "install_id") -> str | None:
    """An install id (or an updater's staging id) as the check and the feeds accept it."""
    if not value:
        return None
    if not INSTALL_ID_RE.match(value):
        raise InvalidInput(f"{field} must be 1-128 characters of letters, digits, '_', '.', "
                           "':' or '-'", field=field)
    return value


def shown_arg(args: Mapping[str, str]) -> tuple[tuple[str, int], ...]:
    """``shown=ID:REV,ID:REV``: notices the app displayed since its last check (the
    client queues these acknowledgements and sends them with the next check)."""
    raw = args.get("shown")
    if not raw:
        return ()
    items = raw.split(",")
    if len(items) > MAX_SHOWN or not all(SHOWN_RE.match(item) for item in items):
        raise InvalidInput(f"shown must be up to {MAX_SHOWN} NOTICE-ID:REVISION pairs "
                           "separated by commas", field="shown")
    return tuple((i.rsplit(":", 1)[0], int(i.rsplit(":", 1)[1])) for i in items)


def answer_check(rt: Runtime, config: Mapping[str, Any], product: str,
                 args: Mapping[str, str], base: str, if_none_match: str | None, *,
                 note_refused: bool = True) -> CheckReply:
    """Validates the query, decides (or takes the cached answer), signs once per cached
    answer, records the check, and renders status and headers (304 on a matching ETag).
    Raises InvalidInput / NotFound before anything is recorded, except that an unknown
    platform id is noted for the vendor's dashboard (``note_refused``: the fast lane
    leaves that to the Flask view, which answers the refusal)."""
    version = parse_version(args.get("version"))
    catalog = catalog_of(rt.catalogs, product)
    channel = channel_arg(catalog, args)
    try:
        platform = platform_arg(catalog, args)
    except InvalidInput as exc:
        if note_refused:
            note_refused_platform(rt, catalog, args.get("platform") or "", exc)
        raise
    install_id = parse_install_id(args.get("install_id"))
    shown = shown_arg(args)
    # Keyed by the product's matched locale, not the raw tag: hu, hu-HU and hu_HU.UTF-8
    # share one cached answer (and a product without translations has only one).
    locale = catalog.match_locale(args.get("locale"))
    now = utcnow()
    # Answers are cached per catalog (Balrog's approach): the key holds everything else the
    # decision reads, so a hit is exactly what deciding again would produce.
    interval = int(config["CHECK_INTERVAL"])
    key = (*catalog.answer_key(version, channel, platform, install_id, base, now, in_rollout),
           interval, locale)
    answer = catalog.answer_memo.get(key)
    if answer is None:
        decision = decide(UpdateQuery(version=version, channel=channel, platform=platform,
                                      install_id=install_id, now=now), catalog)
        answer = CachedAnswer(*encode_json(check_body(decision, catalog, channel, base,
                                                      interval, locale)))
        catalog.remember_answer(key, answer)
    if rt.keyring and (answer.signed is None or now >= answer.signed.resign_at):
        # Signed once per cached answer and re-dated now and then, not per request.
        ttl = dt.timedelta(seconds=int(config["CHECK_SIGNATURE_TTL"]))
        answer = replace(answer, signed=sign_check(
            rt.keyring, product=catalog.slug, version=str(version), channel=channel,
            platform=platform, body=answer.payload, serial=catalog.revision, now=now, ttl=ttl,
            resign_after=RESIGN_AFTER))
        catalog.remember_answer(key, answer)
    # Reach: which notices this answer told the install about (same selection as decide()).
    told = (tuple(n.public_id for n in catalog.notices_for(version, channel, platform))
            if install_id else ())
    rt.recorder.record(catalog.product_id, str(version), channel, platform, install_id, now,
                       told=told, shown=shown)
    not_modified = bool(if_none_match) and parse_etags(if_none_match).contains_weak(
        answer.etag)
    headers = [("Cache-Control", f"public, max-age={int(config['CHECK_MAX_AGE'])}"),
               ("ETag", quote_etag(answer.etag)), ("X-Content-Type-Options", "nosniff")]
    if not not_modified:
        headers.insert(0, ("Content-Type", "application/json"))
    if answer.signed is not None:
        # On a 304 too: a freshly dated statement re-validates the client's cached body.
        headers += [("Updatesrv-Statement", answer.signed.statement),
                    ("Updatesrv-Signature", answer.signed.signature)]
    return CheckReply(304, b"", headers) if not_modified else CheckReply(
        200, answer.payload, headers)

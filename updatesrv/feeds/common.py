"""What every feed shares: the blueprint, the catalog lookup with the per-product on/off
switch, mapping updater OS/arch names onto the product's platforms, counting the check
like a native one, and caching whole answers on the catalog like the native check."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from flask import Blueprint, Response, current_app, request
from packaging.version import InvalidVersion, Version

from .. import runtime
from ..api.check import note_refused_platform
from ..api.helpers import base_url
from ..db import utcnow
from ..errors import InvalidInput, NotFound
from ..products.aliases import ARCH_ALIASES, OS_ALIASES
from ..products.aliases import arch_name as arch_name  # the feeds import them from here
from ..products.aliases import os_name as os_name
from ..updates.catalog import CachedAnswer, Catalog
from ..updates.decision import Decision, UpdateQuery, decide, in_rollout
from ..updates.response import absolute
from . import FORMAT_NAMES
from .servable import servable

bp = Blueprint("feeds", __name__, url_prefix="/u/<product>")


def resolve_platform(catalog: Catalog, os: str | None, arch: str | None,
                     field: str = "platform") -> str | None:
    """The product platform an updater on (os, arch) installs. An explicit ?platform= wins
    (the check's rule: a registered id, or an alias of exactly one of the product's
    platforms); otherwise the first of OS-ARCH, OS_ARCH, OS alone (and, without an arch,
    any OS-something) the product has files for; otherwise the one registered platform
    the updater's OS/arch names (catalog.updater_platform), or 400 naming ``field`` and
    the known ids. Only a product that names no platform at all (every file is 'any')
    answers None, which leaves the 'any' files. A refused id is noted for the vendor's
    dashboard, as the check notes it."""
    explicit = request.args.get("platform")
    if explicit:
        return noting_refusal(catalog, explicit, lambda: catalog.reported_platform(explicit))
    if os is None:
        return None
    os_names = OS_ALIASES[os]
    arch_names = ARCH_ALIASES.get(arch or "", ())
    candidates = [f"{o}{sep}{a}" for o in os_names for a in arch_names for sep in "-_"]
    candidates += list(os_names)
    for candidate in candidates:
        if candidate in catalog.platforms:
            return candidate
    if arch is None:
        for preferred in ("x86_64", "aarch64", "universal", "i686", "armv7"):
            for o in os_names:
                for a in ARCH_ALIASES[preferred]:
                    if f"{o}-{a}" in catalog.platforms:
                        return f"{o}-{a}"
    if not catalog.own_platforms:
        return None
    sent = os if arch is None else f"{os}-{arch}"
    return noting_refusal(catalog, sent, lambda: catalog.updater_platform(os, arch, field))


def noting_refusal(catalog: Catalog, sent: str, resolve: Callable[[], str | None]) -> str | None:
    try:
        return resolve()
    except InvalidInput as exc:
        note_refused_platform(runtime(current_app), catalog, sent, exc)
        raise


def feed_catalog(product: str, fmt: str) -> Catalog:
    catalog = runtime(current_app).catalogs.get(product)
    if catalog is None:
        raise NotFound(f"no product {product!r}")
    if fmt not in catalog.feed_formats:
        raise NotFound(f"the {FORMAT_NAMES[fmt]} feed is switched off for {product}; its "
                       "vendor can switch it on under 'Connect your app' in the console")
    return catalog


def parse_channel(catalog: Catalog, value: str | None) -> str:
    channel = value or catalog.channels[0]
    if channel == "latest":  # electron-builder's name for the default channel
        channel = catalog.channels[0]
    if channel not in catalog.channels:
        raise InvalidInput(f"channel must be one of {', '.join(catalog.channels)}; "
                           f"got {channel!r}", field="channel")
    return channel


def parse_feed_version(value: str | None, field: str = "version") -> Version | None:
    """Updaters send SemVer (2.1.0-rc.1) or PEP 440; packaging reads both."""
    if value is None or value == "":
        return None
    if len(value) > 64:
        raise InvalidInput(f"{field} is longer than 64 characters", field=field)
    try:
        return Version(value.strip().lstrip("v"))
    except InvalidVersion:
        raise InvalidInput(f"{field} {value!r} is not a version updatesrv can compare (SemVer "
                           "such as 2.1.0 or 2.1.0-rc.1, or PEP 440)", field=field) from None


def memoized(fmt: str, catalog: Catalog, query: UpdateQuery, extra: tuple[object, ...],
             build: Callable[[str], bytes]) -> tuple[bytes, str]:
    """Builds an answer once per distinct input, like the native check: the key holds
    everything the decision reads besides the catalog (see Catalog.answer_key)."""
    base = base_url()
    key = (fmt, *extra, query.client_side_rollout,
           *catalog.answer_key(query.version or Version("0"), query.channel, query.platform,
                               query.install_id, base, query.now, in_rollout),
           query.version is None)
    cached = catalog.answer_memo.get(key)
    if cached is None:
        payload, etag = encode(build(base))
        cached = CachedAnswer(payload=payload, etag=etag)
        catalog.remember_answer(key, cached)
    return cached.payload, cached.etag


def answer(fmt: str, catalog: Catalog, query: UpdateQuery, extra: tuple[object, ...],
           render: Callable[[Decision, str], bytes]) -> tuple[bytes, str]:
    """The decision for this query, rendered by the format (memoized)."""
    return memoized(fmt, catalog, query, extra,
                    lambda base: render(decide(query, catalog, servable(fmt)), base))


def record_check(catalog: Catalog, query: UpdateQuery) -> None:
    """Counted like a native check; an updater that does not say its version counts
    under an empty version."""
    runtime(current_app).recorder.record(
        catalog.product_id, str(query.version) if query.version is not None else "",
        query.channel, query.platform, query.install_id, query.now)


def now() -> dt.datetime:
    return utcnow()


def cached_response(body: bytes, etag: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = (
        f"private, max-age={int(current_app.config['CHECK_MAX_AGE'])}")
    response.set_etag(etag)
    response.make_conditional(request)
    return response


def notes_with_notices(notes: str, decision: Decision, catalog: Catalog, base: str) -> str:
    """Release notes followed by the known issues that affect the requesting version:
    the updaters show notes to the user, so that is where notices can reach them."""
    if not decision.notices:
        return notes
    lines = [notes.rstrip(), "", "## Known issues in your version", ""] if notes else [
        "## Known issues in your version", ""]
    for notice in decision.notices:
        fix = ""
        if decision.fix_available(notice):
            fix = f" Fixed in {notice.fixed_in_text}: this update fixes it."
        elif notice.fixed_in_text:
            fix = f" Fix expected in {notice.fixed_in_text}."
        lines.append(f"- **{notice.title}** ({notice.severity}): {notice.summary}{fix} "
                     f"{base}/p/{catalog.slug}/known-issues/{notice.public_id}")
    return "\n".join(lines).strip() + "\n"


def encode(body: bytes) -> tuple[bytes, str]:
    return body, hashlib.sha256(body).hexdigest()[:32]


def download_url(url: str, base: str) -> str:
    return absolute(url, base)

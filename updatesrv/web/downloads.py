from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request, send_file
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import parse_range_header

from .. import runtime
from ..db import db, utcnow
from ..deltas.services import ready_patch_key
from ..errors import NotFound
from ..releases.artifacts import find_download
from ..releases.models import Artifact
from ..storage import DirectoryStorage
from .byteranges import (
    MAX_PARTS,
    multipart_byteranges,
    satisfiable_ranges,
    without_empty_suffixes,
)

bp = Blueprint("downloads", __name__)

IMMUTABLE = "public, max-age=31536000, immutable"


@bp.get("/downloads/<product>/<version>/<platform>/<filename>")
def download(product: str, version: str, platform: str, filename: str) -> Response:
    artifact = find_download(db.session, product, version, platform, filename)
    if (artifact is None or artifact.filename != filename or artifact.storage_path is None
            or not artifact.release.visible_at(utcnow())):
        raise NotFound(f"no download {product}/{version}/{platform}/{filename}")
    store = runtime(current_app).store
    if not store.exists(artifact.storage_path):
        raise NotFound(f"the file for {product} {version} {platform} is missing on the server")
    target = store.url(artifact.storage_path, filename)
    accel = current_app.config.get("DOWNLOADS_ACCEL_REDIRECT")
    # Several ranges (electron-updater's differential download): S3 servers answer them
    # with the whole object and Werkzeug's send_file with 416, so the parts are sent here;
    # behind nginx (X-Accel-Redirect) nginx answers them itself.
    _drop_empty_suffix_ranges(artifact.size)
    spans = _several_ranges(artifact) if target is not None or not accel else None
    if spans is not None:
        key = artifact.storage_path
        response = multipart_byteranges(spans, artifact.size, "application/octet-stream",
                                        lambda start, stop: store.read_range(key, start, stop))
        response.headers["ETag"] = f'"{artifact.sha256}"'
        response.headers["Accept-Ranges"] = "bytes"
        response.headers["Cache-Control"] = IMMUTABLE
        return response
    if target is not None:
        return _storage_redirect(target, artifact.sha256)
    assert isinstance(store, DirectoryStorage)  # the one storage without URLs of its own
    path = store.path_for(artifact.storage_path)
    if accel:
        return _accel_redirect(str(accel), artifact.storage_path, artifact.sha256, filename)
    return _send_stored(path, artifact.sha256, filename)


@bp.get("/downloads/<product>/deltas/<sha256>")
def delta(product: str, sha256: str) -> Response:
    """A binary delta the server built (updatesrv/deltas), by its own sha256: immutable,
    resumable with Range like the files themselves."""
    key = ready_patch_key(db.session, product, sha256)
    store = runtime(current_app).store
    if key is None or not store.exists(key):
        raise NotFound(f"no delta {sha256} of {product}")
    filename = f"{sha256}.zst"
    target = store.url(key, filename)
    if target is not None:
        return _storage_redirect(target, sha256)
    assert isinstance(store, DirectoryStorage)
    accel = current_app.config.get("DOWNLOADS_ACCEL_REDIRECT")
    if accel:
        return _accel_redirect(str(accel), key, sha256, filename)
    return _send_stored(store.path_for(key), sha256, filename)


def _send_stored(path: Path, sha256: str, filename: str) -> Response:
    # send_file answers Range and If-Range/If-None-Match, so clients can resume.
    _drop_empty_suffix_ranges(path.stat().st_size)
    _ignore_unusable_range()
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True,
                         download_name=filename, conditional=True, etag=sha256,
                         max_age=31536000)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["Digest"] = f"sha-256={_b64(sha256)}"
    return response


def _accel_redirect(prefix: str, key: str, sha256: str, filename: str) -> Response:
    """Production behind nginx: the web process only decides (visible? which file?) and
    nginx sends the bytes from the shared artifacts directory, answering Range, If-Range
    and If-None-Match itself. The headers set here are the ones nginx keeps, or re-adds
    from $upstream_http_* in the shipped configuration."""
    response = Response(b"", mimetype="application/octet-stream")
    response.headers["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(key)
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}")
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["Digest"] = f"sha-256={_b64(sha256)}"
    return response


def _storage_redirect(target: str, sha256: str) -> Response:
    """Object storage: the client fetches the bytes from the bucket (or its CDN), which
    answers Range and If-Range itself; the updater's request headers go along with the
    redirect. Only the decision (visible? which file?) is made here, on every request:
    a presigned URL is short-lived and a yanked release must stop being served."""
    response = Response(b"", status=302)
    response.headers["Location"] = target
    response.headers["Cache-Control"] = "no-store"
    response.headers["Digest"] = f"sha-256={_b64(sha256)}"
    return response


def _several_ranges(artifact: Artifact) -> list[tuple[int, int]] | None:
    """The spans of a request for several ranges of this file (electron-updater's
    differential download), which S3 servers do not answer; None for anything the storage
    answers itself after the redirect (no Range, one range, an If-Range for other bytes)."""
    value = request.environ.get("HTTP_RANGE")
    parsed = parse_range_header(value) if value else None
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) < 2:
        return None
    if request.headers.get("If-Range", f'"{artifact.sha256}"') != f'"{artifact.sha256}"':
        return None
    spans = satisfiable_ranges(parsed, artifact.size)
    if not spans:
        raise RequestedRangeNotSatisfiable(length=artifact.size)
    return spans if len(spans) <= MAX_PARTS else None


def _drop_empty_suffix_ranges(length: int) -> None:
    """``bytes=-0`` selects nothing (RFC 9110 14.1.1): alone it is a 416; beside other
    ranges it is left out. Werkzeug would ignore the whole header and send the file."""
    value = request.environ.get("HTTP_RANGE")
    kept = without_empty_suffixes(value) if value else None
    if kept is None:
        return
    if not kept:
        raise RequestedRangeNotSatisfiable(length=length)
    request.environ["HTTP_RANGE"] = "bytes=" + kept


def _ignore_unusable_range() -> None:
    """RFC 9110 (14.2): a Range header that does not parse, or asks for a unit other than
    bytes, is ignored and the whole file is sent (200); Werkzeug would answer 416."""
    value = request.environ.get("HTTP_RANGE")
    if value is None:
        return
    parsed = parse_range_header(value)
    if parsed is None or parsed.units != "bytes":
        del request.environ["HTTP_RANGE"]


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()

from __future__ import annotations

from flask import Blueprint, Response, current_app, send_file

from .. import runtime
from ..db import db, utcnow
from ..errors import NotFound
from ..releases.artifacts import find_download

bp = Blueprint("downloads", __name__)


@bp.get("/downloads/<product>/<version>/<platform>/<filename>")
def download(product: str, version: str, platform: str, filename: str) -> Response:
    artifact = find_download(db.session, product, version, platform, filename)
    if (artifact is None or artifact.filename != filename or artifact.storage_path is None
            or not artifact.release.visible_at(utcnow())):
        raise NotFound(f"no download {product}/{version}/{platform}/{filename}")
    path = runtime(current_app).store.path_for(artifact.storage_path)
    if not path.is_file():
        raise NotFound(f"the file for {product} {version} {platform} is missing on the server")
    # send_file answers Range and If-Range/If-None-Match, so clients can resume.
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True,
                         download_name=filename, conditional=True, etag=artifact.sha256,
                         max_age=31536000)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Digest"] = f"sha-256={_b64(artifact.sha256)}"
    return response


def _b64(hex_digest: str) -> str:
    import base64

    return base64.b64encode(bytes.fromhex(hex_digest)).decode()

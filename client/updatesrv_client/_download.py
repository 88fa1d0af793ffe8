"""Downloading an offered file: resumable with Range, rebuilt from a binary delta when the
server offers one from the installed file, and verified (size, SHA-256, vendor signature)
before it is handed over. UpdateClient.download checks the manifest first and reports
failures; this module only moves and checks bytes."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import requests

from . import _delta, _signatures
from ._models import Update
from ._transport import Transport
from .errors import DownloadError, IntegrityError, NetworkError, UpdateCheckError

if TYPE_CHECKING:  # cryptography is the optional 'signatures' extra
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

log = logging.getLogger("updatesrv_client")

# A download may take as long as this rate needs for its size, and at least five minutes.
DOWNLOAD_MIN_RATE = 64 * 1024  # bytes per second
DOWNLOAD_MIN_SECONDS = 300.0
CHUNK = 64 * 1024

Progress = Callable[[int, int], object]


class Downloader:
    """One download's machinery: the client's transport and the vendor's keys."""

    def __init__(self, transport: Transport, vendor_keys: list[Ed25519PublicKey]) -> None:
        self._transport = transport
        self._vendor_keys = vendor_keys

    def download(self, update: Update, dest_dir: Path, progress: Progress | None,
                 deadline: float | None, installed_file: Path | None) -> Path:
        """The verified file in dest_dir; raises an UpdateCheckError and leaves no
        unverified file at the destination (a ``.part`` file stays to be resumed)."""
        name = unquote(urlsplit(update.download_url).path.rsplit("/", 1)[-1])
        name = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or f"update-{update.version}"
        dest = dest_dir / name
        part = dest_dir / (name + ".part")
        patch = dest_dir / (name + ".delta.part")
        seconds = deadline if deadline is not None else max(
            DOWNLOAD_MIN_SECONDS, update.size / DOWNLOAD_MIN_RATE)
        try:
            dest_dir.mkdir(parents=True, exist_ok=True)
            if installed_file is not None and self._from_delta(
                    update, installed_file, patch, dest, progress, seconds):
                return dest
            self._fetch(update.download_url, update.size, part, progress, seconds)
            self._verify(update, part)
            os.replace(part, dest)
            patch.unlink(missing_ok=True)
        except UpdateCheckError:
            with contextlib.suppress(OSError):
                part.unlink()
            raise
        except OSError as exc:
            raise DownloadError(f"cannot write the download: {exc}") from None
        return dest

    def _from_delta(self, update: Update, installed: Path, patch: Path, dest: Path,
                    progress: Progress | None, seconds: float) -> bool:
        """Rebuilds the update at ``dest`` from the installed file and the offered delta;
        False (and the caller downloads the full file) on any failure. An interrupted delta
        download keeps its ``.delta.part`` for the next attempt to resume."""
        delta = update.delta
        if delta is None or not _delta.can_apply(delta.algorithm):
            return False
        rebuilt = dest.with_name(dest.name + ".rebuilt")
        try:
            if not installed.is_file() or _delta.file_sha256(installed) != delta.from_sha256:
                log.info("the installed file is not the delta's base; downloading %s in full",
                         update.version)
                patch.unlink(missing_ok=True)
                return False
            self._fetch(delta.url, delta.size, patch, progress, seconds)
            if patch.stat().st_size != delta.size or _delta.file_sha256(patch) != delta.sha256:
                raise IntegrityError("the downloaded delta does not match its SHA-256")
            _delta.apply_patch(installed, patch, rebuilt, update.size)
            self._verify(update, rebuilt)
            os.replace(rebuilt, dest)
        except NetworkError as exc:
            log.info("delta download interrupted (%s); downloading the full file", exc)
            return False
        except (UpdateCheckError, _delta.PatchError, OSError) as exc:
            log.warning("delta for %s not usable (%s); downloading the full file",
                        update.version, exc)
            patch.unlink(missing_ok=True)
            return False
        finally:
            rebuilt.unlink(missing_ok=True)
        patch.unlink(missing_ok=True)
        return True

    def _fetch(self, url: str, size: int, part: Path, progress: Progress | None,
               seconds: float) -> None:
        have = part.stat().st_size if part.exists() else 0
        if have > size:
            part.unlink()
            have = 0
        if have == size:
            return
        headers = {"Range": f"bytes={have}-"} if have else {}
        out: list[IO[bytes]] = []
        done = [have]

        def on_response(response: requests.Response) -> None:
            if response.status_code == 206:
                mode = "ab"
            elif response.status_code == 200:
                mode, done[0] = "wb", 0
            else:
                raise DownloadError(f"download failed: HTTP {response.status_code}")
            out.append(open(part, mode))  # noqa: SIM115 - closed after the stream

        def on_chunk(chunk: bytes) -> None:
            done[0] += len(chunk)
            if done[0] > size:
                raise IntegrityError(f"the download is larger than the advertised "
                                     f"{size} bytes")
            try:
                out[0].write(chunk)
            except OSError as exc:
                raise DownloadError(f"cannot write the download: {exc}") from None
            if progress is not None:
                progress(done[0], size)

        # A NetworkError keeps the .part file: the next attempt resumes from it.
        try:
            self._transport.stream(url, headers, seconds, on_response, on_chunk)
        finally:
            for fh in out:
                fh.close()

    def _verify(self, update: Update, part: Path) -> None:
        size = part.stat().st_size
        if size != update.size:
            raise IntegrityError(f"downloaded {size} bytes, expected {update.size}")
        digest = hashlib.sha256()
        with open(part, "rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != update.sha256:
            raise IntegrityError("the downloaded file's SHA-256 does not match the server's")
        if self._vendor_keys and not update.manifest_signature:
            _signatures.verify_file(self._vendor_keys, part, update.signature)

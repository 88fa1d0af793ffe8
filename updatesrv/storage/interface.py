"""What every file storage offers (in the spirit of Warehouse's ``IFileStorage``). Keys are
relative, '/'-separated and never reused for other bytes: a stored object is immutable.
Artifacts use it today; anything else stored content-addressed (binary deltas) can too."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from ..errors import TooLarge

CHUNK = 1024 * 1024
# Where binary deltas (updatesrv/deltas) are kept, content-addressed, on every storage.
DELTAS_PREFIX = "deltas/"


@dataclass(frozen=True)
class StagedFile:
    """An upload received and hashed on this host. ``key`` is set when the storage already
    holds the bytes (a bucket receives them while no database transaction is open)."""

    path: Path
    size: int
    sha256: str
    # The digests the compatible feeds carry (electron-updater: sha512, Velopack: sha1),
    # computed in the same single pass over the upload.
    sha512: str = ""
    sha1: str = ""
    key: str | None = None


class FileStorage(Protocol):
    #: Local folder for uploads being received (per host; housekeeping clears leftovers).
    staging: Path

    def stage(self, stream: IO[bytes], max_bytes: int) -> StagedFile: ...

    def commit(self, staged: StagedFile, key: str) -> str:
        """Stores the staged bytes; returns the key they are stored under."""
        ...

    def discard(self, staged: StagedFile) -> None: ...

    def exists(self, key: str) -> bool: ...

    def open(self, key: str) -> IO[bytes]: ...

    def read_range(self, key: str, start: int, stop: int) -> Iterator[bytes]:
        """Streams bytes ``start`` up to (not including) ``stop``."""
        ...

    def put_file(self, path: Path, key: str) -> None: ...

    def delete(self, key: str) -> None: ...

    def url(self, key: str, filename: str) -> str | None:
        """Where a client fetches the object itself (a redirect target), or None when
        this server sends the bytes."""
        ...

    def entries(self) -> Iterator[tuple[str, float]]:
        """Every stored key with its modification time (seconds since the epoch)."""
        ...

    def modified(self, key: str) -> float | None: ...

    def remove_abandoned(self, older_than: float) -> int:
        """Drops uploads started before ``older_than`` and never finished."""
        ...


def stage_to_file(staging: Path, stream: IO[bytes], max_bytes: int) -> StagedFile:
    """Streams an upload to a new file in ``staging`` while hashing it, fsynced; removed
    again if anything fails (too large, client gone)."""
    staging.mkdir(parents=True, exist_ok=True)
    path = staging / uuid.uuid4().hex
    digest, digest512, digest1 = hashlib.sha256(), hashlib.sha512(), hashlib.sha1()
    size = 0
    try:
        with open(path, "xb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"the file is larger than the {max_bytes} byte limit")
                digest.update(chunk)
                digest512.update(chunk)
                digest1.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StagedFile(path=path, size=size, sha256=digest.hexdigest(),
                      sha512=digest512.hexdigest(), sha1=digest1.hexdigest())


def sha256_of(stream: IO[bytes]) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        digest.update(chunk)
    return size, digest.hexdigest()


def remove_old_files(folder: Path, older_than: float) -> int:
    """Files left in a staging folder by a crash mid-upload."""
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < older_than:
            path.unlink(missing_ok=True)
            removed += 1
    return removed

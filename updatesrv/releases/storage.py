"""Uploaded artifacts on disk. A file is streamed to a temporary name while it is hashed,
fsynced, then renamed into a content-addressed path, so the database never points at a
half-written file and no published file is ever overwritten."""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import TooLarge

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StagedFile:
    path: Path
    size: int
    sha256: str
    # The digests the compatible feeds carry (electron-updater: sha512, Velopack: sha1),
    # computed in the same single pass over the upload.
    sha512: str = ""
    sha1: str = ""


class ArtifactStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.staging = root / ".staging"

    def stage(self, stream: IO[bytes], max_bytes: int) -> StagedFile:
        self.staging.mkdir(parents=True, exist_ok=True)
        path = self.staging / uuid.uuid4().hex
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

    def commit(self, staged: StagedFile, relative: str) -> Path:
        target = self.path_for(relative)
        created = [p for p in (target.parent, *target.parent.parents)
                   if self.root in p.parents and not p.exists()]
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(staged.path, target)
        except OSError:
            for folder in created:  # innermost first: leave no empty folders behind
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise
        return target

    def discard(self, staged: StagedFile) -> None:
        staged.path.unlink(missing_ok=True)

    def path_for(self, relative: str) -> Path:
        target = (self.root / relative).resolve()
        if self.root.resolve() not in target.parents:
            raise ValueError(f"artifact path {relative!r} escapes the store")
        return target

    def remove(self, relative: str) -> None:
        self.path_for(relative).unlink(missing_ok=True)

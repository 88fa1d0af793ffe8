"""Uploaded files in a directory (the default). A file is streamed to a temporary name
while it is hashed, fsynced, then renamed into its content-addressed path, so the database
never points at a half-written file and no published file is ever overwritten."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .interface import CHUNK, StagedFile, remove_old_files, stage_to_file

STAGING_DIR = ".staging"


class DirectoryStorage:

    def __init__(self, root: Path) -> None:
        self.root = root
        self.staging = root / STAGING_DIR

    def stage(self, stream: IO[bytes], max_bytes: int) -> StagedFile:
        return stage_to_file(self.staging, stream, max_bytes)

    def commit(self, staged: StagedFile, key: str) -> str:
        target = self.path_for(key)
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
        return key

    def discard(self, staged: StagedFile) -> None:
        staged.path.unlink(missing_ok=True)

    def path_for(self, key: str) -> Path:
        target = (self.root / key).resolve()
        if self.root.resolve() not in target.parents:
            raise ValueError(f"artifact path {key!r} escapes the store")
        return target

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def open(self, key: str) -> IO[bytes]:
        return open(self.path_for(key), "rb")

    def read_range(self, key: str, start: int, stop: int) -> Iterator[bytes]:
        with open(self.path_for(key), "rb") as source:
            source.seek(start)
            left = stop - start
            while left > 0 and (chunk := source.read(min(CHUNK, left))):
                left -= len(chunk)
                yield chunk

    def put_file(self, path: Path, key: str) -> None:
        target = self.path_for(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.staging.mkdir(parents=True, exist_ok=True)
        temporary = self.staging / f"put-{uuid.uuid4().hex}"
        try:
            shutil.copyfile(path, temporary)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        path = self.path_for(key)
        path.unlink(missing_ok=True)
        for folder in path.parents:
            if folder == self.root or self.root not in folder.parents:
                break
            try:
                folder.rmdir()
            except OSError:
                break

    def url(self, key: str, filename: str) -> str | None:
        return None

    def entries(self) -> Iterator[tuple[str, float]]:
        if not self.root.is_dir():
            return
        for path in self.root.rglob("*"):
            relative = path.relative_to(self.root)
            if STAGING_DIR in relative.parts[:1] or not path.is_file():
                continue
            with contextlib.suppress(FileNotFoundError):
                yield relative.as_posix(), path.stat().st_mtime

    def modified(self, key: str) -> float | None:
        try:
            return self.path_for(key).stat().st_mtime
        except FileNotFoundError:
            return None

    def remove_abandoned(self, older_than: float) -> int:
        return remove_old_files(self.staging, older_than)

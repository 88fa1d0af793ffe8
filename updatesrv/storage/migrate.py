"""Moving an existing deployment's files from its directory into a bucket. Every file a row
names is copied under the same key and read back to check its size and sha256; the database
is never changed, so a run that fails leaves the deployment as it was, and a second run goes
on where the first stopped (objects already there and correct are kept)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..deltas.models import Delta
from ..releases.models import Artifact
from .interface import FileStorage, sha256_of
from .local import DirectoryStorage


@dataclass
class MigrationReport:
    copied: int = 0
    already_there: int = 0
    problems: list[str] = field(default_factory=list)


def stored_files(session: Session) -> list[tuple[str, int, str]]:
    """(key, size, sha256) of every stored file a row names, once each."""
    rows = session.execute(sa.select(Artifact.storage_path, Artifact.size, Artifact.sha256)
                           .where(Artifact.storage_path.is_not(None)).distinct()
                           .order_by(Artifact.storage_path))
    # Binary deltas the scheduler built (updatesrv/deltas) live in the same storage.
    patches = session.execute(sa.select(Delta.storage_path, Delta.size, Delta.sha256)
                              .where(Delta.storage_path.is_not(None)).distinct()
                              .order_by(Delta.storage_path))
    return [(str(key), int(size), str(sha)) for key, size, sha in [*rows, *patches]]


def holds(storage: FileStorage, key: str, size: int, sha256: str) -> bool:
    if not storage.exists(key):
        return False
    with storage.open(key) as stream:
        return sha256_of(stream) == (size, sha256)


def migrate_files(session: Session, source: DirectoryStorage, destination: FileStorage,
                  progress: Callable[[str], None] = lambda _line: None) -> MigrationReport:
    report = MigrationReport()
    for key, size, sha256 in stored_files(session):
        if holds(destination, key, size, sha256):
            report.already_there += 1
            continue
        if not holds(source, key, size, sha256):
            report.problems.append(f"{key}: the file in {source.root} is missing or does not "
                                   f"match its recorded size and sha256; not copied")
            continue
        destination.put_file(source.path_for(key), key)
        if not holds(destination, key, size, sha256):
            destination.delete(key)
            report.problems.append(f"{key}: the copy read back from the bucket does not match "
                                   "its size and sha256; removed again")
            continue
        report.copied += 1
        progress(key)
    return report

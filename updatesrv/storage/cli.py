"""``updatesrv storage``: operating the file storage."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import runtime
from ..db import db
from .errors import StorageUnavailable
from .local import DirectoryStorage
from .migrate import migrate_files


@click.group("storage")
def storage_group() -> None:
    """Where uploaded files are stored (ARTIFACT_STORAGE)."""


@storage_group.command("migrate")
@click.option("--source", "source_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="The directory to copy from (default: ARTIFACTS_DIR).")
@with_appcontext
def storage_migrate_command(source_dir: Path | None) -> None:
    """Copy every stored file from the directory to the configured bucket.

    Each copy is read back and checked (size and sha256). The database is not changed:
    run it again after a failure, then restart the servers with ARTIFACT_STORAGE set."""

    destination = runtime(current_app).store
    if isinstance(destination, DirectoryStorage):
        raise click.ClickException("ARTIFACT_STORAGE names a directory; set it to "
                                   "s3://BUCKET/PREFIX to copy the files into a bucket")
    folder = source_dir or Path(current_app.config["ARTIFACTS_DIR"])
    if not folder.is_absolute():
        folder = Path(current_app.instance_path) / folder
    try:
        report = migrate_files(db.session, DirectoryStorage(folder), destination,
                               progress=lambda key: click.echo(f"copied {key}"))
    except StorageUnavailable as exc:
        raise click.ClickException(exc.detail) from None
    for problem in report.problems:
        click.echo(problem, err=True)
    click.echo(f"{report.copied} copied, {report.already_there} already in the bucket, "
               f"{len(report.problems)} not copied")
    if report.problems:
        sys.exit(1)

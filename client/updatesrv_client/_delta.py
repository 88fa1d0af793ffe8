"""Binary deltas a server offers beside the full file (``update.delta``): a zstd frame
whose prefix is the installed file ("patch-from"). Applying one needs ``compression.zstd``
(Python 3.14) or its backport (the ``deltas`` extra); without it the full file is fetched.
Nothing here decides whether the result is right: the caller verifies the rebuilt file
exactly as a full download (size, SHA-256, signature)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

try:
    from compression import zstd as _zstd  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Python < 3.14
    try:
        from backports import zstd as _zstd  # type: ignore[no-redef,unused-ignore]
    except ImportError:
        _zstd = None

ALGORITHMS = frozenset({"zstd-patch-from"})
CHUNK = 1024 * 1024
# zstd's largest window on 64-bit builds (the server never makes a larger one).
MAX_WINDOW_LOG = 31


class PatchError(Exception):
    """The patch cannot be applied (damaged, cut short, or made from another file)."""


def can_apply(algorithm: str) -> bool:
    return _zstd is not None and algorithm in ALGORITHMS


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def apply_patch(base: Path, patch: Path, out: Path, max_size: int) -> None:
    """Writes what ``patch`` rebuilds from ``base`` to ``out``, never more than
    ``max_size`` bytes (a hostile patch cannot fill the disk)."""
    if _zstd is None:
        raise PatchError("zstd is not available")
    zstd: Any = _zstd
    try:
        decompressor = zstd.ZstdDecompressor(
            zstd_dict=zstd.ZstdDict(base.read_bytes(), is_raw=True).as_prefix,
            options={zstd.DecompressionParameter.window_log_max: MAX_WINDOW_LOG})
        written = 0
        with open(patch, "rb") as source, open(out, "wb") as sink:
            while chunk := source.read(CHUNK):
                if decompressor.eof:
                    raise PatchError("the patch carries bytes after its end")
                data = decompressor.decompress(chunk, CHUNK)
                while True:
                    written += len(data)
                    if written > max_size:
                        raise PatchError("the patch rebuilds a file larger than advertised")
                    sink.write(data)
                    if decompressor.eof or decompressor.needs_input:
                        break
                    data = decompressor.decompress(b"", CHUNK)
        if not decompressor.eof or decompressor.unused_data:
            raise PatchError("the patch is cut short or carries bytes after its end")
    except zstd.ZstdError as exc:
        raise PatchError(f"the patch cannot be applied: {exc}") from None

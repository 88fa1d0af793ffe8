"""Binary patches: zstd's "patch-from" mode (the earlier file is the compressor's prefix,
so every long match against it costs a few bytes). Chosen over bsdiff4 by
benchmarks/deltas_bench.py: patches as small or smaller on the installers we tried,
several times faster to build, and memory bounded by the window instead of ~17x the
earlier file (see docs/vendor/deltas.md). The API is Python 3.14's compression.zstd,
from its backport before 3.14."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

try:
    from compression import zstd  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Python < 3.14
    from backports import zstd  # type: ignore[no-redef,unused-ignore]

ALGORITHM = "zstd-patch-from"
CHUNK = 1024 * 1024
# zstd's largest window on 64-bit builds; the files a patch covers must fit in it.
MAX_WINDOW_LOG = 31
DEFAULT_LEVEL = 3


def window_log(base_size: int, target_size: int) -> int:
    """A window covering the whole earlier file and the new one, as `zstd --patch-from`
    sets it, so a match anywhere in the earlier file can be referenced."""
    return max(20, min(MAX_WINDOW_LOG, math.ceil(math.log2(base_size + target_size + 1))))


def build_patch(base: Path, target: Path, out: Path, level: int = DEFAULT_LEVEL) -> str:
    """Writes the patch turning ``base`` into ``target`` to ``out``; returns its sha256.
    Memory: the earlier file plus zstd's window and tables (measured in the benchmark);
    the new file is streamed."""
    base_bytes = base.read_bytes()
    target_size = target.stat().st_size
    options = {
        zstd.CompressionParameter.compression_level: level,
        zstd.CompressionParameter.window_log: window_log(len(base_bytes), target_size),
        zstd.CompressionParameter.enable_long_distance_matching: 1,
        zstd.CompressionParameter.checksum_flag: 1,
    }
    compressor = zstd.ZstdCompressor(options=options,
                                     zstd_dict=zstd.ZstdDict(base_bytes, is_raw=True).as_prefix)
    compressor.set_pledged_input_size(target_size)
    digest = hashlib.sha256()
    with open(target, "rb") as source, open(out, "wb") as sink:
        while chunk := source.read(CHUNK):
            data = compressor.compress(chunk)
            digest.update(data)
            sink.write(data)
        data = compressor.flush()
        digest.update(data)
        sink.write(data)
    return digest.hexdigest()


def apply_patch(base: Path, patch: Path, out: Path) -> str:
    """Writes the file ``patch`` rebuilds from ``base`` to ``out``; returns its sha256.
    Raises ``zstd.ZstdError`` on a patch that is damaged or made from another file."""
    base_bytes = base.read_bytes()
    decompressor = zstd.ZstdDecompressor(
        zstd_dict=zstd.ZstdDict(base_bytes, is_raw=True).as_prefix,
        options={zstd.DecompressionParameter.window_log_max: MAX_WINDOW_LOG})
    digest = hashlib.sha256()
    with open(patch, "rb") as source, open(out, "wb") as sink:
        while chunk := source.read(CHUNK):
            if decompressor.eof:
                raise zstd.ZstdError("the patch carries bytes after its end")
            data = decompressor.decompress(chunk, CHUNK)
            while True:
                digest.update(data)
                sink.write(data)
                if decompressor.eof or decompressor.needs_input:
                    break
                data = decompressor.decompress(b"", CHUNK)
        if not decompressor.eof or decompressor.unused_data:
            raise zstd.ZstdError("the patch is cut short or carries bytes after its end")
    return digest.hexdigest()

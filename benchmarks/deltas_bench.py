"""Binary deltas (issue 27): patch size, build and apply time, and peak memory of zstd
"patch-from" (what updatesrv uses, updatesrv/deltas/patching.py) and bsdiff4, on three
synthetic but realistic installers:

* zip-like, 50 MB: members compressed one by one (incompressible bytes); 2% of the members,
  scattered, are rebuilt with new content, as a changed file recompresses entirely;
* tree image, 50 MB: an uncompressed file system image (text-like sources and binary-like
  files); 2% of it changed in scattered places, some edits inserting bytes so everything
  after them moves;
* tree image, 20 MB: the same, smaller.

Each operation runs in its own child process so its peak memory (ru_maxrss) is its own.
Usage: python benchmarks/deltas_bench.py [--algorithms zstd-3,zstd-9,bsdiff4] [--cases ...]
(zstd-N: patch-from at level N)
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MB = 1024 * 1024
CASES = {"zip-50MB": ("zip", 50 * MB), "tree-50MB": ("tree", 50 * MB),
         "tree-20MB": ("tree", 20 * MB)}
CHANGED_SHARE = 0.02


def zip_like(size: int, seed: int) -> tuple[bytes, bytes]:
    rng = random.Random(seed)
    members = []
    total = 0
    while total < size:
        length = min(int(rng.lognormvariate(10.5, 1.2)) + 200, size - total)
        members.append(rng.randbytes(length))
        total += length + 30
    old = b"".join(b"PK\x03\x04" + len(m).to_bytes(8, "little") + bytes(18) + m
                   for m in members)
    changed_budget = CHANGED_SHARE * size
    new_members = list(members)
    for index in rng.sample(range(len(members)), len(members)):
        if changed_budget <= 0:
            break
        if len(members[index]) > changed_budget * 2:
            continue
        new_members[index] = rng.randbytes(len(members[index]) + rng.randint(-100, 100))
        changed_budget -= len(members[index])
    new = b"".join(b"PK\x03\x04" + len(m).to_bytes(8, "little") + bytes(18) + m
                   for m in new_members)
    return old, new


def tree_image(size: int, seed: int) -> tuple[bytes, bytes]:
    rng = random.Random(seed)
    words = [bytes(rng.choices(b"abcdefghijklmnopqrstuvwxyz_", k=rng.randint(2, 12)))
             for _ in range(4000)]
    lines = [b" ".join(rng.choices(words, k=rng.randint(1, 12))) + b"\n" for _ in range(20000)]
    parts: list[bytes] = []
    total = 0
    while total < size:
        if rng.random() < 0.35:  # a binary-like file: structured records, some noise
            record = rng.randbytes(64)
            part = b"".join(record[: rng.randint(16, 64)] + rng.randbytes(8)
                            for _ in range(rng.randint(50, 4000)))
        else:
            part = b"".join(rng.choices(lines, k=rng.randint(20, 3000)))
        header = b"FILE" + len(part).to_bytes(8, "little") + bytes(500)
        parts.append(header + part)
        total += len(header) + len(part)
    old = b"".join(parts)[:size]
    new = bytearray(old)
    changed = 0
    while changed < CHANGED_SHARE * size:
        at = rng.randrange(len(new) - 5000)
        length = rng.randint(200, 4000)
        replacement = rng.randbytes(length + (rng.randint(-50, 200) if rng.random() < 0.3 else 0))
        new[at:at + length] = replacement
        changed += length
    return old, bytes(new)


def child(argv: list[str]) -> None:
    algorithm, operation, a, b, c = argv
    started = time.perf_counter()
    if algorithm.startswith("zstd-"):
        from updatesrv.deltas.patching import apply_patch, build_patch
        if operation == "build":
            build_patch(Path(a), Path(b), Path(c), level=int(algorithm.removeprefix("zstd-")))
        else:
            apply_patch(Path(a), Path(b), Path(c))
    else:
        import bsdiff4
        if operation == "build":
            bsdiff4.file_diff(a, b, c)
        else:
            bsdiff4.file_patch(a, c, b)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak": peak}))


def run_child(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--algorithms", default="zstd-3,zstd-9,bsdiff4")
    parser.add_argument("--cases", default=",".join(CASES))
    options = parser.parse_args()
    print(f"{'case':<10} {'algorithm':<9} {'delta/full':>10} {'build s/MB':>10} "
          f"{'apply s':>8} {'build peak':>10} {'apply peak':>10}")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for case in options.cases.split(","):
            shape, size = CASES[case]
            old, new = (zip_like if shape == "zip" else tree_image)(size, seed=27)
            (tmp / "old").write_bytes(old)
            (tmp / "new").write_bytes(new)
            del old
            for algorithm in options.algorithms.split(","):
                built = run_child(algorithm, "build", str(tmp / "old"), str(tmp / "new"),
                                  str(tmp / "patch"))
                applied = run_child(algorithm, "apply", str(tmp / "old"), str(tmp / "patch"),
                                    str(tmp / "out"))
                if (tmp / "out").read_bytes() != new:
                    raise SystemExit(f"{algorithm} did not rebuild {case}")
                share = (tmp / "patch").stat().st_size / len(new)
                print(f"{case:<10} {algorithm:<9} {share:>10.2%} "
                      f"{built['seconds'] / (len(new) / MB):>10.3f} {applied['seconds']:>8.2f} "
                      f"{built['peak'] / MB:>8.0f}MB {applied['peak'] / MB:>8.0f}MB", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
    else:
        main()

"""Where browser tests keep their screenshots: artifacts of the test run (CI keeps the
folder), not a temporary directory that disappears with the run."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(os.environ.get("UPDATESRV_TEST_ARTIFACTS",
                           Path(__file__).resolve().parents[2] / "test-artifacts"))


def artifact_dir(test_name: str) -> Path:
    path = ROOT / "browser" / re.sub(r"[^\w.-]+", "_", test_name)
    path.mkdir(parents=True, exist_ok=True)
    return path

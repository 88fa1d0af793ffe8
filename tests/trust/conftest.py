from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from updatesrv.trust.keys import ServerKey, generate


@pytest.fixture
def server_keys_dir(tmp_path: Path) -> Path:
    return tmp_path / "server-keys"


@pytest.fixture
def server_key(server_keys_dir: Path) -> ServerKey:
    return generate(server_keys_dir)


@pytest.fixture
def app_config(server_key: ServerKey, server_keys_dir: Path) -> dict[str, Any]:
    return {"SERVER_KEYS_DIR": str(server_keys_dir)}

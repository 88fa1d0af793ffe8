from __future__ import annotations

from collections.abc import Iterator

import pytest

from .hostile import HostileServer


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture
def elsewhere() -> Iterator[HostileServer]:
    """A second origin (another port), for cross-origin redirects."""
    with HostileServer() as server:
        yield server

"""The console fixtures (signed in as the owner) for the failure reports pages."""

from tests.console.conftest import csrf_off, owner  # noqa: F401

from __future__ import annotations

from ..errors import NotFound


class ReportsOff(NotFound):
    """The product does not collect failure reports (clients stop sending on this 404)."""

    slug = "failure-reports-off"


class FailureGroupNotFound(NotFound):
    pass

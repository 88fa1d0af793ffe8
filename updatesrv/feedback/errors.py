from __future__ import annotations

from ..errors import InvalidInput


class InvalidFeedback(InvalidInput):
    pass

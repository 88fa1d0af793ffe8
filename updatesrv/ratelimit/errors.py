from __future__ import annotations

from ..errors import UpdatesrvError


class RateLimited(UpdatesrvError):
    status = 429
    title = "Too many requests"
    slug = "rate-limited"

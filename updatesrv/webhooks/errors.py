from __future__ import annotations

from ..errors import InvalidInput, NotFound


class WebhookUrlRefused(InvalidInput):
    title = "Webhook URL refused"
    slug = "webhook-url"


class WebhookNotFound(NotFound):
    pass

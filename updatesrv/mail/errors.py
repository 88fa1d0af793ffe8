from __future__ import annotations

from ..errors import InvalidInput


class MailConfigError(InvalidInput):
    title = "Mail is misconfigured"
    slug = "mail-config"


class DeliveryFailed(Exception):
    """One message could not be handed to the SMTP server. ``permanent`` failures (a 5xx
    answer, e.g. an unknown mailbox) are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent

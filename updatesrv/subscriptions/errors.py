from __future__ import annotations

from ..errors import InvalidInput, NotFound, UpdatesrvError


class InvalidEmail(InvalidInput):
    pass


class LinkInvalid(NotFound):
    title = "Link expired or already used"
    slug = "link-invalid"


class MailDisabled(UpdatesrvError):
    status = 503
    title = "E-mail is not set up"
    slug = "mail-disabled"

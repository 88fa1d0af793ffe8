"""The error tree every domain raises. The API renders these as RFC 9457
``application/problem+json``; the console shows them next to the form field named by
``field``. Nothing here knows about Flask."""

from __future__ import annotations

from typing import Any


class UpdatesrvError(Exception):
    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra

    def to_problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://updatesrv.dev/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.field:
            body["field"] = self.field
        body.update(self.extra)
        return body


class InvalidInput(UpdatesrvError):
    status = 400
    title = "Invalid input"
    slug = "invalid-input"


class Unauthorized(UpdatesrvError):
    status = 401
    title = "Authentication required"
    slug = "unauthorized"


class Forbidden(UpdatesrvError):
    status = 403
    title = "Not allowed"
    slug = "forbidden"


class NotFound(UpdatesrvError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(UpdatesrvError):
    status = 409
    title = "Conflict"
    slug = "conflict"


class TooLarge(UpdatesrvError):
    status = 413
    title = "Content too large"
    slug = "too-large"

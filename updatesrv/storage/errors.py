from __future__ import annotations

from ..errors import UpdatesrvError


class StorageUnavailable(UpdatesrvError):
    """The file storage (a bucket) cannot be reached or refused the request. Nothing was
    published: the caller may retry the same request unchanged."""

    status = 503
    title = "Storage unavailable"
    slug = "storage-unavailable"

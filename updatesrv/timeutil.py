from __future__ import annotations

import datetime as dt

from .errors import InvalidInput


def rfc3339(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_rfc3339(value: object, field: str) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be an RFC 3339 timestamp such as "
                           "'2026-12-01T09:00:00Z'", field=field)
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise InvalidInput(f"{field} {value!r} is not an RFC 3339 timestamp such as "
                           "'2026-12-01T09:00:00Z'", field=field) from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{field} needs a time zone (e.g. a trailing 'Z' for UTC)",
                           field=field)
    return parsed.astimezone(dt.UTC)

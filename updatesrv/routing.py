"""URL converters for every route of the app."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

# The largest value a database integer column can be compared with (SQLite's INTEGER and
# PostgreSQL's bigint); SQLite raises OverflowError beyond it.
MAX_DATABASE_INTEGER = 2**63 - 1


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in every route: an id beyond a database integer (or with more digits
    than Python converts) matches no route, so it answers 404 like any unknown id instead
    of reaching a query the database refuses."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_DATABASE_INTEGER)
        super().__init__(map, *args, **kwargs)


def install(url_map: Map) -> None:
    """Call before any route is added (converters are bound when a rule is)."""
    url_map.converters["int"] = DatabaseIdConverter

"""One parser for every paging parameter (page, per_page, limit, offset, days), API and
pages alike: whole decimal numbers within stated bounds, else a 400 that names them. The
bounds keep every value far inside what SQLite and PostgreSQL accept as LIMIT/OFFSET, so a
huge or negative number can never reach the database."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import InvalidInput

# Far beyond any real listing, far below 2**63 even when multiplied by a page size.
MAX_PAGE = 1_000_000
MAX_OFFSET = 1_000_000_000
_NUMBER = re.compile(r"^[+-]?[0-9]{1,20}\Z")


def bounded_int(args: Mapping[str, str], name: str, default: int, *, minimum: int,
                maximum: int) -> int:
    """``args[name]`` as an int in [minimum, maximum]; ``default`` when absent or empty."""
    raw = args.get(name)
    if raw is None or raw.strip() == "":
        return default
    if not _NUMBER.match(raw.strip()):
        raise InvalidInput(f"{name} must be a whole number from {minimum:,} to {maximum:,}",
                           field=name)
    value = int(raw.strip())
    if not minimum <= value <= maximum:
        raise InvalidInput(f"{name} must be from {minimum:,} to {maximum:,}; got {raw.strip()}",
                           field=name)
    return value


@dataclass(frozen=True)
class Page:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def last_page(self, total: int) -> int:
        return max(1, -(-total // self.per_page))


def page_args(args: Mapping[str, str], *, per_page: int = 20,
              max_per_page: int | None = None) -> Page:
    """``?page=`` (1 to MAX_PAGE) and, when ``max_per_page`` is given, ``?per_page=``."""
    page = bounded_int(args, "page", 1, minimum=1, maximum=MAX_PAGE)
    if max_per_page is not None:
        per_page = bounded_int(args, "per_page", per_page, minimum=1, maximum=max_per_page)
    return Page(page, per_page)


def offset_args(args: Mapping[str, str], *, limit: int = 50,
                max_limit: int = 500) -> tuple[int, int]:
    """(limit, offset) from ``?limit=`` (1 to max_limit) and ``?offset=`` (0 to MAX_OFFSET)."""
    return (bounded_int(args, "limit", limit, minimum=1, maximum=max_limit),
            bounded_int(args, "offset", 0, minimum=0, maximum=MAX_OFFSET))

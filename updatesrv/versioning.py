"""Optimistic concurrency for everything a vendor edits (products, their signing keys,
releases, notices). Each row has a ``row_version``; every change to the row, or to a child
shown inside it (a product's keys, a release's files, a notice's timeline), adds one to it
in SQL (``row_version = row_version + 1``), whichever code path made the change.

The API sends it in the ETag (``"<row_version>-<hash of the body>"``) and honours
``If-Match`` on PATCH: 412 when the row changed since. The console carries it in a hidden
field and shows both values instead of overwriting. Edits lock the row first
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writers are serialised by BEGIN IMMEDIATE),
so concurrent edits without If-Match apply one after the other and none is lost."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from .errors import UpdatesrvError


class PreconditionFailed(UpdatesrvError):
    status = 412
    title = "Precondition failed"
    slug = "precondition-failed"


class Versioned:
    """Mixin: the row's edit counter."""

    row_version: Mapped[int] = mapped_column(default=1, server_default="1")


# Child class -> attribute naming the Versioned parent whose representation shows it.
_PARENTS: dict[type, str] = {}


def shown_in(parent_attribute: str) -> Any:
    """Class decorator for child rows: changing one is a change of its parent."""
    def register(cls: type) -> type:
        _PARENTS[cls] = parent_attribute
        return cls
    return register


def _bump(session: Session, obj: Any) -> None:
    """One increment per row per transaction, however many flushes it takes."""
    state = getattr(obj, "_sa_instance_state", None)
    if state is None or state.key is None:
        return  # not yet inserted: it starts at 1
    bumped: set[Any] = session.info.setdefault("versioning.bumped", set())
    if state.key in bumped or id(obj) in session.info.get("versioning.created", ()):
        return  # bumped already, or inserted in this transaction (it stays at 1)
    bumped.add(state.key)
    obj.row_version = type(obj).row_version + 1


@event.listens_for(Session, "before_flush")
def _bump_versions(session: Session, _context: Any, _instances: Any) -> None:
    created: set[int] = session.info.setdefault("versioning.created", set())
    created.update(id(obj) for obj in session.new if isinstance(obj, Versioned))
    for obj in session.dirty:
        if isinstance(obj, Versioned) and session.is_modified(obj, include_collections=False):
            _bump(session, obj)
    for obj in (*session.new, *session.dirty, *session.deleted):
        attribute = _PARENTS.get(type(obj))
        if attribute is not None:
            parent = getattr(obj, attribute, None)
            if parent is not None and parent not in session.new:
                _bump(session, parent)


@event.listens_for(Session, "after_transaction_end")
def _forget_bumps(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop("versioning.bumped", None)
        session.info.pop("versioning.created", None)


def lock_for_edit(session: Session, obj: Versioned,
                  if_match: Iterable[int] | None = None) -> None:
    """Reloads ``obj`` under a row lock before it is changed. With ``if_match`` (the
    versions the editor saw) a newer row refuses the edit with PreconditionFailed (412
    on the API; the console shows both values instead)."""
    session.refresh(obj, with_for_update=True)
    if if_match is None:
        return
    wanted = set(if_match)
    if obj.row_version not in wanted:
        seen = ", ".join(str(v) for v in sorted(wanted)) or "none"
        raise PreconditionFailed(
            f"the resource changed since you read it (your If-Match names version {seen}; "
            f"it is now at {obj.row_version}): GET it again, re-apply your change and "
            "send the new ETag", current_version=obj.row_version)


def etag(row_version: int, body_hash: str) -> str:
    """The ETag value (without quotes): version first, so If-Match can be checked against
    the row without rendering the body."""
    return f"{row_version}-{body_hash[:16]}"


def parse_if_match(values: Iterable[str] | None, star: bool) -> set[int] | None:
    """The row versions named by an If-Match header (None: no precondition). ``*`` matches
    any existing resource. A tag we never issued matches nothing, so it answers 412."""
    if star or values is None:
        return None
    versions = set()
    for value in values:
        if not value:  # a malformed header can parse to an empty or missing tag
            continue
        head = value.split("-", 1)[0]
        if head.isascii() and head.isdigit() and len(head) < 19:
            versions.add(int(head))
    return versions

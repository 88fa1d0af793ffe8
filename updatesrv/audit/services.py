from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def record(session: Session, *, vendor_id: int, actor: str, action: str, object_type: str,
           object_key: str, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> AuditEvent:
    """Adds an audit event to the caller's transaction, so the change and its record
    commit or roll back together."""
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in sorted(changed)}
        after = {k: after.get(k) for k in sorted(changed)}
    event = AuditEvent(vendor_id=vendor_id, actor=actor, action=action,
                       object_type=object_type, object_key=object_key,
                       before=_jsonable(before), after=_jsonable(after))
    session.add(event)
    return event


def list_events(session: Session, vendor_id: int, *, object_type: str | None = None,
                object_key: str | None = None, limit: int = 50,
                offset: int = 0) -> list[AuditEvent]:
    stmt = sa.select(AuditEvent).where(AuditEvent.vendor_id == vendor_id)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_key:
        stmt = stmt.where(AuditEvent.object_key == object_key)
    stmt = stmt.order_by(AuditEvent.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def event_to_dict(event: AuditEvent) -> dict[str, Any]:
    return {"id": event.id, "actor": event.actor, "action": event.action,
            "object_type": event.object_type, "object": event.object_key,
            "before": event.before, "after": event.after,
            "at": event.created_at.isoformat().replace("+00:00", "Z")}

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import upsert, utcnow
from .errors import RateLimited
from .models import RateWindow

WINDOW = dt.timedelta(minutes=10)


def client_key(secret: str, purpose: str, address: str | None) -> str:
    """A keyed hash of the client's address: limits work without storing addresses."""
    digest = hmac.new(secret.encode(), f"{purpose}:{address or '-'}".encode(),
                      hashlib.sha256).hexdigest()[:40]
    return f"{purpose}:{digest}"


def hit(session: Session, key: str, limit: int, now: dt.datetime | None = None) -> None:
    """Counts one request in the current window (committed at once, so refused and
    malformed requests count too); raises RateLimited past ``limit``. The count is an
    additive upsert, so concurrent web processes never lose a hit. Call it before the
    request changes anything."""
    now = now or utcnow()
    start = dt.datetime.fromtimestamp(
        now.timestamp() // WINDOW.total_seconds() * WINDOW.total_seconds(), dt.UTC)
    upsert(session, RateWindow.__table__,  # type: ignore[arg-type]
           [{"key": key, "window_start": start, "hits": 1}], key=["key", "window_start"],
           increment={"hits": "hits"})
    hits = session.scalar(sa.select(RateWindow.hits).where(
        RateWindow.key == key, RateWindow.window_start == start))
    session.commit()
    if hits is not None and hits > limit:
        retry = int((start + WINDOW - now).total_seconds()) + 1
        raise RateLimited(f"too many requests from this address; try again in {retry} s",
                          retry_after=retry)


def prune(session: Session, now: dt.datetime) -> int:
    result = session.execute(sa.delete(RateWindow).where(RateWindow.window_start < now - WINDOW))
    return int(getattr(result, "rowcount", 0) or 0)

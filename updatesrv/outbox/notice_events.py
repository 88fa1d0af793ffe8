"""Outbox events for notices, recorded by notices.services in the transaction that makes
the change: published → subscribers and webhooks; a timeline update → subscribers and
webhooks; fixed → "fixed in X: here is how to update"; other edits → webhooks only."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..notices.models import Notice
from .services import current_base_url, record_event


def _snapshot(notice: Notice) -> dict[str, Any]:
    from ..notices.services import notice_to_dict

    base = current_base_url()
    product = notice.product
    data = notice_to_dict(notice, base)
    data["releases_url"] = (f"{base}/p/{product.slug}/releases/{notice.fixed_in}"
                            if notice.fixed_in else f"{base}/p/{product.slug}/releases/")
    return {"product": {"slug": product.slug, "name": product.name}, "notice": data}


def notice_published(session: Session, notice: Notice) -> None:
    session.flush()
    entry = notice.timeline[0].id if notice.timeline else 0
    record_event(session, product_id=notice.product_id, kind="notice.published",
                 dedupe_key=f"notice:{notice.id}:published", notice_id=notice.id,
                 payload={**_snapshot(notice), "mail_subscribers": True, "entry": entry})


def notice_changed(session: Session, notice: Notice, *, status_before: str,
                   new_entry: bool) -> None:
    """After an update: ``new_entry`` when a timeline entry was appended."""
    session.flush()
    entry = notice.timeline[-1].id if new_entry and notice.timeline else 0
    fixed = notice.status == "fixed" and status_before != "fixed"
    kind = "notice.fixed" if fixed else "notice.updated"
    record_event(session, product_id=notice.product_id, kind=kind,
                 dedupe_key=f"notice:{notice.id}:rev:{notice.revision}:entry:{entry}",
                 notice_id=notice.id,
                 payload={**_snapshot(notice), "mail_subscribers": fixed or new_entry,
                          "entry": entry})

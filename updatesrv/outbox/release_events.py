"""Outbox events for releases (webhooks only): published and yanked."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..releases.models import Release
from .services import current_base_url, record_event


def _payload(release: Release) -> dict[str, object]:
    from ..releases.services import release_to_dict

    product = release.product
    return {"product": {"slug": product.slug, "name": product.name},
            "release": release_to_dict(release, current_base_url())}


def release_published(session: Session, release: Release) -> None:
    session.flush()
    record_event(session, product_id=release.product_id, kind="release.published",
                 dedupe_key=f"release:{release.id}:published", payload=_payload(release))


def release_yanked(session: Session, release: Release) -> None:
    """A release can be yanked, un-yanked and yanked again: each yank is its own event."""
    session.flush()
    record_event(session, product_id=release.product_id, kind="release.yanked",
                 dedupe_key=f"release:{release.id}:yanked:{release.updated_at.isoformat()}",
                 payload=_payload(release))

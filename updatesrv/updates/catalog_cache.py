"""The per-process cache of catalogs (updates/catalog.py): owned by the app
(``app.extensions``), re-validated per request against ``products.catalog_revision``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..db import read_only
from ..products.models import Product
from .catalog import Catalog, load_catalog

_REVISION = (sa.select(Product.id, Product.catalog_revision)
             .where(Product.slug == sa.bindparam("slug")))


class CatalogCache:
    """Per-process cache, owned by the app (``app.extensions``), never a module global.

    Each lookup re-validates with one indexed Core query on a pooled connection (no ORM
    session on the hot path). ``revalidate_seconds`` > 0 skips even that for a moment after
    a successful validation, trading that much staleness for throughput."""

    def __init__(self, engine: sa.Engine, session_factory: Callable[[], Session],
                 revalidate_seconds: float = 0.0) -> None:
        self._engine = engine
        self._session_factory = session_factory
        self._revalidate = revalidate_seconds
        self._entries: dict[str, tuple[Catalog, float]] = {}
        self._lock = threading.Lock()

    def get(self, slug: str, *, fresh: bool = False) -> Catalog | None:
        """``fresh`` always re-validates: the vendor's own pages read what they just wrote."""
        with read_only():
            return self._get(slug, fresh)

    def _get(self, slug: str, fresh: bool = False) -> Catalog | None:
        now = time.monotonic()
        cached = self._entries.get(slug)
        if cached is not None and not fresh and now - cached[1] < self._revalidate:
            return cached[0]
        with self._engine.connect() as conn:
            row = conn.execute(_REVISION, {"slug": slug}).first()
        if row is None:
            return None
        if cached is not None and cached[0].revision == row.catalog_revision:
            self._entries[slug] = (cached[0], now)
            return cached[0]
        with self._session_factory() as session:
            product = session.get(Product, row.id)
            if product is None:
                return None
            catalog = load_catalog(session, product, row.catalog_revision)
        with self._lock:
            current = self._entries.get(slug)
            if current is None or current[0].revision <= catalog.revision:
                self._entries[slug] = (catalog, now)
        return catalog

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

"""Products created at the same moment never end up sharing a notice prefix (and so never
share notice ids), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from updatesrv.accounts.services import Actor
from updatesrv.db import db, write_intent
from updatesrv.products.models import Product
from updatesrv.products.services import create_product

from ..conftest import make_vendor


def test_concurrent_creates_get_distinct_prefixes(app):
    vendor_id, _ = make_vendor(app)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def create(slug: str) -> None:
        with app.app_context(), write_intent():
            try:
                barrier.wait(10)
                actor = Actor(vendor_id=vendor_id, role="owner", label="test")
                create_product(db.session, actor, {"slug": slug, "name": slug})
            except BaseException as exc:  # collected: the assertion below reports it
                errors.append(exc)

    threads = [threading.Thread(target=create, args=(f"billing-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    with app.app_context():
        prefixes = db.session.scalars(sa.select(Product.notice_prefix)).all()
    assert len(prefixes) == 4 and len(set(prefixes)) == 4

"""notice drafts, fix-as-critical, server-wide notice ids, per-product platform registry

Existing notices count as published when they were opened. Products that shared a notice
prefix keep the oldest product's prefix; the others get a free one, and any notice id that
already collided is renumbered under its product's new prefix (the only way to make ids
unique server-wide; each product's pages still list the notice).

Revision ID: 0006_notice_drafts_platforms
Revises: 0005_reach
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

import updatesrv.db

revision = '0006_notice_drafts_platforms'
down_revision = '0005_reach'
branch_labels = None
depends_on = None


def _free_prefix(base: str, taken: set[str]) -> str:
    base = (re.sub(r"[^A-Z0-9]", "", base.upper()) or "N")[:10]
    for n in range(2, 10_000):
        candidate = f"{base}{n}"
        if candidate not in taken:
            return candidate
    raise RuntimeError("no free notice prefix")


def _dedupe(conn: sa.Connection) -> None:
    products = conn.execute(sa.text(
        "SELECT id, notice_prefix FROM products ORDER BY created_at, id")).all()
    taken: set[str] = set()
    renamed: dict[int, str] = {}
    for product_id, prefix in products:
        if prefix in taken:
            prefix = _free_prefix(prefix, taken | {p for _, p in products})
            renamed[product_id] = prefix
            conn.execute(sa.text("UPDATE products SET notice_prefix = :p WHERE id = :i"),
                         {"p": prefix, "i": product_id})
        taken.add(prefix)
    seen: set[str] = set()
    rows = conn.execute(sa.text(
        "SELECT n.id, n.product_id, n.public_id FROM notices n "
        "ORDER BY n.opened_at, n.id")).all()
    all_ids = {r.public_id for r in rows}
    for notice_id, product_id, public_id in rows:
        if public_id in seen:
            prefix = renamed.get(product_id) or _free_prefix("N", taken)
            year = public_id.rsplit("-", 2)[-2] if public_id.count("-") >= 2 else "0000"
            number = 1
            while f"{prefix}-{year}-{number:04d}" in all_ids:
                number += 1
            public_id = f"{prefix}-{year}-{number:04d}"
            all_ids.add(public_id)
            conn.execute(sa.text("UPDATE notices SET public_id = :p WHERE id = :i"),
                         {"p": public_id, "i": notice_id})
        seen.add(public_id)


# Only ADD COLUMN and CREATE INDEX: on SQLite, batch mode would recreate (drop) the
# products and notices tables, and with foreign keys on, dropping a table cascades deletes
# to every release, notice and timeline entry that references it.
def upgrade() -> None:
    op.add_column('notices', sa.Column('published_at', updatesrv.db.UTCDateTime(),
                                       nullable=True))
    op.add_column('notices', sa.Column('fix_critical', sa.Boolean(), server_default=sa.false(),
                                       nullable=False))
    op.add_column('products', sa.Column('platforms', sa.JSON(), server_default='[]',
                                        nullable=False))
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE notices SET published_at = opened_at"))
    _dedupe(conn)
    op.create_index(op.f('ix_notices_public_id'), 'notices', ['public_id'], unique=True)
    op.create_index(op.f('ix_products_notice_prefix'), 'products', ['notice_prefix'],
                    unique=True)


def downgrade() -> None:
    op.drop_index(op.f('ix_products_notice_prefix'), table_name='products')
    op.drop_index(op.f('ix_notices_public_id'), table_name='notices')
    op.drop_column('products', 'platforms')
    op.drop_column('notices', 'fix_critical')
    op.drop_column('notices', 'published_at')

"""Migration 0006 on data: existing notices count as published, clashing prefixes and ids
are made unique, and nothing that references products or notices is lost."""

from __future__ import annotations

import sqlalchemy as sa

from updatesrv import migrate

from ..test_migrations import _fresh_engine

NOW = "2026-01-01 00:00:00.000000"


def test_upgrade_keeps_data_and_makes_ids_unique(tmp_path, pg_schema):
    engine = _fresh_engine(tmp_path, pg_schema)
    try:
        migrate.upgrade(engine, "0005_reach")
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO vendors (id, slug, name, created_at) "
                                 f"VALUES (1, 'acme', 'Acme', '{NOW}')"))
            for pid, slug in ((1, "billing"), (2, "billing-crit")):
                conn.execute(sa.text(
                    "INSERT INTO products (id, vendor_id, slug, name, channels, notice_prefix,"
                    " next_notice_number, catalog_revision, is_demo, created_at) VALUES "
                    f"({pid}, 1, '{slug}', '{slug}', '[\"stable\"]', 'BILL', 2, 1, false, "
                    f"'2026-01-0{pid} 00:00:00.000000')"))
                conn.execute(sa.text(
                    "INSERT INTO notices (id, product_id, public_id, revision, title, summary,"
                    " details, workaround, severity, status, affected, platforms, channels,"
                    f" opened_at, updated_at) VALUES ({pid}, {pid}, 'BILL-2026-0001', 1, 't',"
                    " '', '', '', 'minor', 'confirmed', '>=1', '[]', '[]', "
                    f"'2026-01-0{pid} 00:00:00.000000', '{NOW}')"))
                conn.execute(sa.text(
                    "INSERT INTO notice_updates (notice_id, created_at, status, revision, "
                    f"message, actor) VALUES ({pid}, '{NOW}', 'confirmed', 1, 'hi', 'x')"))
        migrate.upgrade(engine)
        with engine.connect() as conn:
            prefixes = conn.execute(sa.text(
                "SELECT slug, notice_prefix FROM products ORDER BY id")).all()
            ids = conn.execute(sa.text(
                "SELECT public_id, published_at IS NOT NULL FROM notices ORDER BY id")).all()
            entries = conn.execute(sa.text("SELECT count(*) FROM notice_updates")).scalar()
        assert prefixes == [("billing", "BILL"), ("billing-crit", "BILL2")]
        assert ids == [("BILL-2026-0001", True), ("BILL2-2026-0001", True)]
        assert entries == 2
    finally:
        engine.dispose()

"""Migration 0020 keeps every outbox row, up and down: on SQLite a batch table copy of
webhooks or subscriptions would cascade to the outbox rows that refer to them."""

from __future__ import annotations

import sqlalchemy as sa

from tests.test_migrations import _fresh_engine
from updatesrv import migrate

NOW = "2026-01-01 00:00:00.000000"
BEFORE = "0019_failure_reports"


def _count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() or 0)


def test_outbox_rows_survive_migration_0020(tmp_path, pg_schema):
    engine = _fresh_engine(tmp_path, pg_schema)
    try:
        migrate.upgrade(engine, BEFORE)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO vendors (id, slug, name, created_at) "
                                 f"VALUES (1, 'acme', 'Acme', '{NOW}')"))
            conn.execute(sa.text(
                "INSERT INTO products (id, vendor_id, slug, name, channels, notice_prefix, "
                "catalog_revision, next_notice_number, is_demo, created_at) VALUES (1, 1, 'p', "
                f"'P', '[]', 'P', 1, 1, false, '{NOW}')"))
            conn.execute(sa.text(
                "INSERT INTO webhooks (id, public_id, product_id, url, events, secret, "
                f"created_by, created_at) VALUES (1, 'whk_1', 1, 'https://h.example/', "
                f"'[]', 's', 'x', '{NOW}')"))
            conn.execute(sa.text(
                "INSERT INTO subscriptions (id, product_id, email, filter_key, status, "
                "unsubscribe_nonce, created_at) VALUES (1, 1, 'Ana@Example.com', '*', "
                f"'confirmed', 'n', '{NOW}')"))
            for n, column in enumerate(("webhook_id", "subscription_id"), start=1):
                conn.execute(sa.text(
                    f"INSERT INTO outbox_messages (id, channel, purpose, dedupe_key, "
                    f"product_id, {column}, recipient, payload, status, attempts, "
                    "next_attempt_at, last_error, created_at) VALUES "
                    f"({n}, 'mail', 'x', 'k{n}', 1, 1, 'r', '{{}}', 'pending', 0, "
                    f"'{NOW}', '', '{NOW}')"))
        migrate.upgrade(engine)
        assert _count(engine, "outbox_messages") == 2
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT recipient_key FROM subscriptions")
                                ).scalar() == "ana@example.com"
            assert conn.execute(sa.text("SELECT failures_in_row FROM webhooks")).scalar() == 0
        migrate.downgrade(engine, BEFORE)
        assert _count(engine, "outbox_messages") == 2
        migrate.upgrade(engine)
        assert _count(engine, "outbox_messages") == 2
    finally:
        engine.dispose()

"""The account migrations (0013-0016) keep every row, up and down: on SQLite a batch
table copy of vendors, users or api_tokens would cascade-delete memberships, tokens and
sessions when the old table is dropped."""

from __future__ import annotations

import sqlalchemy as sa

from tests.test_migrations import _fresh_engine
from updatesrv import migrate

NOW = "2026-01-01 00:00:00.000000"
TABLES = ("vendors", "users", "memberships", "api_tokens", "console_sessions")


def _counts(engine: sa.Engine) -> list[int]:
    with engine.connect() as conn:
        return [int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() or 0)
                for t in TABLES]


def test_account_migrations_keep_every_row(tmp_path, pg_schema):
    engine = _fresh_engine(tmp_path, pg_schema)
    try:
        migrate.upgrade(engine, "0012_reach_install_index")
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO vendors (id, slug, name, created_at) "
                                 f"VALUES (1, 'acme', 'Acme', '{NOW}')"))
            conn.execute(sa.text("INSERT INTO users (id, email, name, password_hash, "
                                 "created_at, password_changed_at) VALUES "
                                 f"(1, 'a@acme.example', '', 'x', '{NOW}', '{NOW}')"))
            conn.execute(sa.text("INSERT INTO memberships (id, user_id, vendor_id, role) "
                                 "VALUES (1, 1, 1, 'owner')"))
            conn.execute(sa.text("INSERT INTO api_tokens (id, vendor_id, name, role, "
                                 "token_hash, prefix, created_by, created_at) VALUES "
                                 f"(1, 1, 'ci', 'owner', 'h', 'us_x', 'cli', '{NOW}')"))
            conn.execute(sa.text("INSERT INTO console_sessions (id, user_id, token_hash, "
                                 f"created_at, expires_at) VALUES (1, 1, 's', '{NOW}', "
                                 f"'{NOW}')"))
        assert _counts(engine) == [1] * len(TABLES)
        migrate.upgrade(engine)
        assert _counts(engine) == [1] * len(TABLES)
        with engine.connect() as conn:
            token = conn.execute(sa.text(
                "SELECT product_scoped, expires_at FROM api_tokens")).one()
            # An existing token keeps every product and never expires.
            assert (bool(token[0]), token[1]) == (False, None)
            assert not conn.execute(sa.text("SELECT require_two_factor FROM vendors")
                                    ).scalar()
        migrate.downgrade(engine, "0012_reach_install_index")
        assert _counts(engine) == [1] * len(TABLES)
        migrate.upgrade(engine)
        assert _counts(engine) == [1] * len(TABLES)
    finally:
        engine.dispose()

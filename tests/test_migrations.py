from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from updatesrv import migrate
from updatesrv.db import configure_engine
from updatesrv.models import Base


def _fresh_engine(tmp_path, pg_schema):
    engine = sa.create_engine(pg_schema or f"sqlite:///{tmp_path / 'migrations.sqlite3'}")
    configure_engine(engine)
    if pg_schema:
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    return engine


def test_upgrade_head_matches_the_models(tmp_path, pg_schema):
    engine = _fresh_engine(tmp_path, pg_schema)
    try:
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(tmp_path, pg_schema):
    engine = _fresh_engine(tmp_path, pg_schema)
    try:
        migrate.upgrade(engine)
        migrate.downgrade(engine, "base")
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()

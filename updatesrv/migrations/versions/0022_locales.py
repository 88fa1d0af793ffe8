"""Per-locale content: a product's default and offered locales; notice, timeline and
release-notes translations

Revision ID: 0022_locales
Revises: 0021_passkeys
"""
import sqlalchemy as sa
from alembic import op


revision = '0022_locales'
down_revision = '0021_passkeys'
branch_labels = None
depends_on = None

# Columns are added and dropped directly (SQLite 3.35+ drops in place): a batch copy of
# products would cascade-delete its releases and notices on SQLite.
COLUMNS: list[tuple[str, sa.Column]] = [
    ('products', sa.Column('default_locale', sa.String(length=35), nullable=False,
                           server_default='en')),
    ('products', sa.Column('offered_locales', sa.JSON(), nullable=False,
                           server_default='[]')),
    ('notices', sa.Column('translations', sa.JSON(), nullable=False, server_default='{}')),
    ('notice_updates', sa.Column('translations', sa.JSON(), nullable=False,
                                 server_default='{}')),
    ('releases', sa.Column('translations', sa.JSON(), nullable=False, server_default='{}')),
]


def upgrade() -> None:
    for table, column in COLUMNS:
        op.add_column(table, column)


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        op.drop_column(table, column.name)

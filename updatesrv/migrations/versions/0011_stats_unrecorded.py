"""stats_unrecorded: what the statistics could not store (buffer full, per-day install cap)

Revision ID: 0011_stats_unrecorded
Revises: 0010_row_versions
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_stats_unrecorded'
down_revision = '0010_row_versions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stats_unrecorded',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('checks_dropped', sa.BigInteger(), nullable=False),
        sa.Column('installs_dropped', sa.BigInteger(), nullable=False),
        sa.Column('installs_over_cap', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                                name=op.f('fk_stats_unrecorded_product_id_products'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('day', 'product_id', name=op.f('pk_stats_unrecorded')),
    )


def downgrade() -> None:
    op.drop_table('stats_unrecorded')

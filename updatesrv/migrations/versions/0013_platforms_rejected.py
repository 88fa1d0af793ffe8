"""platforms_rejected: platform ids installs sent that the product does not know; and
published notices whose last change predates their publication (a draft's edit time) are
dated at their publication, as publishing now does

Revision ID: 0013_platforms_rejected
Revises: 0012_reach_install_index
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_platforms_rejected'
down_revision = '0012_reach_install_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'platforms_rejected',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('platform', sa.String(length=64), nullable=False),
        sa.Column('checks', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                                name=op.f('fk_platforms_rejected_product_id_products'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('day', 'product_id', 'platform',
                                name=op.f('pk_platforms_rejected')),
    )
    op.execute("UPDATE notices SET updated_at = published_at "
               "WHERE published_at IS NOT NULL AND updated_at < published_at")


def downgrade() -> None:
    op.drop_table('platforms_rejected')

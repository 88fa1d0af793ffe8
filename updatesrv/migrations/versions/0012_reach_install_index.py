"""notice_reach: index on install_hash (the statistics flush reads each install's rows)

Revision ID: 0012_reach_install_index
Revises: 0011_stats_unrecorded
"""
from alembic import op


revision = '0012_reach_install_index'
down_revision = '0011_stats_unrecorded'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f('ix_notice_reach_install_hash'), 'notice_reach', ['install_hash'])


def downgrade() -> None:
    op.drop_index(op.f('ix_notice_reach_install_hash'), table_name='notice_reach')

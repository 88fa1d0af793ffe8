"""failure reports: per-product switch and alarm thresholds, failure groups, failing
installs (hashed) and per-day accepted/capped counts

Revision ID: 0019_failure_reports
Revises: 0018_deltas
"""
from alembic import op
import sqlalchemy as sa

import updatesrv.db


revision = '0019_failure_reports'
down_revision = '0018_deltas'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite can): rebuilding products would cascade-delete its rows.
    op.add_column('products', sa.Column('failure_reports', sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.add_column('products', sa.Column('failure_alarm_installs', sa.Integer(),
                                        nullable=False, server_default='5'))
    op.add_column('products', sa.Column('failure_alarm_percent', sa.Float(), nullable=False,
                                        server_default='2.0'))
    op.create_table(
        'failure_groups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('fingerprint', sa.String(length=120), nullable=False),
        sa.Column('version', sa.String(length=64), nullable=False),
        sa.Column('platform', sa.String(length=64), nullable=False),
        sa.Column('reports', sa.BigInteger(), nullable=False),
        sa.Column('first_seen', updatesrv.db.UTCDateTime(), nullable=False),
        sa.Column('last_seen', updatesrv.db.UTCDateTime(), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('alarmed_at', updatesrv.db.UTCDateTime(), nullable=True),
        sa.Column('alarm_installs', sa.Integer(), nullable=True),
        sa.Column('alarm_active_installs', sa.Integer(), nullable=True),
        sa.Column('notice_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['notice_id'], ['notices.id'],
                                name=op.f('fk_failure_groups_notice_id_notices'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                                name=op.f('fk_failure_groups_product_id_products'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_failure_groups')),
        sa.UniqueConstraint('product_id', 'kind', 'fingerprint', 'version', 'platform',
                            name=op.f('uq_failure_groups_product_id_kind_fingerprint_version_platform')),
    )
    op.create_index(op.f('ix_failure_groups_product_id'), 'failure_groups', ['product_id'])
    op.create_index(op.f('ix_failure_groups_notice_id'), 'failure_groups', ['notice_id'])
    op.create_table(
        'failure_installs',
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('install_hash', sa.String(length=32), nullable=False),
        sa.Column('reports', sa.BigInteger(), nullable=False),
        sa.Column('first_seen', updatesrv.db.UTCDateTime(), nullable=False),
        sa.Column('last_seen', updatesrv.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['group_id'], ['failure_groups.id'],
                                name=op.f('fk_failure_installs_group_id_failure_groups'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('group_id', 'install_hash', name=op.f('pk_failure_installs')),
    )
    op.create_index(op.f('ix_failure_installs_last_seen'), 'failure_installs', ['last_seen'])
    op.create_table(
        'failure_report_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('accepted', sa.BigInteger(), nullable=False),
        sa.Column('over_install_cap', sa.BigInteger(), nullable=False),
        sa.Column('over_product_cap', sa.BigInteger(), nullable=False),
        sa.Column('buffer_full', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                                name=op.f('fk_failure_report_days_product_id_products'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('day', 'product_id', name=op.f('pk_failure_report_days')),
    )


def downgrade() -> None:
    op.drop_table('failure_report_days')
    op.drop_index(op.f('ix_failure_installs_last_seen'), table_name='failure_installs')
    op.drop_table('failure_installs')
    op.drop_index(op.f('ix_failure_groups_notice_id'), table_name='failure_groups')
    op.drop_index(op.f('ix_failure_groups_product_id'), table_name='failure_groups')
    op.drop_table('failure_groups')
    op.drop_column('products', 'failure_alarm_percent')
    op.drop_column('products', 'failure_alarm_installs')
    op.drop_column('products', 'failure_reports')

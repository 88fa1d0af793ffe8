"""deltas: binary patches the scheduler builds between uploaded files (issue 27)

Revision ID: 0018_deltas
Revises: 0017_sign_in_events
"""
from alembic import op
import sqlalchemy as sa


revision = '0018_deltas'
down_revision = '0017_sign_in_events'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'deltas',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('from_artifact_id', sa.Integer(), nullable=False),
        sa.Column('to_artifact_id', sa.Integer(), nullable=False),
        sa.Column('from_sha256', sa.String(length=64), nullable=False),
        sa.Column('to_sha256', sa.String(length=64), nullable=False),
        sa.Column('algorithm', sa.String(length=32), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('claimed_at', sa.DateTime(), nullable=True),
        sa.Column('storage_path', sa.String(length=500), nullable=True),
        sa.Column('size', sa.BigInteger(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('built_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                                name=op.f('fk_deltas_product_id_products'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['from_artifact_id'], ['artifacts.id'],
                                name=op.f('fk_deltas_from_artifact_id_artifacts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['to_artifact_id'], ['artifacts.id'],
                                name=op.f('fk_deltas_to_artifact_id_artifacts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deltas')),
        sa.UniqueConstraint('from_artifact_id', 'to_artifact_id',
                            name=op.f('uq_deltas_from_artifact_id_to_artifact_id')),
    )
    for column in ('product_id', 'from_artifact_id', 'to_artifact_id', 'state',
                   'storage_path'):
        op.create_index(op.f(f'ix_deltas_{column}'), 'deltas', [column])


def downgrade() -> None:
    op.drop_table('deltas')

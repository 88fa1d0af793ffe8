"""compatible update feeds: artifact sha512/sha1/kind/minisign signature, per-product formats

Revision ID: 0008_feeds
Revises: 0007_manifest_signatures
Create Date: 2026-11-23 20:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_feeds'
down_revision = '0007_manifest_signatures'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('artifacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sha512', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('sha1', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='full',
                                      nullable=False))
        batch_op.add_column(sa.Column('minisign_signature', sa.Text(), nullable=True))
        batch_op.drop_constraint('uq_artifacts_release_id_platform', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_artifacts_release_id_platform_kind'),
                                          ['release_id', 'platform', 'kind'])
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_formats', sa.JSON(), server_default='[]',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('feed_formats')
    # Deltas and installers have no place in the older one-file-per-platform schema.
    op.execute("DELETE FROM artifacts WHERE kind <> 'full'")
    with op.batch_alter_table('artifacts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_artifacts_release_id_platform_kind', type_='unique')
        batch_op.create_unique_constraint('uq_artifacts_release_id_platform',
                                          ['release_id', 'platform'])
        batch_op.drop_column('minisign_signature')
        batch_op.drop_column('kind')
        batch_op.drop_column('sha1')
        batch_op.drop_column('sha512')

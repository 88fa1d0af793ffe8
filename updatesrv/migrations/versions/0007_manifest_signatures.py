"""manifest signatures: the vendor's signature over a release manifest

Revision ID: 0007_manifest_signatures
Revises: 0006_notice_drafts_platforms
Create Date: 2026-11-23 20:55:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_manifest_signatures'
down_revision = '0006_notice_drafts_platforms'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('artifacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manifest_signature', sa.String(length=200),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('artifacts', schema=None) as batch_op:
        batch_op.drop_column('manifest_signature')

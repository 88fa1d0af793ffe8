"""webhooks: circuit breaker state (failures in a row, paused until, last failure)

Revision ID: 0013_webhook_circuit
Revises: 0012_reach_install_index
"""
from alembic import op
import sqlalchemy as sa
import updatesrv.db


revision = '0013_webhook_circuit'
down_revision = '0012_reach_install_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhooks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failures_in_row', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('paused_until', updatesrv.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_failure', sa.Text(), server_default='',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('webhooks', schema=None) as batch_op:
        batch_op.drop_column('last_failure')
        batch_op.drop_column('paused_until')
        batch_op.drop_column('failures_in_row')

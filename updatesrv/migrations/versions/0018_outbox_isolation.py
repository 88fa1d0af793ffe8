"""outbox isolation: webhook circuit breaker state; per-recipient subscription limits
(subscriptions.recipient_key, confirmation_gates)

Revision ID: 0014_outbox_isolation
Revises: 0013_platforms_rejected
"""
from alembic import op
import sqlalchemy as sa
import updatesrv.db


revision = '0014_outbox_isolation'
down_revision = '0013_platforms_rejected'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhooks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failures_in_row', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('paused_until', updatesrv.db.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('last_failure', sa.Text(), server_default='',
                                      nullable=False))
    op.create_table(
        'confirmation_gates',
        sa.Column('recipient_hash', sa.String(length=64), nullable=False),
        sa.Column('last_sent_at', updatesrv.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('recipient_hash', name=op.f('pk_confirmation_gates')))
    with op.batch_alter_table('confirmation_gates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_confirmation_gates_last_sent_at'),
                              ['last_sent_at'], unique=False)
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_key', sa.String(length=254),
                                      server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_subscriptions_recipient_key'),
                              ['recipient_key'], unique=False)
    # Existing rows: the address without regard to case (the service fills in the exact
    # key the next time the address subscribes).
    op.execute("UPDATE subscriptions SET recipient_key = lower(email)")


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_recipient_key'))
        batch_op.drop_column('recipient_key')
    with op.batch_alter_table('confirmation_gates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_confirmation_gates_last_sent_at'))
    op.drop_table('confirmation_gates')
    with op.batch_alter_table('webhooks', schema=None) as batch_op:
        batch_op.drop_column('last_failure')
        batch_op.drop_column('paused_until')
        batch_op.drop_column('failures_in_row')

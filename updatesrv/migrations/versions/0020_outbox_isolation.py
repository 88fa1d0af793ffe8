"""outbox isolation: webhook circuit breaker state; per-recipient subscription limits
(subscriptions.recipient_key, confirmation_gates)

Revision ID: 0020_outbox_isolation
Revises: 0019_failure_reports
"""
from alembic import op
import sqlalchemy as sa
import updatesrv.db


revision = '0020_outbox_isolation'
down_revision = '0019_failure_reports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, never a batch copy: on SQLite a batch re-creates the table,
    # and dropping the old one with foreign keys on cascades to every row that refers to
    # it (outbox_messages refers to webhooks and subscriptions).
    op.add_column('webhooks', sa.Column('failures_in_row', sa.Integer(), server_default='0',
                                        nullable=False))
    op.add_column('webhooks', sa.Column('paused_until', updatesrv.db.UTCDateTime(),
                                        nullable=True))
    op.add_column('webhooks', sa.Column('last_failure', sa.Text(), server_default='',
                                        nullable=False))
    op.create_table(
        'confirmation_gates',
        sa.Column('recipient_hash', sa.String(length=64), nullable=False),
        sa.Column('last_sent_at', updatesrv.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('recipient_hash', name=op.f('pk_confirmation_gates')))
    op.create_index(op.f('ix_confirmation_gates_last_sent_at'), 'confirmation_gates',
                    ['last_sent_at'], unique=False)
    op.add_column('subscriptions', sa.Column('recipient_key', sa.String(length=254),
                                             server_default='', nullable=False))
    op.create_index(op.f('ix_subscriptions_recipient_key'), 'subscriptions',
                    ['recipient_key'], unique=False)
    # Existing rows: the address without regard to case (the service fills in the exact
    # key the next time the address subscribes).
    op.execute("UPDATE subscriptions SET recipient_key = lower(email)")


def downgrade() -> None:
    op.drop_index(op.f('ix_subscriptions_recipient_key'), table_name='subscriptions')
    op.drop_column('subscriptions', 'recipient_key')
    op.drop_index(op.f('ix_confirmation_gates_last_sent_at'), table_name='confirmation_gates')
    op.drop_table('confirmation_gates')
    op.drop_column('webhooks', 'last_failure')
    op.drop_column('webhooks', 'paused_until')
    op.drop_column('webhooks', 'failures_in_row')

"""notifications: the outbox, the outgoing channels, users' contact settings

Revision ID: 0022_notifications
Revises: 0020_rule_tables
Create Date: 2026-12-02 16:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0022_notifications'
down_revision = '0021_service_desk'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('notifications',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('recipient', sa.String(length=100), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('instance_id', _ID, nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', _AT, nullable=False),
    sa.Column('next_attempt_at', _AT, nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', _AT, nullable=True),
    sa.Column('failed_at', _AT, nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('read_at', _AT, nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', 'recipient', 'channel', name='uq_notification_once'),
    )
    op.create_index('ix_notification_pending', 'notifications', ['sent_at', 'next_attempt_at'])
    op.create_index('ix_notification_recipient', 'notifications', ['recipient', 'channel', 'read_at'])
    op.create_table('notify_channels',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('updated_at', _AT, nullable=False),
    sa.PrimaryKeyConstraint('name'),
    )
    op.create_table('notify_contacts',
    sa.Column('user_name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('quiet_from', sa.String(length=5), nullable=False),
    sa.Column('quiet_to', sa.String(length=5), nullable=False),
    sa.Column('updated_at', _AT, nullable=False),
    sa.PrimaryKeyConstraint('user_name'),
    )


def downgrade() -> None:
    op.drop_table('notify_contacts')
    op.drop_table('notify_channels')
    op.drop_index('ix_notification_recipient', table_name='notifications')
    op.drop_index('ix_notification_pending', table_name='notifications')
    op.drop_table('notifications')

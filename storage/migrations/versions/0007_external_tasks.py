"""external tasks: service and send tasks done by workers outside wuye (Camunda 7's REST shape),
and the topics each worker may fetch

Revision ID: 0007_external_tasks
Revises: 0005_login_attempts
Create Date: 2026-12-02 08:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_external_tasks'
down_revision = '0005_login_attempts'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('external_tasks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', _ID, nullable=False),
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.Column('activity_id', sa.String(length=200), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.String(length=200), nullable=True),
    sa.Column('locked_by', sa.String(length=100), nullable=True),
    sa.Column('lock_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retries', sa.Integer(), nullable=True),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error_message', sa.String(length=500), nullable=True),
    sa.Column('error_details', sa.Text(), nullable=True),
    sa.Column('variables', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('external_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_external_task_queue', ['state', 'topic', 'priority', 'created_at'], unique=False)
        batch_op.create_index('ix_external_task_instance', ['instance_id', 'state'], unique=False)
    op.create_table('worker_topics',
    sa.Column('user_id', _ID, nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'topic'),
    )


def downgrade() -> None:
    op.drop_table('worker_topics')
    with op.batch_alter_table('external_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_external_task_instance')
        batch_op.drop_index('ix_external_task_queue')
    op.drop_table('external_tasks')

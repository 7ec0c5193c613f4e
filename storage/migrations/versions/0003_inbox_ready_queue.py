"""inbox ready queue: a partial index over the ready tasks in inbox order

The inbox chooses its page of ready tasks (due soonest first, no due time last) by walking this
index alone and reads only the chosen rows from the table; before, a user of one narrow group made
the database fetch every ready row of the table to find a few (bench/inbox.py has the figures).

Revision ID: 0003_inbox_ready_queue
Revises: 0002_add_letters
Create Date: 2026-11-23 11:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003_inbox_ready_queue'
down_revision = '0002_add_letters'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_task_ready_queue',
                              ['due_at', 'created_at', 'id', 'assignee', 'process_id', 'lane', 'room'], unique=False,
                              postgresql_where=sa.text("state = 'ready'"), sqlite_where=sa.text("state = 'ready'"))


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_task_ready_queue')

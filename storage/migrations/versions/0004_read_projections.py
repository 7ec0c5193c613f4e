"""read projections: an instance's data, what it waits for and its diagram states; a task's values

The instance and task pages showed these by loading (deserialising) the workflow on every view.
The step now writes them beside the state in the same transaction. An instance last stepped before
this revision has NULL here until its next step; the pages load its workflow once for it.

Revision ID: 0004_read_projections
Revises: 0003_inbox_ready_queue
Create Date: 2026-12-02 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004_read_projections'
down_revision = '0003_inbox_ready_queue'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('waiting', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('diagram', sa.JSON(), nullable=True))
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('values', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('values')
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_column('diagram')
        batch_op.drop_column('waiting')
        batch_op.drop_column('data')

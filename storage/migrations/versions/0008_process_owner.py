"""process owner: the comment a version was deployed with

Every deployed version now says why it was deployed (the modeler and `POST /api/definitions` ask
for a comment); versions deployed before this revision have an empty one.

Revision ID: 0008_process_owner
Revises: 0007_external_tasks
Create Date: 2026-12-02 07:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_process_owner'
down_revision = '0007_external_tasks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('definitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment', sa.String(length=500), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('definitions', schema=None) as batch_op:
        batch_op.drop_column('comment')

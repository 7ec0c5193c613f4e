"""session revocation: a generation per user that every session cookie carries

Signing out, a password change and disabling a user add one to the user's generation (and delete
their API tokens): every session cookie made before then names an older generation and is refused
on its next request, on every server process at once.

Revision ID: 0011_session_revocation
Revises: 0008_process_owner
Create Date: 2026-12-02 13:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_session_revocation'
down_revision = '0008_process_owner'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')

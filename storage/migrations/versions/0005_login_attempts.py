"""login attempts: the sign-in rate limit's counts, shared by every server process

Before, each process counted failed logins in its own memory: with N gunicorn workers the limit was
N times the configured one, and parallel requests all passed the check before any was counted.

Revision ID: 0005_login_attempts
Revises: 0010_audit_integrity
Create Date: 2026-12-02 07:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005_login_attempts'
down_revision = '0010_audit_integrity'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_attempts',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_window', ['window_start'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_window')
    op.drop_table('login_attempts')

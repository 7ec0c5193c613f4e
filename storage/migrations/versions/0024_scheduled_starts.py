"""scheduled starts: a schedule per process with a timer start event, and the moments started

Revision ID: 0024_scheduled_starts
Revises: 0020_rule_tables
Create Date: 2026-12-02 16:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0024_scheduled_starts'
down_revision = '0023_group_duty'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('process_schedules',
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.Column('definition_id', _ID, nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('catch_up', sa.String(length=8), nullable=False),
    sa.Column('anchor', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['definition_id'], ['definitions.id']),
    sa.PrimaryKeyConstraint('process_id'),
    )
    op.create_index('ix_process_schedules_next_at', 'process_schedules', ['next_at'])
    op.create_table('scheduled_starts',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('definition_id', _ID, nullable=False),
    sa.Column('instance_id', _ID, nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['definition_id'], ['definitions.id']),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('process_id', 'due_at', name='uq_scheduled_start'),
    )


def downgrade() -> None:
    op.drop_table('scheduled_starts')
    op.drop_index('ix_process_schedules_next_at', table_name='process_schedules')
    op.drop_table('process_schedules')

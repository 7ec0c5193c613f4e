"""group duty: each group's head and supervisor, and the duty roster by shift

M1 第十七条 takes a fine from a person's bonus: a breach on an unclaimed group task goes to the
person on duty, else to the group's head; 责任主管 and 责任部门负责人 resolve to people (issue 15).

Revision ID: 0023_group_duty
Revises: 0020_rule_tables
Create Date: 2026-12-02 16:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0023_group_duty'
down_revision = '0022_notifications'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('group_leads',
    sa.Column('group_id', sa.String(length=64), nullable=False),
    sa.Column('head', sa.String(length=100), nullable=True),
    sa.Column('supervisor', sa.String(length=100), nullable=True),
    sa.Column('set_by', sa.String(length=100), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id'),
    )
    op.create_table('duty_shifts',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('group_id', sa.String(length=64), nullable=False),
    sa.Column('user_name', sa.String(length=100), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('set_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_duty_shift_group', 'duty_shifts', ['group_id', 'starts_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_duty_shift_group', table_name='duty_shifts')
    op.drop_table('duty_shifts')
    op.drop_table('group_leads')

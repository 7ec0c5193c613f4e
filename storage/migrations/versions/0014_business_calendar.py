"""business calendar: the company's holiday and 调休 table, the years it covers, its versions

The calendar every deadline stands on moves from the chinese-calendar package into the database,
so that an administrator can add a year from the State Council's notice (`wuye init` seeds the
years the package covers).

Revision ID: 0014_business_calendar
Revises: 0012_chain_seals
Create Date: 2026-12-02 13:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_business_calendar'
down_revision = '0012_chain_seals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'calendar_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day'),
    )
    op.create_table(
        'calendar_years',
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('year'),
    )
    op.create_table(
        'calendar_changes',
        sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('comment', sa.String(length=500), nullable=False),
        sa.Column('years', sa.JSON(), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('version'),
    )


def downgrade() -> None:
    op.drop_table('calendar_changes')
    op.drop_table('calendar_years')
    op.drop_table('calendar_days')

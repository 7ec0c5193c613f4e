"""rule tables: penalties, move-in desks and the case library as versioned rows

The three tables that were files in processes/ (penalties.json, move_in_desks.json,
case_library.json) are now deployed versions a process owner edits in the browser; `wuye init`
seeds each from its file.

Revision ID: 0020_rule_tables
Revises: 0017_register
Create Date: 2026-12-02 12:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0020_rule_tables'
down_revision = '0017_register'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('rule_table_versions',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('table_name', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('deployed_by', sa.String(length=100), nullable=False),
    sa.Column('deployed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('table_name', 'version', name='uq_rule_table_version'),
    )
    op.create_table('rule_rows',
    sa.Column('version_id', _ID, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['rule_table_versions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'position'),
    )


def downgrade() -> None:
    op.drop_table('rule_rows')
    op.drop_table('rule_table_versions')

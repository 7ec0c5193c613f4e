"""audit integrity: stored Merkle tree nodes over the events, signed checkpoints, and the database's
settings (a simulation database may run on a clock earlier than today)

Revision ID: 0010_audit_integrity
Revises: 0004_read_projections
Create Date: 2026-12-02 07:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_audit_integrity'
down_revision = '0004_read_projections'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'settings',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.String(length=500), nullable=False),
        sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_table(
        'merkle_nodes',
        sa.Column('level', sa.Integer(), nullable=False, autoincrement=False),
        sa.Column('idx', sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('level', 'idx'),
    )
    op.create_table(
        'audit_checkpoints',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('root', sa.String(length=64), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('made_by', sa.String(length=100), nullable=False),
        sa.Column('holder', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('audit_checkpoints')
    op.drop_table('merkle_nodes')
    op.drop_table('settings')

"""add letters: the collection letters (提示函, 催缴函, 紧急催缴函, 律师函) as issued

Revision ID: 0002_add_letters
Revises: 0001_initial_schema
Create Date: 2026-11-23 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002_add_letters'
down_revision = '0001_initial_schema'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('letters',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.String(length=100), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number', name='uq_letter_number'),
    sa.UniqueConstraint('kind', 'year', 'seq', name='uq_letter_kind_year_seq')
    )
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.create_index('ix_letter_instance', ['instance_id', 'issued_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_index('ix_letter_instance')
    op.drop_table('letters')

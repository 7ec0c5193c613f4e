"""register: the owner and room register (rooms, their owners and tenants)

Buildings and units are the parts of a room's code (楼-单元-房); a room's people are its owners and
tenants, with their phones (personal data, masked outside their cases).

Revision ID: 0017_register
Revises: 0014_business_calendar
Create Date: 2026-12-02 13:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017_register'
down_revision = '0014_business_calendar'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rooms',
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('building', sa.Integer(), nullable=False),
        sa.Column('unit', sa.Integer(), nullable=False),
        sa.Column('area', sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column('handover_date', sa.Date(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('code'),
    )
    op.create_index('ix_room_building', 'rooms', ['building', 'unit'])
    op.create_table(
        'room_people',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('room_code', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('phones', sa.String(length=100), nullable=False),
        sa.Column('move_in_date', sa.Date(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['room_code'], ['rooms.code'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_room_people_room', 'room_people', ['room_code'])
    op.create_index('ix_room_people_name', 'room_people', ['name'])


def downgrade() -> None:
    op.drop_index('ix_room_people_name', table_name='room_people')
    op.drop_index('ix_room_people_room', table_name='room_people')
    op.drop_table('room_people')
    op.drop_index('ix_room_building', table_name='rooms')
    op.drop_table('rooms')

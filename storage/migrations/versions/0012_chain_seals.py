"""chain seals: the chain head as it was, signed at intervals with the audit key kept outside the
database, so a head deleted, moved back (a cut tail) or re-hashed over an edit is seen by `audit verify`

Revision ID: 0012_chain_seals
Revises: 0011_session_revocation
Create Date: 2026-12-02 13:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_chain_seals'
down_revision = '0011_session_revocation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'chain_seals',
        sa.Column('seq', sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('seq'),
    )


def downgrade() -> None:
    op.drop_table('chain_seals')
